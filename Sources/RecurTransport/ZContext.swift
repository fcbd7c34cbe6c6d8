// One ZeroMQ context per process: creation, termination and capability queries.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context (`zmq_ctx_new`). Create one per process and share it; it is thread-safe.
///
/// Every `ZSocket` keeps its context alive, and sockets are created with linger 0, so the
/// `zmq_ctx_term` run when the last reference goes away never waits on unsent messages.
public final class ZContext: @unchecked Sendable {
    /// The libzmq context handle.
    let handle: UnsafeMutableRawPointer

    /// Creates a context; throws `TransportError` when libzmq cannot (e.g. too many open files).
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw TransportError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    /// True when libzmq was built with `capability`, e.g. "curve", "ipc" (`zmq_has`).
    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }

    /// The libzmq version as (major, minor, patch).
    public static var libraryVersion: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }
}
