// A checked ZeroMQ socket: creation, bind (with ephemeral ports), connect, close.
import CZeroMQ

/// One libzmq socket. Every failing `zmq_*` call throws `TransportError`; no call waits forever.
///
/// Not thread-safe, like libzmq sockets: use a socket from one thread at a time. Sockets are
/// created with linger 0 (pending messages are dropped on close) and closed on `deinit`.
public final class ZSocket {
    /// The socket's pattern.
    public let type: ZSocketType
    /// The owning context, kept alive while the socket exists.
    public let context: ZContext
    /// The libzmq socket handle; nil once closed.
    private(set) var rawHandle: UnsafeMutableRawPointer?
    /// Reusable message for receives (heap-allocated so libzmq always sees the same address).
    let scratch: UnsafeMutablePointer<zmq_msg_t>

    /// Creates a socket of `type` in `context`, with linger 0.
    public init(context: ZContext, type: ZSocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw TransportError.last("zmq_socket")
        }
        self.type = type
        self.context = context
        self.rawHandle = handle
        self.scratch = .allocate(capacity: 1)
        zmq_msg_init(scratch)
        do {
            try setLinger(.zero)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
        zmq_msg_close(scratch)
        scratch.deallocate()
    }

    /// Closes the socket now (idempotent); later calls on it throw `ENOTSOCK`.
    public func close() {
        if let handle = rawHandle {
            zmq_close(handle)
            rawHandle = nil
        }
    }

    /// True once `close()` has run.
    public var isClosed: Bool { rawHandle == nil }

    /// The open handle, or a `TransportError` (ENOTSOCK) naming `call` when the socket is closed.
    func handle(for call: String, endpoint: String? = nil) throws -> UnsafeMutableRawPointer {
        guard let rawHandle else {
            throw TransportError(call: call, endpoint: endpoint, code: ENOTSOCK, reason: "socket is closed")
        }
        return rawHandle
    }

    /// Binds to `endpoint` and returns the endpoint actually bound (`ZMQ_LAST_ENDPOINT`), so
    /// `tcp://127.0.0.1:*` comes back with the ephemeral port filled in.
    @discardableResult
    public func bind(_ endpoint: String) throws -> String {
        let handle = try handle(for: "zmq_bind", endpoint: endpoint)
        guard zmq_bind(handle, endpoint) == 0 else { throw TransportError.last("zmq_bind", endpoint: endpoint) }
        return try lastEndpoint()
    }

    /// Connects to `endpoint`; libzmq connects (and reconnects) in the background.
    public func connect(_ endpoint: String) throws {
        let handle = try handle(for: "zmq_connect", endpoint: endpoint)
        guard zmq_connect(handle, endpoint) == 0 else { throw TransportError.last("zmq_connect", endpoint: endpoint) }
    }

    /// Stops listening on `endpoint` (as returned by `bind`).
    public func unbind(_ endpoint: String) throws {
        let handle = try handle(for: "zmq_unbind", endpoint: endpoint)
        guard zmq_unbind(handle, endpoint) == 0 else { throw TransportError.last("zmq_unbind", endpoint: endpoint) }
    }

    /// Drops the connection to `endpoint`.
    public func disconnect(_ endpoint: String) throws {
        let handle = try handle(for: "zmq_disconnect", endpoint: endpoint)
        guard zmq_disconnect(handle, endpoint) == 0 else {
            throw TransportError.last("zmq_disconnect", endpoint: endpoint)
        }
    }

    /// The endpoint most recently bound or connected (`ZMQ_LAST_ENDPOINT`).
    public func lastEndpoint() throws -> String {
        let bytes = try bytesOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT", capacity: 1024)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
