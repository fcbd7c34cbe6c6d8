// MetricsEndpoint: a read-only HTTP/1.x server on its own thread that answers `GET /metrics` with
// the latest Prometheus exposition the owner handed it.
//
// Plain POSIX sockets, not ZeroMQ's ZMQ_STREAM: a STREAM socket reads whatever a peer sends into
// messages of its own choosing, with no way to cap a connection's bytes or give it a deadline
// before libzmq has buffered them, nor to half-close after the response. Here every connection
// is a non-blocking descriptor in one poll(2) loop, with a byte cap and a deadline of its own.
import Foundation
import Glibc

/// Serves the newest exposition text to Prometheus scrapers, never making its owner wait: the
/// owner swaps the text in with `update(_:)` under a lock held only for the assignment, and a
/// single thread does all the socket work.
///
/// Each connection gets one answer and is closed (`Connection: close`). A client that has not sent
/// its whole request head within `Limits.requestTimeout`, or has not taken the response within
/// `Limits.responseTimeout`, is closed; a head over `Limits.maxHeadBytes` gets 431. At most
/// `Limits.maxConnections` are served at once; later ones wait in the kernel's listen queue.
/// `@unchecked Sendable`: its properties are constants, and what they share is under `Shared.lock`.
public final class MetricsEndpoint: @unchecked Sendable {
    /// How long `stop()` waits for the thread to close its sockets.
    static let stopTimeout: Duration = .seconds(2)

    /// What one client may take of the endpoint.
    public struct Limits: Sendable {
        /// The most bytes a request head (request line, headers, blank line) may take; 8 KiB is
        /// far above any scraper's head (Prometheus sends about 300 bytes).
        public var maxHeadBytes = 8192
        /// From connecting to the end of the request head.
        public var requestTimeout: Duration = .seconds(2)
        /// From the end of the request head until the client has taken the response and closed.
        public var responseTimeout: Duration = .seconds(5)
        /// Connections served at once.
        public var maxConnections = 8

        /// The defaults above.
        public init() {}
    }

    /// A `HOST:PORT` to listen on.
    public struct Address: Equatable, Sendable, CustomStringConvertible {
        /// An IP address or host name; IPv6 without brackets (`::1`).
        public var host: String
        /// The TCP port; 0 asks the kernel for a free one.
        public var port: Int

        /// Creates an address.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Reads `HOST:PORT`, `[IPv6]:PORT` or a bare `PORT`, which means loopback
        /// (`127.0.0.1`): exposing the metrics beyond the machine must be asked for by name.
        /// - Parameter text: what the operator wrote, e.g. `9464`, `0.0.0.0:9464`, `[::1]:9464`.
        /// - Throws: `TransportError` (EINVAL) naming the text when it is none of these.
        public init(parsing text: String) throws {
            var host = "127.0.0.1", portText = Substring(text)
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                host = String(text[text.index(after: text.startIndex)..<close])
                portText = text[text.index(after: close)...]
                guard portText.hasPrefix(":") else { throw Self.invalid(text) }
                portText = portText.dropFirst()
            } else if let colon = text.firstIndex(of: ":") {
                host = String(text[..<colon])
                portText = text[text.index(after: colon)...]
            }
            guard !host.isEmpty, !host.contains(" "), portText.allSatisfy(\.isASCII),
                  let port = Int(portText), (0...65_535).contains(port) else { throw Self.invalid(text) }
            self.init(host: host, port: port)
        }

