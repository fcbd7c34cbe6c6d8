// RoleCommands: `recur ps`, `recur coordinator` and `recur worker`, each one role of a
// distributed run, for runs whose processes are started by hand or by a scheduler.
import ArgumentParser
import Foundation
import RecurRoles
import RecurTrain
import RecurTransport

extension UpdateMode: ExpressibleByArgument {}

/// How a distributed run goes: shared by `recur train` and `recur coordinator`.
struct RunFlags: ParsableArguments {
    @Option(help: "Seconds before an unanswered shard is dealt to another worker.")
    var leaseTimeout: Double = 30
    @Option(help: "sync: sum every shard of a step, bit-identical to one process; async: apply each shard as it arrives.")
    var mode: UpdateMode = .sync
    @Option(help: "Async: the most versions a gradient's weights may lag behind.")
    var staleness: Int = 1
    @Option(help: "Continue a run: a run folder (its newest valid checkpoint) or a checkpoint folder.")
    var resume: String?
    @Option(help: "Parameter-server shards: the parameters are cut into this many slices, one server each (sync mode).")
    var psShards: Int?
    @Flag(inversion: .prefixedNo, help: "Workers and servers on one host exchange tensors through shared memory (sealed memfds) instead of TCP.")
    var sharedMemory = true
    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics from the coordinator (a bare PORT is loopback; off by default).")
    var metricsAddr: String?

    /// The parsed `--metrics-addr`.
    func metricsAddress() throws -> MetricsEndpoint.Address? {
        try metricsAddr.map { text in
            do { return try MetricsEndpoint.Address(parsing: text) } catch { throw ValidationError("--metrics-addr \(text): \(error)") }
        }
    }

    /// These flags for a coordinator started by the local launcher, without `--resume` (which the
    /// launcher decides per attempt); like `TrainOptions.arguments`, built from the parsed values.
    var arguments: [String] {
        ["--lease-timeout=\(leaseTimeout)", "--mode=\(mode.rawValue)", "--staleness=\(staleness)"]
            + (psShards.map { ["--ps-shards=\($0)"] } ?? []) + (sharedMemory ? [] : ["--no-shared-memory"])
            + (metricsAddr.map { ["--metrics-addr=\($0)"] } ?? [])
    }
}

/// How a role secures its sockets: shared by every role command and `recur launch`.
struct SecurityFlags: ParsableArguments {
    @Option(help: "The run's CURVE key file (made by `recur keygen`): every socket is encrypted and only listed clients are admitted.")
    var keys: String?
    @Option(help: "This process's client key in --keys (default: the role, e.g. worker).")
    var keyName: String?
    @Flag(help: "Allow plain, unauthenticated TCP off loopback (only on a network you trust).")
    var insecure = false

    /// The setting for a process whose default client key is `role`.
    func security(role: String) throws -> RoleSecurity {
        let keys = try self.keys.map { try CurveKeys.load(path: $0) }
        return try RoleSecurity(keys: keys, keyName: keyName ?? role, insecure: insecure)
    }
}

/// Options every role command takes.
struct RoleFlags: ParsableArguments {
    @Option(help: "Run id shared by every process of the run (0 accepts any).")
    var runId: UInt64 = 0
    @Flag(help: "Exit when the parent process exits (set by the local launcher).")
    var dieWithParent = false
    @OptionGroup var log: LogFlags

    /// Applies process-wide settings: the log format, stop signals, and stopping when the parent exits.
    func apply() {
        log.apply()
        RoleSupport.installStopHandlers()
        if dieWithParent { RoleSupport.watchParent() }
    }
}

/// `recur ps`: the parameter server.
struct PSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "Run the parameter server of a distributed run.",
        discussion: """
        Binds one ROUTER socket that the coordinator and the workers connect to, prints
        `endpoint <address>` on standard output, and serves until the coordinator ends the run.

        Example:
          recur ps --bind tcp://0.0.0.0:5555 --run-id 42
        """)

    @Option(help: "Endpoint to bind (port * picks a free one).")
    var bind: String = "tcp://127.0.0.1:5555"
    @Option(help: "Seconds without the coordinator after which the server gives up.")
    var peerTimeout: Double = 120
    @Option(help: "Threads for the update (workers are idle while it runs in sync mode).")
    var threads: Int = 2
    @OptionGroup var role: RoleFlags
    @OptionGroup var secure: SecurityFlags

    func run() throws {
        role.apply()
        setThreads(threads)
        try ParameterServerRunner(bind: bind, runID: role.runId, peerTimeoutMs: Int(peerTimeout * 1000),
                                  security: try secure.security(role: "ps")).run()
    }
}

