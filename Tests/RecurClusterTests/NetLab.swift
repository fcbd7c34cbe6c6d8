// NetLab: "real hosts" on this machine — one network namespace per host, all wired to one bridge (Linux, root).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A lab command that failed or ran out of time; names the command, its exit status and its standard error.
struct NetLabError: Error, CustomStringConvertible {
    let command: [String]
    /// The exit status, or nil when it could not start or was killed at its deadline.
    let status: Int32?
    let stderr: String

    var description: String {
        let how = status.map { "exited with status \($0)" } ?? "did not finish"
        return "`\(command.joined(separator: " "))` \(how): \(stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
    }

    /// True when the message says the kernel or the tools lack something (e.g. "Specified qdisc kind is unknown").
    var isUnsupported: Bool {
        ["not supported", "Unknown device type", "qdisc kind is unknown", "Unknown qdisc"].contains { stderr.contains($0) }
    }
}

/// Hosts `recur-<pid>-<host>` with `eth0` at `10.77.<k>.<i>/24`, each joined by a veth pair to the bridge `br0` of
/// the switch namespace `recur-<pid>-sw`. Everything it made is removed by `tearDown()` (also run by deinit).
final class NetLab {
    /// The longest one `ip` or `tc` command may take before it is killed.
    static let commandTimeout: Double = 10 // seconds
    /// How long started processes get between SIGTERM and SIGKILL in `tearDown()`.
    static let terminationGrace: Double = 0.5 // seconds
    /// Where `ip netns` keeps its namespace handles.
    static let netnsDirectory = "/run/netns"

    /// The host names, in the order given to `make`; host `i` (from 0) has address `10.77.<k>.<i+1>`.
    let hosts: [String]
    /// "recur-<pid>-sw": holds the bridge and the switch end of every link.
    let switchNamespace: String
    /// The third octet of every address, `k`, taken from the pid.
    let subnet: Int
    /// Namespaces this lab created, in order; only these are ever deleted.
    private var made: [String] = []
    /// Processes started with `run`, stopped by `tearDown()`.
    private var started: [ClusterProcess] = []

    private init(hosts: [String]) {
        let pid = Int(getpid())
        self.hosts = hosts
        switchNamespace = "recur-\(pid)-sw"
        subnet = pid % 250 + 1
    }

    deinit { tearDown() }

    /// Builds the lab: the switch, then each host with its link, address and `lo` up.
    /// - Parameters:
    ///   - hosts: distinct names, none "sw", at most 253.
    ///   - file: where a skip is reported.
    ///   - line: where a skip is reported.
    /// - Returns: the lab, ready.
    /// - Throws: `XCTSkip` naming the reason, the command and its stderr when namespaces cannot be made here
    ///   (not root, no CAP_SYS_ADMIN/CAP_NET_ADMIN, iproute2 missing, kernel without veth or bridge);
    ///   `NetLabError` for any other failing command. A partly built lab is torn down first.
    static func make(hosts: [String], file: StaticString = #filePath, line: UInt = #line) throws -> NetLab {
        precondition(!hosts.isEmpty && hosts.count <= 253 && Set(hosts).count == hosts.count && !hosts.contains("sw"),
                     "NetLab hosts must be 1...253 distinct names other than \"sw\": \(hosts)")
        guard tool("ip") != nil else {
            throw XCTSkip("network namespaces unavailable here (iproute2 missing): `ip` failed: not found in PATH, "
                          + "/usr/sbin or /sbin", file: file, line: line)
        }
        sweepStale()
        let lab = NetLab(hosts: hosts)
        do {
            try lab.addNamespace(lab.switchNamespace)
            try lab.build()
            return lab
        } catch {
            lab.tearDown()
            guard let error = error as? NetLabError,
                  let reason = skipReason(error, always: error.command == ["ip", "netns", "add", lab.switchNamespace])
            else { throw error }
            throw XCTSkip("network namespaces unavailable here (\(reason)): `\(error.command.joined(separator: " "))` "
                          + "failed: \(error.stderr.trimmingCharacters(in: .whitespacesAndNewlines))", file: file, line: line)
        }
    }

    /// The hosts, their links and addresses, once the switch namespace exists.
    private func build() throws {
        let sw = switchNamespace
        try Self.command(["ip", "-n", sw, "link", "set", "lo", "up"])
        try Self.command(["ip", "-n", sw, "link", "add", "br0", "type", "bridge"])
        try Self.command(["ip", "-n", sw, "link", "set", "br0", "up"])
        for (i, host) in hosts.enumerated() {
            let ns = namespace(of: host), veth = switchEnd(i)
            try addNamespace(ns)
            try Self.command(["ip", "-n", ns, "link", "set", "lo", "up"])
            try Self.command(["ip", "-n", sw, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns])
            try Self.command(["ip", "-n", sw, "link", "set", veth, "master", "br0", "up"])
            try Self.command(["ip", "-n", ns, "addr", "add", "\(address(of: host))/24", "dev", "eth0"])
            try Self.command(["ip", "-n", ns, "link", "set", "eth0", "up"])
        }
    }

    private func addNamespace(_ name: String) throws {
        try Self.command(["ip", "netns", "add", name])
        made.append(name)
    }