        /// `host:port`, with an IPv6 host in brackets.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        private static func invalid(_ text: String) -> TransportError {
            TransportError(call: "metrics address", endpoint: "\"\(text)\"", code: EINVAL,
                           reason: "expected HOST:PORT, [IPv6]:PORT or PORT (0-65535)",
                           hint: "e.g. 9464 (loopback) or 0.0.0.0:9464 (every interface)")
        }
    }

    /// Where it listens, with the port the kernel chose when 0 was asked for.
    public let address: Address
    /// The limits it was started with.
    public let limits: Limits
    /// State shared with the thread.
    private let shared: Shared

    /// Binds `address` and starts serving on a new thread. Until the first `update(_:)` the
    /// exposition is empty (a valid scrape with no samples).
    /// - Parameters:
    ///   - address: where to listen.
    ///   - limits: what one client may take.
    /// - Throws: `TransportError` naming the address when it does not resolve or cannot be bound
    ///   (`EADDRINUSE` when the port is taken), or when a limit is not positive.
    public init(address: Address, limits: Limits = Limits()) throws {
        guard limits.maxHeadBytes > 0, limits.maxConnections > 0,
              limits.requestTimeout > .zero, limits.responseTimeout > .zero else {
            throw TransportError(call: "MetricsEndpoint", endpoint: address.description, code: EINVAL,
                                 reason: "every limit must be positive")
        }
        let (listener, bound) = try MetricsListener.bind(address)
        var wake: [Int32] = [-1, -1]
        guard pipe(&wake) == 0 else {
            let code = errno
            Glibc.close(listener)
            throw TransportError(call: "pipe", endpoint: bound.description, code: code)
        }
        for fd in wake { _ = fcntl(fd, F_SETFL, O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        self.address = bound
        self.limits = limits
        shared = Shared(wakeWrite: wake[1])
        let loop = MetricsServeLoop(listener: listener, wakeRead: wake[0], limits: limits, shared: shared)
        let thread = Thread { loop.run() }
        thread.name = "recur-metrics"
        thread.start()
    }

    deinit { stop() }

    /// Replaces the text served on `/metrics`; the next request gets it. Takes the lock only to
    /// swap a reference, so the training loop never waits on a client.
    /// - Parameter text: a whole exposition, e.g. `try PrometheusExposition(families).render()`.
    public func update(_ text: String) {
        shared.lock.withLock { shared.exposition = text }
    }

    /// The text a request would get now.
    public var exposition: String { shared.lock.withLock { shared.exposition } }

    /// Stops serving: wakes the thread, which closes the listener and every connection at once.
    /// Waits at most `stopTimeout` for that; idempotent.
    public func stop() {
        shared.lock.withLock {
            shared.stopRequested = true
            if shared.wakeWrite >= 0 {
                var byte: UInt8 = 1
                _ = write(shared.wakeWrite, &byte, 1)
            }
        }
        if shared.exited.wait(timeout: .now() + .milliseconds(Self.stopTimeout.millisecondsRoundedUp)) == .success {
            shared.exited.signal()  // keep it signalled for later calls
        }
    }

    /// The text, the stop flag and the wake pipe, shared by the owner and the thread under `lock`.
    final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var exposition = ""
        var stopRequested = false
        /// The write end of the wake pipe; -1 once the thread has closed it.
        var wakeWrite: Int32
        /// Signalled once the thread has closed every descriptor.
        let exited = DispatchSemaphore(value: 0)

        init(wakeWrite: Int32) { self.wakeWrite = wakeWrite }
    }
}

/// Opening the listening socket.
enum MetricsListener {
    /// Resolves `address`, binds a non-blocking TCP socket to it and listens.
    /// - Returns: the descriptor and the address actually bound (its port filled in).
    /// - Throws: `TransportError` naming the address, with a hint for a port in use or reserved.
    static func bind(_ address: MetricsEndpoint.Address) throws -> (Int32, MetricsEndpoint.Address) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard resolved == 0, let info = found else {
            throw TransportError(call: "getaddrinfo", endpoint: address.description, code: EINVAL,
                                 reason: String(cString: gai_strerror(resolved)),
                                 hint: "give an IP address of this machine, e.g. 127.0.0.1 or 0.0.0.0")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TransportError(call: "socket", endpoint: address.description, code: errno) }
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            let hint: String? = switch code {
            case EADDRINUSE: "the port is in use: choose another --metrics-addr or stop the process using it"
            case EACCES: "ports below 1024 need privileges: choose a port above 1023"
            case EADDRNOTAVAIL: "the host is no address of this machine: use 127.0.0.1 or 0.0.0.0"
            default: nil
            }
            throw TransportError(call: "bind", endpoint: address.description, code: code,
                                 reason: String(cString: strerror(code)), hint: hint)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = storage.ss_family == sa_family_t(AF_INET6)
            ? withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port } }
            : withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port } }
        return (fd, MetricsEndpoint.Address(host: address.host, port: Int(UInt16(bigEndian: port))))
    }
}
