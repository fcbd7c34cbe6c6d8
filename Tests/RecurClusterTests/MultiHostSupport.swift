// MultiHostSupport: one `recur launch` run spread over NetLab hosts — the coordinator and the parameter
// shards on "head", one worker on each of "w1" and "w2", found through torchrun's variables — and its keys.
import Foundation
import XCTest

/// The processes of one multi-host run and the settings they share.
final class MultiHostRun {
    /// The lab's hosts: ranks 0…S on `head`, rank S + 1 + i on `workerHosts[i]`.
    static let hosts = ["head", "w1", "w2"]
    /// Where the workers run, in rank order.
    static let workerHosts = ["w1", "w2"]
    /// The coordinator's port on head; parameter shard k listens on masterPort + 1 + k.
    static let masterPort = 29600
    /// Parameter-server shards S (ranks 1…S).
    static let psShards = 2
    /// Every rank: the coordinator, S shards, one worker per worker host.
    static let worldSize = 1 + psShards + workerHosts.count
    /// Seconds before the coordinator deals an unanswered shard again.
    static let leaseTimeout = 2 // seconds
    /// Seconds a worker or shard waits for its peers before giving up.
    static let peerTimeout = 30 // seconds

    let lab: NetLab
    /// The coordinator's --run-dir.
    let runDir: String
    /// Training flags every rank gets (only the coordinator uses them).
    let flags: [String]
    /// The `recur` executable, run by path inside the hosts.
    let binary: String
    /// Every process started, with a label such as "rank 3 on w1".
    private(set) var started: [(label: String, process: ClusterProcess)] = []

    init(lab: NetLab, runDir: String, flags: [String]) throws {
        self.lab = lab
        self.runDir = runDir
        self.flags = flags
        binary = try ClusterTestCase.binary().path
    }

    /// torchrun's variables for `rank` (none when nil), the shard count, and the key file (or explicitly none).
    func environment(rank: Int?, keys: String?) -> [String: String] {
        var e = ["MASTER_ADDR": lab.address(of: "head"), "MASTER_PORT": String(Self.masterPort),
                 "WORLD_SIZE": String(Self.worldSize), "RECUR_PS_SHARDS": String(Self.psShards),
                 // Set even when empty, so nothing leaks in from the test runner's environment.
                 "RECUR_KEYS": keys ?? "", "RECUR_INSECURE": "0"]
        if let rank { e["RANK"] = String(rank) }
        return e
    }

    /// Starts `recur launch` in `host` without waiting.
    /// - Parameters:
    ///   - label: names the process in failure messages.
    ///   - extra: added to (and overriding) `environment(rank:keys:)`.
    ///   - peerTimeout: seconds a worker or shard waits for its peers.
    /// - Returns: the process, stopped by the lab's `tearDown()`.
    @discardableResult
    func launch(_ label: String, in host: String, rank: Int?, keys: String?, extra: [String: String] = [:],
                peerTimeout: Int = peerTimeout) throws -> ClusterProcess {
        // The namespaces share one kernel, so the roles could map each other's memory: keep the
        // tensors on the simulated network.
        let arguments = [binary, "launch", "--quiet", "--no-shared-memory", "--log-format", "json", "--run-dir", runDir, "--threads", "1",
                         "--lease-timeout", String(Self.leaseTimeout), "--peer-timeout", String(peerTimeout)] + flags
        let p = try lab.run(in: host, arguments, environment: environment(rank: rank, keys: keys).merging(extra) { $1 })
        started.append((label, p))
        return p
    }

    /// Starts every rank with `keys`: the coordinator and the shards on head, then the workers.
    func startAll(keys: String?) throws {
        try startHead(keys: keys)
        try startWorkers(keys: keys)
    }

    /// Starts rank 0 (the coordinator) and ranks 1…S (the shards) on head.
    func startHead(keys: String?) throws {
        try launch("rank 0 on head", in: "head", rank: 0, keys: keys)
        for k in 1...Self.psShards { try launch("rank \(k) on head", in: "head", rank: k, keys: keys) }
    }

    /// Starts the worker ranks, one on each worker host.
    func startWorkers(keys: String?) throws {
        for (i, host) in Self.workerHosts.enumerated() {
            let rank = 1 + Self.psShards + i
            try launch("rank \(rank) on \(host)", in: host, rank: rank, keys: keys)
        }
    }

    /// The process started under `label`.
    func process(_ label: String) -> ClusterProcess {
        guard let p = started.first(where: { $0.label == label })?.process else { preconditionFailure("no process \(label)") }
        return p
    }

    var coordinator: ClusterProcess { process("rank 0 on head") }
    var servers: [ClusterProcess] { (1...Self.psShards).map { process("rank \($0) on head") } }
    /// The worker of `host`.
    func worker(on host: String) -> ClusterProcess {
        process("rank \(1 + Self.psShards + Self.workerHosts.firstIndex(of: host)!) on \(host)")
    }
    /// Every process started, for `waitUntil(showing:)`.
    var all: [ClusterProcess] { started.map(\.process) }

    /// Every process's label and summary, for failure messages.
    var summary: String { started.map { "=== \($0.label)\n\($0.process.summary)" }.joined(separator: "\n") }
}

/// The fields of a key file written by `recur keygen` (`server <pub> <secret>`, `client <name> <pub> <secret>`).
struct KeyFileLines {
    let server: (publicKey: String, secretKey: String)
    let clients: [String: (publicKey: String, secretKey: String)]

    /// Reads and splits `path`.
    /// - Throws: when it cannot be read or lacks a well-formed server line.
    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var server: (String, String)?
        var clients: [String: (String, String)] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ").map(String.init)
            if f.count == 3 && f[0] == "server" { server = (f[1], f[2]) }
            if f.count == 4 && f[0] == "client" { clients[f[1]] = (f[2], f[3]) }
        }
        guard let server else { throw ClusterTestError("\(path): no `server <public> <secret>` line in:\n\(text)") }
        self.server = server
        self.clients = clients
    }
}

extension ClusterTestCase {
    /// `recur keygen --out <work>/<name> --clients coordinator,ps,worker`, run directly (outside the lab).
    /// - Returns: the key file's path.
    func makeKeys(_ name: String) throws -> String {
        let out = path(name)
        let p = try runToEnd(["keygen", "--out", out, "--clients", "coordinator,ps,worker"], name: "keygen", seconds: 30)
        guard p.status == 0 else { throw ClusterTestError("recur keygen failed\n\(p.summary)") }
        return out
    }
}