/// `recur coordinator`: the coordinator.
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator", abstract: "Run the coordinator of a distributed run.",
        discussion: """
        Loads the corpus, configures the parameter server, deals shards to the workers that
        connect to --bind, and writes RUN_DIR/metrics.jsonl and the final checkpoint.
        Takes every model and data flag of `recur train`.

        Example:
          recur coordinator --bind tcp://0.0.0.0:5556 --ps tcp://ps-host:5555 --run-id 42 --steps 1000 --run-dir runs/c
        """)

    @OptionGroup var flags: TrainFlags
    @Option(help: "Endpoint to bind for workers (port * picks a free one).")
    var bind: String = "tcp://127.0.0.1:5556"
    @Option(help: "A parameter server's endpoint; repeat it, in slice order, for --ps-shards servers.")
    var ps: [String] = []
    @Option(help: "BLAS threads (validation only).")
    var threads: Int = 1
    @OptionGroup var distributed: RunFlags
    @OptionGroup var role: RoleFlags
    @OptionGroup var secure: SecurityFlags

    /// One endpoint per slice: the --ps list, or (with --ps-shards and no --ps) slots the servers
    /// fill by registering.
    func psEndpoints() throws -> [String?] {
        let shards = distributed.psShards ?? max(1, ps.count)
        if ps.isEmpty { return shards == 1 && distributed.psShards == nil ? ["tcp://127.0.0.1:5555"] : Array(repeating: nil, count: shards) }
        guard ps.count == shards else { throw ValidationError("--ps-shards \(shards) needs \(shards) --ps endpoints, got \(ps.count)") }
        return ps
    }

    func run() throws {
        role.apply()
        guard flags.runDir != nil || distributed.resume != nil else { throw ValidationError("--run-dir is required (or --resume RUN_DIR)") }
        var o = flags.options(threads: threads)
        var state: ResumeState?
        if let path = distributed.resume { (o, state) = try resolveResume(path, runDir: flags.runDir, options: o) }
        setThreads(threads)
        let path = try CoordinatorRunner(options: o, bind: bind, psEndpoints: try psEndpoints(), runID: role.runId,
                                         leaseTimeoutMs: Int(distributed.leaseTimeout * 1000), mode: distributed.mode,
                                         staleness: distributed.staleness, sharedMemory: distributed.sharedMemory,
                                         resume: state, security: try secure.security(role: "coordinator"),
                                         metricsAddress: try distributed.metricsAddress()).run()
        note("coordinator: checkpoint \(path)")
    }
}

/// `recur worker`: a worker.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run a worker of a distributed run.",
        discussion: """
        Connects to the coordinator, receives the run configuration and the parameter server's
        address, and computes shards until the run ends. Workers may join or leave at any time;
        SIGTERM hands back the shard in hand.

        Example:
          recur worker --connect tcp://coordinator-host:5556 --run-id 42 --threads 1
        """)

    @Option(help: "The coordinator's endpoint.")
    var connect: String = "tcp://127.0.0.1:5556"
    @Option(help: "Worker name, unique in the run (default: worker-<host>-<pid>).")
    var name: String?
    @Option(help: "BLAS threads.")
    var threads: Int = 1
    @Option(help: "Seconds to wait for the coordinator's welcome before giving up.")
    var peerTimeout: Double = 60
    @OptionGroup var role: RoleFlags
    @OptionGroup var secure: SecurityFlags

    func run() throws {
        role.apply()
        setThreads(threads)
        let id = name ?? "worker-\(ProcessInfo.processInfo.hostName)-\(getpid())"
        try WorkerRunner(coordinator: connect, name: id, runID: role.runId, threads: threads,
                         peerTimeoutMs: Int(peerTimeout * 1000), security: try secure.security(role: "worker")).run()
    }
}
