// The one error type of RecurTransport: which zmq call failed, on what endpoint, why, and what to do.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed ZeroMQ call; `description` is one line naming the call, the endpoint when relevant,
/// libzmq's explanation and a hint.
public struct TransportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The libzmq function that failed, e.g. "zmq_bind".
    public let call: String
    /// The endpoint involved, when the call had one.
    public let endpoint: String?
    /// The errno value reported by libzmq (`zmq_errno()`).
    public let code: Int32
    /// libzmq's text for `code` (`zmq_strerror`), or a more precise reason given by this wrapper.
    public let reason: String
    /// What the operator can do about it, when known.
    public let hint: String?

    /// Creates an error; `hint` defaults to the standard hint for `call` and `code`.
    public init(call: String, endpoint: String? = nil, code: Int32, reason: String? = nil, hint: String? = nil) {
        self.call = call
        self.endpoint = endpoint
        self.code = code
        self.reason = reason ?? String(cString: zmq_strerror(code))
        self.hint = hint ?? TransportError.standardHint(call: call, code: code)
    }

    /// The error for the libzmq call that just failed, read from `zmq_errno()`.
    static func last(_ call: String, endpoint: String? = nil) -> TransportError {
        TransportError(call: call, endpoint: endpoint, code: zmq_errno())
    }

    /// True when the failure is a deadline that passed (`EAGAIN`).
    public var isTimeout: Bool { code == EAGAIN }

    /// A one-line human-readable message.
    public var description: String {
        var text = "transport: \(call)"
        if let endpoint { text += " \(endpoint)" }
        text += " failed: \(reason) (errno \(code))"
        if let hint { text += "; hint: \(hint)" }
        return text.replacingNewlines()
    }

    /// The hint for well-known failures of `call` with errno `code`.
    static func standardHint(call: String, code: Int32) -> String? {
        let onEndpoint = ["zmq_bind", "zmq_connect", "zmq_unbind", "zmq_disconnect"].contains(call)
        switch code {
        case EADDRINUSE:
            return "port already in use: choose another --bind or stop the process using it"
        case EINVAL where onEndpoint:
            return "malformed endpoint: expected e.g. tcp://127.0.0.1:5555 or tcp://127.0.0.1:* (ephemeral port)"
        case EINVAL where call.hasPrefix("zmq_setsockopt"):
            return "invalid option value for this option or socket type"
        case EPROTONOSUPPORT:
            return "unsupported transport: use tcp://, ipc:// or inproc://"
        case ENODEV, EADDRNOTAVAIL:
            return "address not available on this host: bind to an address this machine has, e.g. 127.0.0.1 or *"
        case ENOENT where onEndpoint:
            return "nothing is bound or connected at that endpoint"
        case EHOSTUNREACH:
            return "no connected peer has that routing id (router-mandatory is on): it left or never connected"
        case EAGAIN:
            return "peer is not keeping up: the deadline passed with the high-water mark reached"
        case ETERM:
            return "the context was terminated: the process is shutting down"
        case ENOTSOCK:
            return "the socket was already closed"
        case EMFILE:
            return "too many open files: close unused sockets or raise the limit (ulimit -n)"
        case EFSM, ENOTSUP:
            return "operation not valid for this socket type or its current state"
        case EMTHREAD:
            return "no I/O thread available in the context"
        default:
            return nil
        }
    }
}

extension String {
    /// The string with line breaks replaced by spaces, so messages stay on one line.
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
