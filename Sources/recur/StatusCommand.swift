// StatusCommand: `recur status` — a live run's workers, servers and progress, asked of its
// coordinator; for a run that has ended, what its folder says.
import ArgumentParser
import Foundation
import RecurIO
import RecurRoles
import RecurTrain
import RecurWire

/// `recur status`: which worker is slow, which one died, how far the run is.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a run's workers, servers and progress.",
        discussion: """
        Given a run folder, asks the coordinator that `recur train` or `recur launch` started there
        (it leaves its address in RUN_DIR/coordinator.json while it runs); given an endpoint,
        asks that coordinator (with --run-id). A run that has ended is read from its folder.

        Examples:
          recur status runs/demo
          recur status runs/demo --watch
          recur status tcp://10.0.0.1:29500 --run-id 43 --keys keys --json
        """)

    @Argument(help: "A run folder, or a coordinator's endpoint (tcp://host:port).")
    var target: String
    @Option(help: "The run's id (with an endpoint; a run folder names its own).")
    var runID: UInt64 = 0
    @Flag(help: "Print one JSON object.")
    var json = false
    @Flag(help: "Ask again every --interval seconds until the run ends.")
    var watch = false
    @Option(help: "Seconds between questions with --watch.")
    var interval: Double = 2
    @Option(help: "Seconds to wait for the coordinator's answer.")
    var timeout: Double = 3
    @OptionGroup var secure: SecurityFlags

    func validate() throws {
        if !(interval > 0) || !(timeout > 0) { throw ValidationError("--interval and --timeout must be positive") }
    }

    func run() throws {
        let security = try secure.security(role: "status")
        while true {
            let live = try askOnce(security)
            if !watch || !live { return }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// Prints the run's status once; returns whether a coordinator answered.
    func askOnce(_ security: RoleSecurity) throws -> Bool {
        let isEndpoint = target.contains("://")
        let address = isEndpoint ? nil : CoordinatorAddress.read(runDirectory: target)
        if let endpoint = isEndpoint ? target : address?.connectable {
            let id = isEndpoint ? runID : UInt64(address?.runID ?? "") ?? 0
            if let reply = try StatusClient.ask(endpoint: endpoint, runID: id, security: security,
                                                timeout: .milliseconds(Int(timeout * 1000))) {
                try show(reply, endpoint: endpoint)
                return true
            }
            if isEndpoint { throw TrainError.badOption("no answer from a coordinator at \(endpoint) within \(timeout) s") }
        }
        try showEnded(noAnswerFrom: address?.endpoint)
        return false
    }

    /// A live run's table (or JSON).
    func show(_ r: WireStatusReply, endpoint: String) throws {
        if json { return try printJSON(StatusReport(live: true, reply: r, endpoint: endpoint)) }
        let percent = r.totalSteps > 0 ? Double(r.step) / Double(r.totalSteps) * 100 : 0
        print(String(format: "run %@: step %llu/%llu (%.0f%%), loss %.4f, ETA %@, last checkpoint %@", r.state, r.step, r.totalSteps,
                     percent, r.loss, ProgressLine.clock(r.etaSeconds), r.lastCheckpointStep > 0 ? "step \(r.lastCheckpointStep)" : "none yet"))
        print("shards dealt again \(r.shardsRedealt), duplicates dropped \(r.duplicatesDropped), leases outstanding \(r.leasesOutstanding)"
              + (r.checkpointsSkipped > 0 ? ", checkpoints skipped for lack of space \(r.checkpointsSkipped)" : ""))
        var rows = [["worker", "host", "state", "shard", "done", "tokens/s", "heard"]]
        for w in r.workers {
            rows.append([w.name, w.host, w.state, w.shard.map(String.init) ?? "-", "\(w.shardsDone)",
                         String(format: "%.0f", w.tokensPerSecond), String(format: "%.1fs ago", w.secondsSinceHeard)])
        }
        printTable(rows)
        printTable([["server", "endpoint", "version", "heard"]] + r.servers.map {
            ["\($0.slice)", $0.endpoint, "\($0.version)", String(format: "%.1fs ago", $0.secondsSinceHeard)]
        })
    }

    /// A run that no coordinator answers for: its last metrics line and newest checkpoint.
    func showEnded(noAnswerFrom endpoint: String?) throws {
        let metrics = (target as NSString).appendingPathComponent("metrics.jsonl")
        guard FileManager.default.fileExists(atPath: metrics) else {
            throw TrainError.badOption("\(target): no live coordinator and no metrics.jsonl (not a run folder?)")
        }
        let last = Trainer.lastMetrics(runDirectory: target)
        let checkpoint = CheckpointStore(runDirectory: target).latest()
        let total = (try? ResumeState.load(target))??.trainer.totalSteps
        if json {
            return try printJSON(StatusReport(live: false, step: last?.step, totalSteps: total, loss: last?.loss,
                                              lastCheckpoint: checkpoint, unansweredEndpoint: endpoint))
        }
        let why = endpoint.map { "no coordinator answers at \($0) (it has stopped)" } ?? "the run has ended (no live coordinator)"
        print("\(why): step \(last?.step.description ?? "?")/\(total?.description ?? "?"), loss "
              + (last?.loss.map { String(format: "%.4f", $0) } ?? "?") + ", last checkpoint \(checkpoint ?? "none")")
    }

    func printTable(_ rows: [[String]]) {
        guard let width = rows.first?.count else { return }
        let widths = (0..<width).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}

/// `recur status --json`.
struct StatusReport: Encodable {
    var live: Bool
    var endpoint: String?
    var state: String?
    var step: Int?
    var total_steps: Int?
    var loss: Double?
    var eta_seconds: Double?
    var last_checkpoint_step: Int?
    var last_checkpoint: String?
    var checkpoints_skipped: Int?
    var shards_redealt: Int?
    var duplicates_dropped: Int?
    var leases_outstanding: Int?
    var workers: [Worker]?
    var servers: [Server]?
    var unanswered_endpoint: String?

    struct Worker: Encodable {
        var name, host, state: String
        var shard: Int?
        var shards_done: Int
        var tokens_per_second, seconds_since_heard: Double
    }

    struct Server: Encodable {
        var slice: Int
        var endpoint: String
        var version: Int
        var seconds_since_heard: Double
    }

    init(live: Bool, reply r: WireStatusReply, endpoint: String) {
        self.live = live
        self.endpoint = endpoint
        state = r.state
        step = Int(r.step)
        total_steps = Int(r.totalSteps)
        loss = r.loss.isFinite ? r.loss : nil
        eta_seconds = r.etaSeconds
        last_checkpoint_step = Int(r.lastCheckpointStep)
        checkpoints_skipped = Int(r.checkpointsSkipped)
        shards_redealt = Int(r.shardsRedealt)
        duplicates_dropped = Int(r.duplicatesDropped)
        leases_outstanding = Int(r.leasesOutstanding)
        workers = r.workers.map { Worker(name: $0.name, host: $0.host, state: $0.state, shard: $0.shard, shards_done: Int($0.shardsDone),
                                         tokens_per_second: $0.tokensPerSecond, seconds_since_heard: $0.secondsSinceHeard) }
        servers = r.servers.map { Server(slice: Int($0.slice), endpoint: $0.endpoint, version: Int($0.version),
                                         seconds_since_heard: $0.secondsSinceHeard) }
    }

    init(live: Bool, step: Int?, totalSteps: Int?, loss: Double?, lastCheckpoint: String?, unansweredEndpoint: String?) {
        self.live = live
        self.step = step
        total_steps = totalSteps
        self.loss = loss
        last_checkpoint = lastCheckpoint
        unanswered_endpoint = unansweredEndpoint
    }
}
