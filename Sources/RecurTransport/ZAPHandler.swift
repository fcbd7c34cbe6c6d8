// ZAP handler (RFC 27): a ROUTER on inproc://zeromq.zap.01 that admits listed CURVE clients, on its own thread.
import CZeroMQ
import Foundation

/// Authenticates CURVE handshakes for every CURVE server socket of one context.
///
/// libzmq asks the socket bound at `inproc://zeromq.zap.01` about each CURVE handshake; this
/// handler answers "200" for a client whose public key is allowed and whose address is within
/// the handshake rate limit, and "400" otherwise (NULL and PLAIN requests are refused too).
/// Create it before any CURVE server socket of the context binds, and keep it until they close:
/// without a handler libzmq admits every client that knows the server public key.
/// `@unchecked Sendable`: its properties are constants, and what they share is under `Shared.lock`.
public final class ZAPHandler: @unchecked Sendable {
    /// The endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"
    /// The ZAP domain CURVE server sockets are given (`ZMQ_ZAP_DOMAIN`).
    public static let domain = "recur"
    /// How long one poll of the handler thread lasts: the longest `stop()` waits for a quiet thread.
    static let pollInterval: Duration = .milliseconds(50)
    /// How long `stop()` waits for the thread to close its socket.
    static let stopTimeout: Duration = .seconds(2)

    /// State shared with the thread.
    private let shared: Shared
    /// The context served.
    private let contextID: ObjectIdentifier

    /// Binds the handler's socket in `context` and starts serving on a new thread.
    /// - Parameters:
    ///   - context: the context whose CURVE servers it authenticates (one handler per context).
    ///   - allowedKeys: the client public keys (32 bytes each) admitted, e.g. `keys.allowedClientKeys`.
    ///   - handshakesPerMinutePerAddress: handshakes allowed per peer address in any minute, refused
    ///     ones included; at least 1.
    ///   - log: receives one notice per refusal or malformed request, from the handler thread.
    /// - Throws: `TransportError` when libzmq lacks CURVE, the limit is below 1, or the endpoint is
    ///   taken (a handler already runs in this context).
    public init(context: ZContext, allowedKeys: Set<[UInt8]>, handshakesPerMinutePerAddress: Int = 120,
                log: @escaping @Sendable (ZAPNotice) -> Void) throws {
        guard ZContext.has("curve") else {
            throw TransportError(call: "ZAPHandler", code: ENOTSUP, reason: "libzmq was built without CURVE support",
                                 hint: "install a libzmq built with libsodium (Debian: libzmq5), or run without --keys")
        }
        guard handshakesPerMinutePerAddress >= 1 else {
            throw TransportError(call: "ZAPHandler", code: EINVAL,
                                 reason: "handshakesPerMinutePerAddress is \(handshakesPerMinutePerAddress), expected at least 1")
        }
        let socket = try ZSocket(context: context, type: .router)
        do {
            try socket.bind(ZAPHandler.endpoint)
        } catch let error as TransportError where error.code == EADDRINUSE {
            throw TransportError(call: "zmq_bind", endpoint: ZAPHandler.endpoint, code: EADDRINUSE,
                                 reason: "a ZAP handler already serves this context",
                                 hint: "create one ZAPHandler per context and share it")
        }
        let limiter = HandshakeRateLimiter(limit: handshakesPerMinutePerAddress, window: .seconds(60), maxAddresses: 4096)
        shared = Shared(policy: ZAPPolicy(allowedKeys: allowedKeys, limiter: limiter), log: log)
        contextID = ObjectIdentifier(context)
        ZAPHandler.running.insert(contextID)
        let shared = self.shared
        let box = SocketBox(socket)
        let thread = Thread { shared.serve(box.socket) }
        thread.name = "recur-zap"
        thread.start()
    }

    deinit { stop() }

    /// Admitted handshakes, refusals of any kind (malformed requests included), and those of the
    /// refusals due to the rate limit.
    public var counters: (admitted: Int, refused: Int, rateLimited: Int) {
        shared.lock.withLock { (shared.admitted, shared.refused, shared.rateLimited) }
    }

    /// Stops serving and closes the socket, waiting at most a couple of seconds for the thread;
    /// idempotent. CURVE servers of the context then admit any client that knows the server key.
    public func stop() {
        shared.lock.withLock { shared.stopRequested = true }
        if shared.exited.wait(timeout: .now() + .milliseconds(ZAPHandler.stopTimeout.millisecondsRoundedUp)) == .success {
            shared.exited.signal()  // keep it signalled for later calls
        }
        ZAPHandler.running.remove(contextID)
    }

    /// True while a handler serves `context` (checked when a socket is made a CURVE server).
    static func isRunning(in context: ZContext) -> Bool { running.contains(ObjectIdentifier(context)) }

    /// The contexts with a running handler.
    private static let running = ContextSet()

    /// The handler's socket, handed once to the thread that alone uses it from then on.
    private final class SocketBox: @unchecked Sendable {
        let socket: ZSocket
        init(_ socket: ZSocket) { self.socket = socket }
    }

    /// A lock-protected set of context identities.
    private final class ContextSet: @unchecked Sendable {
        private let lock = NSLock()
        private var members = Set<ObjectIdentifier>()
        func insert(_ id: ObjectIdentifier) { lock.withLock { _ = members.insert(id) } }
        func remove(_ id: ObjectIdentifier) { lock.withLock { _ = members.remove(id) } }
        func contains(_ id: ObjectIdentifier) -> Bool { lock.withLock { members.contains(id) } }
    }

    /// The policy, counters and stop flag, shared by the handler and its thread under `lock`.
    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var policy: ZAPPolicy
        var admitted = 0, refused = 0, rateLimited = 0
        var stopRequested = false
        /// Signalled once the thread has closed the socket.
        let exited = DispatchSemaphore(value: 0)
        let log: @Sendable (ZAPNotice) -> Void

        init(policy: ZAPPolicy, log: @escaping @Sendable (ZAPNotice) -> Void) {
            self.policy = policy
            self.log = log
        }

        /// The thread's loop: answer requests until asked to stop or the socket fails.
        func serve(_ socket: ZSocket) {
            defer {
                socket.close()
                exited.signal()
            }
            while !lock.withLock({ stopRequested }) {
                do {
                    guard let message = try socket.receive(deadline: ZAPHandler.pollInterval) else { continue }
                    // ROUTER envelope: the peer's routing id, an empty delimiter, then the request.
                    let delimiter = message.firstIndex(of: []) ?? 0
                    let envelope = Array(message[...delimiter])
                    let request = Array(message[(delimiter + 1)...])
                    let (reply, line) = answer(request)
                    if let line { log(line) }
                    try socket.send(envelope + reply, deadline: .milliseconds(500))
                } catch let error as TransportError where error.code == ETERM || error.code == ENOTSOCK {
                    log(ZAPNotice("ZAP: handler stopped: \(error)"))
                    return
                } catch {
                    // Keep serving (a closed handler would let libzmq admit every client), but never spin.
                    log(ZAPNotice("ZAP: \(error)"))
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
        }

        /// Decides one request and counts the outcome.
        private func answer(_ request: [[UInt8]]) -> (reply: [[UInt8]], log: ZAPNotice?) {
            lock.withLock {
                let decision = policy.decide(request, now: .now)
                switch decision.outcome {
                case .admitted: admitted += 1
                case .refused, .malformed: refused += 1
                case .rateLimited:
                    refused += 1
                    rateLimited += 1
                }
                return (decision.reply, decision.log)
            }
        }
    }
}