    private func index(of host: String) -> Int {
        guard let i = hosts.firstIndex(of: host) else { preconditionFailure("no host \"\(host)\" in this lab: \(hosts)") }
        return i
    }

    /// The switch end of host `i`'s link, in `switchNamespace`.
    private func switchEnd(_ i: Int) -> String { "veth\(i)" }

    /// "recur-<pid>-<host>".
    func namespace(of host: String) -> String { "recur-\(getpid())-\(host)" }

    /// The host's IPv4 address, e.g. "10.77.12.2".
    func address(of host: String) -> String { "10.77.\(subnet).\(index(of: host) + 1)" }

    /// Starts `arguments…` inside the host (`ip netns exec`), without waiting; `tearDown()` stops it.
    /// - Parameters:
    ///   - host: a host of this lab.
    ///   - arguments: the program (looked up in PATH) and its arguments.
    ///   - environment: added to this process's environment.
    /// - Returns: the process; its stdout and stderr are captured live in `out` and `err`.
    /// - Throws: when it cannot be started.
    func run(in host: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ClusterProcess {
        let p = try ClusterProcess(namespace: namespace(of: host), arguments, environment: environment,
                                   name: "\(host): \(arguments.first ?? "")")
        started.append(p)
        return p
    }

    /// Runs `arguments…` inside the host to the end.
    /// - Parameters:
    ///   - host: a host of this lab.
    ///   - arguments: the program (looked up in PATH) and its arguments.
    ///   - timeout: seconds before it is killed.
    /// - Returns: its exit status (the signal number if a signal ended it) and its stdout followed by its stderr.
    /// - Throws: `NetLabError` when it cannot start or is still running after `timeout`.
    func runAndWait(in host: String, _ arguments: [String], timeout: Double = commandTimeout) throws
        -> (status: Int32, output: String) {
        let p = try ClusterProcess(namespace: namespace(of: host), arguments, environment: [:], name: host)
        let (status, out, err) = try Self.finish(p, seconds: timeout, command: ["ip", "netns", "exec", namespace(of: host)] + arguments)
        return (status, out + err)
    }

    /// Takes the host's link down at the switch: its eth0 loses carrier and no frame passes either way.
    func cutLink(of host: String) throws {
        try Self.command(["ip", "-n", switchNamespace, "link", "set", switchEnd(index(of: host)), "down"])
    }

    /// Brings back a link taken down by `cutLink(of:)`.
    func restoreLink(of host: String) throws {
        try Self.command(["ip", "-n", switchNamespace, "link", "set", switchEnd(index(of: host)), "up"])
    }

    /// Sets netem `delay` and `rate` on both ends of the host's link, so a round trip to it gains 2 × `delay`.
    /// - Throws: `NetLabError` (with `isUnsupported` true when the kernel has no sch_netem).
    func shape(host: String, rate: String = "1gbit", delay: String = "0.2ms") throws {
        let netem = ["root", "netem", "delay", delay, "rate", rate]
        try Self.command(["tc", "-n", namespace(of: host), "qdisc", "replace", "dev", "eth0"] + netem)
        try Self.command(["tc", "-n", switchNamespace, "qdisc", "replace", "dev", switchEnd(index(of: host))] + netem)
    }

    /// The bytes received and sent by the host's eth0 so far (from `ip -s -j link`).
    func counters(of host: String) throws -> (rxBytes: Int, txBytes: Int) {
        let command = ["ip", "-n", namespace(of: host), "-s", "-j", "link", "show", "dev", "eth0"]
        let json = try Self.command(command)
        guard let links = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
              let stats = links.first?["stats64"] as? [String: Any],
              let rx = (stats["rx"] as? [String: Any])?["bytes"] as? Int,
              let tx = (stats["tx"] as? [String: Any])?["bytes"] as? Int
        else { throw NetLabError(command: command, status: 0, stderr: "no stats64 rx/tx bytes in: \(json)") }
        return (rx, tx)
    }

    /// Stops every started process (SIGTERM, then SIGKILL after `terminationGrace`), kills whatever else still
    /// runs inside the lab's namespaces, and deletes those namespaces (which removes their links). Idempotent.
    func tearDown() {
        for p in started { p.send(SIGTERM) }
        let graceEnd = Date().addingTimeInterval(Self.terminationGrace)
        while started.contains(where: \.isRunning) && Date() < graceEnd { usleep(20_000) }
        // Everything inside first: Foundation sees a process end only once its descendants have let go of it.
        for ns in made { Self.killProcesses(inNamespace: ns) }
        for p in started { p.killAndWait() }
        started.removeAll()
        for ns in made.reversed() { _ = try? Self.command(["ip", "netns", "delete", ns]) }
        made.removeAll()
    }

    /// Deletes `recur-<pid>-*` namespaces whose pid no longer exists (left by a crashed run), killing what runs in them.
    static func sweepStale() {
        guard let list = try? command(["ip", "netns", "list"]) else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-", maxSplits: 2)
            guard parts.count == 3, parts[0] == "recur", let pid = Int32(parts[1]), pid != getpid() else { continue }
            guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
            killProcesses(inNamespace: name)
            _ = try? command(["ip", "netns", "delete", name])
        }
    }
}

// MARK: - Commands and processes
