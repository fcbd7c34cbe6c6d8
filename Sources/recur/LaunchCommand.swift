// LaunchCommand: `recur launch`, the one command line every process of a multi-host run runs;
// it finds its role and peers from flags or from the scheduler's variables (see Rendezvous).
import ArgumentParser
import Foundation
import RecurIO
import RecurRoles
import RecurTrain
import RecurTransport

/// `recur launch`: becomes the coordinator (rank 0), a parameter-server shard (ranks 1…S) or a
/// worker (the rest).
struct LaunchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch", abstract: "Run one process of a multi-host run; the role comes from the rank.",
        discussion: """
        Every process runs the same command line. Each setting is taken from its flag, else from
        RECUR_* variables, else from torchrun's (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE), else
        from Slurm's (SLURM_PROCID, SLURM_NTASKS, the first host of SLURM_JOB_NODELIST).
        Rank 0 coordinates and writes --run-dir; ranks 1…S serve the parameter slices (port + 1 + k);
        the rest are workers. Without --keys, plain TCP is allowed on loopback only (or --insecure).

        Examples:
          srun recur launch --keys /etc/recur/keys --ps-shards 2 --corpus input.txt --hidden 512 --run-dir /runs/a
          RANK=0 WORLD_SIZE=4 MASTER_ADDR=127.0.0.1 recur launch --run-dir runs/l --steps 100
        """)

    @OptionGroup var flags: TrainFlags
    @OptionGroup var distributed: RunFlags
    @OptionGroup var secure: SecurityFlags
    @OptionGroup var log: LogFlags
    @Option(help: "auto (from the rank), coordinator, ps or worker (else RECUR_ROLE).")
    var role: String?
    @Option(help: "A parameter server's slice when there is no rank (else RECUR_PS_INDEX).")
    var psIndex: Int?
    @Option(help: "This process's rank (else RECUR_RANK, RANK, SLURM_PROCID).")
    var rank: Int?
    @Option(help: "Processes in the run (else RECUR_WORLD_SIZE, WORLD_SIZE, SLURM_NTASKS).")
    var worldSize: Int?
    @Option(help: "The coordinator's host (else RECUR_MASTER_ADDR, MASTER_ADDR, first of SLURM_JOB_NODELIST).")
    var masterAddr: String?
    @Option(help: "The coordinator's port (else RECUR_MASTER_PORT, MASTER_PORT, 29500).")
    var masterPort: Int?
    @Option(help: "Address peers reach this process at (else RECUR_ADVERTISE_ADDR, else the route to the coordinator).")
    var advertiseAddr: String?
    @Option(help: "Run id shared by every process (else RECUR_RUN_ID, SLURM_JOB_ID, else from the coordinator's address).")
    var runId: UInt64?
    @Option(help: "Coordinator: workers to wait for before step 1 (default: WORLD_SIZE − 1 − S; more may join later).")
    var workers: Int?
    @Option(help: "BLAS threads.")
    var threads: Int = 1
    @Option(help: "Seconds a worker or server waits for its peers before giving up.")
    var peerTimeout: Double = 300

    /// Workers the coordinator waits for: --workers, else what the world size leaves.
    func expectedWorkers(_ plan: LaunchPlan) throws -> Int? {
        let implied = plan.worldSize.map { max(1, $0 - 1 - plan.psShards) }
        if let workers, let implied, workers != implied {
            throw ValidationError("--workers \(workers) disagrees with world size \(plan.worldSize!) and --ps-shards \(plan.psShards), which leave \(implied)")
        }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1, got \(workers)") }
        return workers ?? implied
    }

    func run() throws {
        log.apply()
        RoleSupport.installStopHandlers()
        let env = ProcessInfo.processInfo.environment
        var s = LaunchSettings()
        s.role = role; s.rank = rank; s.worldSize = worldSize; s.masterAddr = masterAddr; s.masterPort = masterPort
        s.psShards = distributed.psShards; s.psIndex = psIndex; s.advertiseAddr = advertiseAddr; s.runID = runId
        let plan = try Rendezvous.plan(s, environment: env)
        let roleName: String
        switch plan.role { case .coordinator: roleName = "coordinator"; case .ps: roleName = "ps"; case .worker: roleName = "worker" }
        let keysPath = secure.keys ?? env["RECUR_KEYS"].flatMap { $0.isEmpty ? nil : $0 }
        let security = try RoleSecurity(keys: try keysPath.map { try CurveKeys.load(path: $0) },
                                        keyName: secure.keyName ?? env["RECUR_KEY_NAME"] ?? roleName,
                                        insecure: secure.insecure || env["RECUR_INSECURE"] == "1")
        note(LogRecord(.launchPlan, "launch: \(roleName)\(plan.rank.map { " rank \($0)" } ?? "") of a run with \(plan.psShards) parameter shard(s), "
             + "coordinator \(plan.coordinatorEndpoint), run id \(plan.runID), security \(security.mechanism); from \(plan.sources.joined(separator: ", "))",
             [("assigned_role", .string(roleName)), ("rank", plan.rank.map { .int($0) } ?? .null), ("ps_shards", .int(plan.psShards)),
              ("coordinator", .string(plan.coordinatorEndpoint)), ("run_id", .string(String(plan.runID))),
              ("security", .string(security.mechanism)), ("sources", .string(plan.sources.joined(separator: ", ")))]))
        setThreads(threads)
        switch plan.role {
        case .coordinator:
            guard flags.runDir != nil || distributed.resume != nil else { throw ValidationError("--run-dir is required on the coordinator (or --resume RUN_DIR)") }
            var o = flags.options(threads: threads)
            var state: ResumeState?
            if let path = distributed.resume {
                // Schedulers restart the same command line: a first start finds no run folder yet.
                if !FileManager.default.fileExists(atPath: path) {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                }
                (o, state) = try resolveResume(path, runDir: flags.runDir, options: o)
            }
            let path = try CoordinatorRunner(options: o, bind: plan.bindEndpoint!, psEndpoints: Array(repeating: nil, count: plan.psShards),
                                             runID: plan.runID, leaseTimeoutMs: Int(distributed.leaseTimeout * 1000),
                                             mode: distributed.mode, staleness: distributed.staleness,
                                             sharedMemory: distributed.sharedMemory, resume: state,
                                             security: security,
                                             expectedWorkers: try expectedWorkers(plan),
                                             metricsAddress: try distributed.metricsAddress()).run()
            note("coordinator: checkpoint \(path)")
        case .ps(let k):
            try ParameterServerRunner(bind: plan.bindEndpoint!, runID: plan.runID, peerTimeoutMs: Int(peerTimeout * 1000), security: security,
                                      registration: .init(coordinator: plan.coordinatorEndpoint, advertised: plan.advertisedEndpoint!,
                                                          slice: k)).run()
        case .worker:
            let name = plan.rank.map { "worker-r\($0)" } ?? "worker-\(ProcessInfo.processInfo.hostName)-\(getpid())"
            try WorkerRunner(coordinator: plan.coordinatorEndpoint, name: name, runID: plan.runID, threads: threads,
                             peerTimeoutMs: Int(peerTimeout * 1000), security: security).run()
        }
    }
}
