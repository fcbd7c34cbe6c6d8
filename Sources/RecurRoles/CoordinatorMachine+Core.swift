// CoordinatorMachine+Core: the coordinator machine's data and its reaction to each event. Only
// the machine holds its core (privately), so nothing but `handle` ever changes it.
import RecurMath
import RecurModel
import RecurData
import RecurTrain
import RecurWire

extension CoordinatorMachine {
    /// Everything the machine knows, and the logic over it (split by aspect across the
    /// `CoordinatorMachine+…` files).
    final class Core {
        typealias Event = CoordinatorMachine.Event
        typealias Action = CoordinatorMachine.Action
        typealias State = CoordinatorMachine.State
        typealias StepReport = CoordinatorMachine.StepReport
        typealias Counters = CoordinatorMachine.Counters
        typealias StepWeights = CoordinatorMachine.StepWeights
        typealias WeightsRead = CoordinatorMachine.WeightsRead

        enum ShardState: Equatable { case open, leased(lease: UInt64, worker: String, deadlineMs: Int), done }

        struct WorkerInfo {
            var lastSeenMs: Int
            var lease: UInt64?
            var welcomedMs: Int?
            /// What `recur status` shows: the host it named, results it reported, and the target
            /// tokens and compute milliseconds of those results.
            var host = "", shardsDone = 0, tokens = 0, computeMs = 0.0
        }

        /// The run's id.
        let runID: UInt64
        /// This coordinator process's random id, sent in every Welcome: servers and workers that see
        /// a new one start over (the coordinator was restarted).
        let incarnation = UInt64.random(in: 1...UInt64(Int64.max))
        /// Slice k's registered server process (pid and host), to tell a restarted one.
        var psProcess: [Int: (pid: UInt32, host: String)] = [:]
        /// The shared configuration.
        let config: RunConfig
        /// Parameter-server endpoints handed to workers, one per slice; nil until that slice's server
        /// registers (a run started by `recur launch`).
        var psEndpoints: [String?]
        /// The parameter slices.
        let parameterShards: ParameterShards
        /// Workers to wait for before the first shard is dealt (a launch that knows its world size);
        /// nil once dealing has begun. The wait ends after one lease timeout whatever came.
        var expectedWorkers: Int?
        /// When the run logs, evaluates and checkpoints, and how long it is.
        let schedule: RunSchedule
        /// Where the run is.
        var state: State = .waitingForServers(configured: [], version: nil)
        /// When each slice's server was last heard from (set at `.start`).
        var psHeardMs: [Int] = []
        /// When the servers were last sent a heartbeat.
        var psBeatMs: Int?
        /// When the last checkpoint was written (or the run started), for checkpoints by time.
        var lastCheckpointMs = 0
        /// For `recur status`: the step of the newest checkpoint written and how many were skipped
        /// (as the runner reports them), the last step's loss, when and at which step this
        /// process began dealing (for the ETA), each slice's newest version and the workers that
        /// left or were dropped (most recent first, at most `departedKept`).
        var lastCheckpointStep = 0, checkpointsSkipped = 0, lastLoss = Double.nan, startedAt: (ms: Int, step: Int)?
        var sliceVersions: [Int: UInt64] = [:]
        var departed: [WireWorkerStatus] = []
        var rendezvousDeadlineMs: Int?
        /// Routing ids of parameter servers that registered over the worker socket.
        var psRegistrants = Set<String>()
        /// Sync: slices that applied the current step, and the norm it reported.
        var applied = Set<Int>()
        /// Sync, S > 1: the current step's block sums of squares, by slice.
        var normParts: [Int: [Double]] = [:]
        /// Sync: the slices that accepted each shard's gradient.
        var acks: [Set<Int>]
        /// Final lane states [n, L, S, H] of shards that slice 0 accepted and another slice has not yet.
        var arrivedStates: [Int: [Float]] = [:]
        /// The step being computed (0-based); equals the steps done.
        var step = 0
        /// The parameter server's weight version, once known.
        var version: UInt64?
        /// Faults handled.
        var counters = Counters()
        /// Every lane's carried state [B, L, S, H].
        let laneState: FloatBuffer
        /// Where every step's shards come from.
        let source: ShardSource
        var shards: [ShardState]
        var losses: [(sum: Double, count: Int)?]
        var workers: [String: WorkerInfo] = [:]
        var joinOrder: [String] = []
        var nextLease: UInt64 = 1
        var sequence: UInt64 = 0
        /// Refusals of the current step's shards by the parameter server, by shard.
        var refusals: [Int: Int] = [:]
        /// Async: chunks done per shard (each shard's own step counter).
        var chunks: [Int]
        /// Async: shards whose result arrived and whose update announcement has not, in order.
        var awaitingApply: [Int] = []
        /// Async: updates applied, and the loss and staleness of the current reporting window.
        var updates = 0
        var window = (loss: 0.0, tokens: 0, staleness: 0, maxStaleness: 0, norm: 0.0)

        /// A resumed run's weights and moments ("params", "m", "v"), each [P], cut into slices for the
        /// servers' configuration.
        let resumeTensors: [(name: String, values: [Float])]

