// LocalPorts: TCP ports on 127.0.0.1 picked by binding to port 0 — one released, one held.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on 127.0.0.1 that keeps its port busy until `close()`.
final class HeldPort {
    let port: Int
    private var fd: Int32

    /// Binds 127.0.0.1:0 and listens.
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterTestError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw ClusterTestError("bind/listen on 127.0.0.1:0 failed: errno \(e)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close() }

    /// Whether a client tries to connect within `seconds` (a connection waits to be accepted).
    func waitForConnection(seconds: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, Int32(seconds * 1000)) == 1
    }

    /// Releases the port (idempotent).
    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// `tcp://127.0.0.1:<port>`.
    var endpoint: String { "tcp://127.0.0.1:\(port)" }

    /// A port that was free a moment ago: bound, then released at once. Nothing listens on it.
    static func free() throws -> Int {
        let held = try HeldPort()
        defer { held.close() }
        return held.port
    }
}
