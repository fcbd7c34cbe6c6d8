// NetLab+Commands: the lab's external commands with timeouts, the processes it starts in a
// namespace, and a TCP listener opened inside one.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

extension NetLab {
    /// The executable `name` from PATH, /usr/sbin, /sbin, /usr/bin or /bin.
    static func tool(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return folders.lazy.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs `arguments` (a tool name, then its arguments) to the end.
    /// - Returns: its standard output.
    /// - Throws: `NetLabError` when it is missing, exits non-zero or outlives `seconds`.
    @discardableResult
    static func command(_ arguments: [String], seconds: Double = commandTimeout) throws -> String {
        guard let binary = tool(arguments[0]) else { throw NetLabError(command: arguments, status: nil, stderr: "not found") }
        let p = try ClusterProcess(binary: binary, Array(arguments.dropFirst()), name: arguments[0],
                                   directory: FileManager.default.temporaryDirectory)
        let (status, out, err) = try finish(p, seconds: seconds, command: arguments)
        guard status == 0 else { throw NetLabError(command: arguments, status: status, stderr: err) }
        return out
    }

    /// Waits for `p` (killing it after `seconds`) and for its output to reach end-of-file (at most 1 s more).
    static func finish(_ p: ClusterProcess, seconds: Double, command: [String]) throws
        -> (status: Int32, out: String, err: String) {
        guard p.waitForExit(seconds: seconds) else {
            p.killAndWait()
            throw NetLabError(command: command, status: nil,
                              stderr: "killed after \(seconds) s; stdout: \(p.out.text) stderr: \(p.err.text)")
        }
        let end = Date().addingTimeInterval(1)
        while !(p.out.isFinished && p.err.isFinished) && Date() < end { usleep(5_000) }
        return (p.status ?? -1, p.out.text, p.err.text)
    }

    /// SIGKILLs every process whose network namespace is `name` (children of started processes included).
    static func killProcesses(inNamespace name: String) {
        var target = stat()
        guard stat("\(netnsDirectory)/\(name)", &target) == 0 else { return }
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        for pid in pids where pid != getpid() {
            var ns = stat()
            if stat("/proc/\(pid)/ns/net", &ns) == 0 && ns.st_ino == target.st_ino && ns.st_dev == target.st_dev {
                kill(pid, SIGKILL)
            }
        }
    }

    /// Why `error` means namespaces cannot be made here, or nil when it is an ordinary failure.
    /// With `always`, some reason is given whatever the error (the very first namespace could not be made).
    static func skipReason(_ error: NetLabError, always: Bool) -> String? {
        if geteuid() != 0 { return "not root (euid \(geteuid()))" }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
           let caps = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) {
            let missing = [(21, "CAP_SYS_ADMIN"), (12, "CAP_NET_ADMIN")].filter { caps & (1 << UInt64($0.0)) == 0 }
            if !missing.isEmpty { return "no \(missing.map(\.1).joined(separator: "/"))" }
        }
        if ["Operation not permitted", "Permission denied", "Read-only file system"].contains(where: error.stderr.contains) {
            return "not permitted in this container"
        }
        if error.isUnsupported { return "kernel lacks a feature" }
        return always ? "cannot create a namespace" : nil
    }
}

extension ClusterProcess {
    /// Starts `arguments…` in network namespace `namespace` through `ip netns exec` (and `env` for `environment`),
    /// capturing stdout and stderr like every `ClusterProcess`.
    convenience init(namespace: String, _ arguments: [String], environment: [String: String], name: String) throws {
        guard let ip = NetLab.tool("ip") else { throw NetLabError(command: ["ip"], status: nil, stderr: "not found") }
        let env = environment.isEmpty ? [] : ["env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        try self.init(binary: ip, ["netns", "exec", namespace] + env + arguments, name: name,
                      directory: FileManager.default.temporaryDirectory)
    }
}

// MARK: - Listening inside a host

/// A TCP socket listening at a host's address on an ephemeral port, opened by this process inside the host's
/// namespace (so a lab needs no listener tool). Connections are never accepted; the kernel completes them.
final class NamespaceListener {
    let port: Int
    private var fd: Int32

    fileprivate init(fd: Int32, port: Int) { self.fd = fd; self.port = port }
    deinit { close() }

    /// Stops listening (idempotent).
    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}

extension NetLab {
    /// Opens a listener at `address(of: host)`:<ephemeral port> inside the host.
    /// - Throws: `NetLabError` naming the failing call and its errno.
    func listen(in host: String) throws -> NamespaceListener {
        let ns = namespace(of: host), ip = address(of: host)
        /// Handed from the opening thread to this one; the semaphore orders the accesses.
        final class Outcome: @unchecked Sendable { var result: Result<NamespaceListener, Error>? }
        let outcome = Outcome(), done = DispatchSemaphore(value: 0)
        // setns moves only the calling thread: a thread of its own, which then ends, keeps every other one at home.
        let thread = Thread {
            outcome.result = Result { try Self.openListener(namespace: ns, address: ip) }
            done.signal()
        }
        thread.start()
        done.wait()
        return try outcome.result!.get()
    }

    private static func openListener(namespace: String, address: String) throws -> NamespaceListener {
        func failure(_ call: String) -> NetLabError {
            NetLabError(command: [call, namespace, address], status: errno, stderr: String(cString: strerror(errno)))
        }
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { throw failure("dlsym setns") }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        let home = open("/proc/thread-self/ns/net", O_RDONLY), target = open("\(netnsDirectory)/\(namespace)", O_RDONLY)
        defer { if home >= 0 { Glibc.close(home) }; if target >= 0 { Glibc.close(target) } }
        guard home >= 0, target >= 0, setns(target, 0) == 0 else { throw failure("setns") }
        defer { _ = setns(home, 0) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw failure("socket") }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = inet_addr(address)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && Glibc.listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { let e = failure("bind/listen"); Glibc.close(fd); throw e }
        return NamespaceListener(fd: fd, port: Int(UInt16(bigEndian: sa.sin_port)))
    }
}