        init(runID: UInt64, config: RunConfig, psEndpoints: [String?], source: ShardSource,
             resumeFrames: [WireFrame], hidden: [Float]?, schedule: RunSchedule?, expectedWorkers: Int?) {
            self.schedule = schedule ?? RunSchedule(totalSteps: config.totalSteps)
            precondition(self.schedule.totalSteps == config.totalSteps, "the schedule and the configuration agree on the run's length")
            self.expectedWorkers = expectedWorkers
            resumeTensors = resumeFrames.compactMap { f in (try? f.floats()).map { (f.name, $0) } }
            parameterShards = (try? config.parameterShards) ?? (try! ParameterShards(count: ParameterLayout(config.model).count, shards: 1))
            precondition(psEndpoints.count == parameterShards.shards, "one endpoint (or nil) per parameter slice")
            self.runID = runID
            self.config = config
            self.psEndpoints = psEndpoints
            self.source = source
            let lanes = FloatBuffer(count: config.batch * config.stateFloatsPerLane)
            if let hidden, hidden.count == lanes.count {
                hidden.withUnsafeBufferPointer { lanes.pointer.update(from: $0.baseAddress!, count: hidden.count) }
            }
            laneState = lanes
            shards = Array(repeating: .open, count: config.shardCount)
            losses = Array(repeating: nil, count: config.shardCount)
            chunks = Array(repeating: 0, count: config.shardCount)
            acks = Array(repeating: [], count: config.shardCount)
        }

        func message(_ body: WireBody, frames: [WireFrame] = []) -> WireMessage {
            sequence += 1
            return WireMessage(runID: runID, sender: "coordinator", sequence: sequence, body: body, frames: frames)
        }

        func welcomeBody(psShard: Int = 0) -> WireBody {
            .welcome(WireWelcome(configJSON: (try? config.json()) ?? "{}", psEndpoints: psEndpoints.map { $0 ?? "" },
                                 heartbeatIntervalMs: UInt32(config.heartbeatIntervalMs),
                                 leaseTimeoutMs: UInt32(config.leaseTimeoutMs), currentVersion: version ?? 0,
                                 psShard: UInt32(psShard), incarnation: incarnation))
        }

        /// Whether slice `k`'s server has taken the configuration (all have, once the run began).
        func isConfigured(_ k: Int) -> Bool {
            if case .waitingForServers(let configured, _) = state { return configured.contains(k) }
            return true
        }

        /// Whether every step is done or the run stopped.
        var isFinished: Bool { if case .finished = state { return true }; return false }

        /// Ends the run: a Leave with `reason` to every worker and, with `servers`, to every
        /// server connected so far (a slice with an endpoint has been connected). A run that ends
        /// well (`patient`) waits longer for each Leave to go than one that stops.
        func dismissal(_ reason: String, servers: Bool, patient: Bool = false) -> [Action] {
            state = .finished
            let leave = WireMessage(runID: runID, sender: "coordinator", sequence: 0, body: .leave(WireLeave(reason: reason)))
            let toWorker: Duration = patient ? .milliseconds(500) : .milliseconds(200)
            let toPS: Duration = patient ? .seconds(1) : .milliseconds(500)
            return joinOrder.map { .dismissWorker($0, leave, within: toWorker) }
                + (servers ? psEndpoints.indices.filter { psEndpoints[$0] != nil }.map { .dismissPS($0, leave, within: toPS) } : [])
        }

        /// Stops the run with `reason`, dismissing every worker and server first.
        func abort(_ reason: String) -> [Action] { dismissal(reason, servers: true) + [.abort(reason)] }

        /// Every step is done: every worker and server is dismissed, then the run ends.
        func finish() -> [Action] { dismissal("run finished", servers: true, patient: true) + [.finished] }

        /// Reacts to one event.
        func handle(_ event: Event) -> [Action] {
            // The final checkpoint is written after the run has finished: its outcome still counts.
            switch event {
            case .checkpointWritten(let s): lastCheckpointStep = max(lastCheckpointStep, s); return []
            case .checkpointSkipped: checkpointsSkipped += 1; return []
            default: break
            }
            if isFinished { return [] }
            switch event {
            case .checkpointWritten, .checkpointSkipped: return []
            case .start(let now):
                psHeardMs = Array(repeating: now, count: psEndpoints.count)
                lastCheckpointMs = now
                return psEndpoints.indices.flatMap { k in psEndpoints[k].map { configurePS(k, endpoint: $0) } ?? [] }
                    + (psEndpoints.contains(nil) ? [.log("coordinator: waiting for \(psEndpoints.filter { $0 == nil }.count) parameter server(s) to register")] : [])
            case .fromPS(let k, let m, let now):
                guard k < psEndpoints.count else { return [] }
                if k < psHeardMs.count { psHeardMs[k] = now }
                return psMessage(k, m, now: now)
            case .fromWorker(let id, let m, let now):
                // A status client is answered and never registered: it is not a worker.
                if case .statusRequest = m.body, workers[id] == nil { return [.toWorker(id, message(.statusReply(status(now: now))))] }
                if case .hello(let h) = m.body, h.role == "ps" { return registerPS(id, h) }
                if psRegistrants.contains(id) { return [] }  // a server's registration socket says nothing else
                return workerMessage(id, m, now: now)
            case .stop:
                return dismissal("stopped", servers: false) + [.fail("stopped by signal at step \(step)")]
            case .tick(let now):
                // A server speaks at least once per step; four lease timeouts of silence means it is gone
                // (or, for one that must register, never came).
                if let k = psHeardMs.indices.first(where: { now - psHeardMs[$0] > 4 * config.leaseTimeoutMs }) {
                    state = .finished
                    return [.peerTimeout("coordinator: no word from parameter server \(k) at \(psEndpoints[k] ?? "(not registered)") "
                                         + "for \(4 * config.leaseTimeoutMs) ms")]
                }
                return serverBeats(now: now) + askAgain(now: now) + expire(now: now) + deal(now: now)
            }
        }
    }
}
