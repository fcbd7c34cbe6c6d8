// CoordinatorMachine: the coordinator's protocol logic as a closed state machine — register
// workers, deal each step's shards under leases, collect results, advance when the PS has applied,
// read the weights a step's evaluation or checkpoint needs, and tell when a server fell silent.
import RecurMath
import RecurModel
import RecurData
import RecurTrain
import RecurWire

/// The coordinator without sockets or clocks.
///
/// It owns the data (every lane's cursor is the step number; every lane's carried state is kept
/// here), so workers are stateless. A shard is done only when the parameter server forwards its
/// accepted result, which makes every shard count exactly once however often it was dealt.
///
/// Closed: events go in, actions come out. Nothing calls back into the runner, and the runner
/// writes none of its fields. When the run's `RunSchedule` says a step's weights are read (an
/// evaluation or a checkpoint, by steps or by the time in the events), the machine asks every
/// server for them, takes the replies as `.fromPS` events and only then hands the runner
/// `.evaluate` / `.checkpoint` and deals the next step.
public final class CoordinatorMachine {
    /// What the machine reacts to; times are milliseconds on a monotonic clock.
    public enum Event {
        /// Configure the parameter server and begin.
        case start(nowMs: Int)
        /// A message from the worker with routing id `id`.
        case fromWorker(id: String, WireMessage, nowMs: Int)
        /// A message from parameter-server slice `Int` (0-based), over the coordinator's connection to it.
        case fromPS(Int, WireMessage, nowMs: Int)
        /// Time passed: expire leases and silent workers, and notice a silent server.
        case tick(nowMs: Int)
    }

    /// Where the run is.
    public enum State {
        /// Until every slice's server has taken the configuration: the slices that have, and the
        /// version the first reported (every slice must report the same).
        case waitingForServers(configured: Set<Int>, version: UInt64?)
        /// Dealing and collecting steps.
        case running
        /// A step's weights are being read from the servers (sync: the next step waits for them).
        case readingWeights(WeightsRead)
        /// Every step is done (or the run stopped); no event does anything any more.
        case finished
    }

    /// One finished optimizer step.
    public struct StepReport: Equatable {
        /// Steps done, counting this one.
        public var step: Int
        /// Mean training loss of the step (nats per token), summed over shards in shard order.
        public var loss: Double
        /// Scored tokens of the step.
        public var tokens: Int
        /// Gradient norm before clipping (async: mean over the step's updates).
        public var gradNorm: Double
        /// Async: mean and largest staleness (versions) of the step's updates; 0 in sync mode.
        public var staleness: Double = 0
        /// Async: largest staleness of the step's updates.
        public var maxStaleness: Int = 0
        /// Workers registered when the step ended.
        public var workers: Int
    }

    /// What the run loop must do.
    public enum Action: Equatable {
        /// Send to a worker.
        case toWorker(String, WireMessage)
        /// Connect to parameter-server slice `Int` at `endpoint` (then `.toPS` reaches it).
        case connectPS(Int, endpoint: String)
        /// Send to parameter-server slice `Int`.
        case toPS(Int, WireMessage)
        /// A step finished (after its `.evaluate`, when it has one).
        case stepDone(StepReport)
        /// Compute the validation loss of these weights (reported with the step's `.stepDone`).
        case evaluate(StepWeights)
        /// Write a checkpoint of these weights and the lanes' state.
        case checkpoint(StepWeights)
        /// Every step is done (nothing is left to do when a resumed run was already complete).
        case finished
        /// A parameter server said nothing for four lease timeouts (or never came): it is gone.
        case peerTimeout(String)
        /// The run cannot go on (a shard keeps being refused); the loop stops with this reason.
        case abort(String)
        /// The run cannot go on in this process, but its servers and workers can serve a restarted
        /// coordinator: stop without dismissing them.
        case fail(String)
        /// Write a log line.
        case log(String)
    }

    /// Counters of faults handled, for logs and tests.
    public struct Counters: Equatable {
        /// Results for shards already done.
        public var duplicates = 0
        /// Leases that expired and were dealt again.
        public var expired = 0
        /// Shards handed back by leaving workers, or by workers that gave them up.
        public var handedBack = 0
        /// Registrations refused or ignored: over the worker cap, or a Hello repeated within a second.
        public var refusedRegistrations = 0
    }

    enum ShardState: Equatable { case open, leased(lease: UInt64, worker: String, deadlineMs: Int), done }

    struct WorkerInfo {
        var lastSeenMs: Int
        var lease: UInt64?
        var welcomedMs: Int?
    }

    /// Most workers registered at once; more are refused (a hostile peer inventing routing ids
    /// cannot grow the table without bound).
    public static let maxWorkers = 4096

    /// The run's id.
    public let runID: UInt64
    /// This coordinator process's random id, sent in every Welcome: servers and workers that see
    /// a new one start over (the coordinator was restarted).
    public let incarnation = UInt64.random(in: 1...UInt64(Int64.max))
    /// Slice k's registered server process (pid and host), to tell a restarted one.
    var psProcess: [Int: (pid: UInt32, host: String)] = [:]
    /// The shared configuration.
    public let config: RunConfig
    /// Parameter-server endpoints handed to workers, one per slice; nil until that slice's server
    /// registers (a run started by `recur launch`).
    public internal(set) var psEndpoints: [String?]
    /// The parameter slices.
    public let parameterShards: ParameterShards
    /// Workers to wait for before the first shard is dealt (a launch that knows its world size);
    /// nil once dealing has begun. The wait ends after one lease timeout whatever came.
    public internal(set) var expectedWorkers: Int?
    /// When the run logs, evaluates and checkpoints, and how long it is.
    public let schedule: RunSchedule
    /// Where the run is.
    public internal(set) var state: State = .waitingForServers(configured: [], version: nil)
    /// When each slice's server was last heard from (set at `.start`).
    var psHeardMs: [Int] = []
    /// When the last checkpoint was written (or the run started), for checkpoints by time.
    var lastCheckpointMs = 0
    /// Async: the last step's report, when it came while another step's weights were being read.
    var pendingFinal: StepReport?
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
    public internal(set) var step = 0
    /// The parameter server's weight version, once known.
    public internal(set) var version: UInt64?
    /// Faults handled.
    public internal(set) var counters = Counters()
    /// Every lane's carried state [B, L, S, H].
    public let laneState: FloatBuffer
    let layout: StreamLayout
    let tokens: [Int32]
    var shards: [ShardState]
    var losses: [(sum: Double, count: Int)?]
    var workers: [String: WorkerInfo] = [:]
    var joinOrder: [String] = []
    var nextLease: UInt64 = 1
    var sequence: UInt64 = 0
    /// Refusals of the current step's shards by the parameter server, by shard.
    var refusals: [Int: Int] = [:]
    /// Refusals of one shard after which the run stops rather than compute it again.
    public static let maxRefusals = 3
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

    /// Creates a coordinator over the training tokens.
    /// - Parameters:
    ///   - resumeFrames: for a resumed run (`config.resumeStep` set), its "params", "m" and "v".
    ///   - hidden: for a resumed run, every lane's carried state [B, L, S, H].
    ///   - schedule: when weights are read for evaluations and checkpoints; by default none
    ///     before the final read of a run of `config.totalSteps` steps.
    ///   - expectedWorkers: workers to wait for (one lease timeout at most) before step 1.
    public init(runID: UInt64, config: RunConfig, psEndpoints: [String?], tokens: [Int32], layout: StreamLayout,
                resumeFrames: [WireFrame] = [], hidden: [Float]? = nil, schedule: RunSchedule? = nil,
                expectedWorkers: Int? = nil) {
        self.schedule = schedule ?? RunSchedule(totalSteps: config.totalSteps)
        precondition(self.schedule.totalSteps == config.totalSteps, "the schedule and the configuration agree on the run's length")
        self.expectedWorkers = expectedWorkers
        resumeTensors = resumeFrames.compactMap { f in (try? f.floats()).map { (f.name, $0) } }
        parameterShards = (try? config.parameterShards) ?? (try! ParameterShards(count: ParameterLayout(config.model).count, shards: 1))
        precondition(psEndpoints.count == parameterShards.shards, "one endpoint (or nil) per parameter slice")
        self.runID = runID
        self.config = config
        self.psEndpoints = psEndpoints
        self.tokens = tokens
        self.layout = layout
        let lanes = FloatBuffer(count: config.batch * config.model.stateFloatsPerLane)
        if let hidden, hidden.count == lanes.count {
            hidden.withUnsafeBufferPointer { lanes.pointer.update(from: $0.baseAddress!, count: hidden.count) }
        }
        laneState = lanes
        shards = Array(repeating: .open, count: config.shardCount)
        losses = Array(repeating: nil, count: config.shardCount)
        chunks = Array(repeating: 0, count: config.shardCount)
        acks = Array(repeating: [], count: config.shardCount)
    }

    /// Registered workers, in join order.
    public var workerIDs: [String] { joinOrder }

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
    public var isFinished: Bool { if case .finished = state { return true }; return false }

    /// Reacts to one event.
    public func handle(_ event: Event) -> [Action] {
        if isFinished { return [] }
        switch event {
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
            if case .hello(let h) = m.body, h.role == "ps" { return registerPS(id, h) }
            if psRegistrants.contains(id) { return [] }  // a server's registration socket says nothing else
            return workerMessage(id, m, now: now)
        case .tick(let now):
            // A server speaks at least once per step; four lease timeouts of silence means it is gone
            // (or, for one that must register, never came).
            if let k = psHeardMs.indices.first(where: { now - psHeardMs[$0] > 4 * config.leaseTimeoutMs }) {
                state = .finished
                return [.peerTimeout("coordinator: no word from parameter server \(k) at \(psEndpoints[k] ?? "(not registered)") "
                                     + "for \(4 * config.leaseTimeoutMs) ms")]
            }
            return askAgain(now: now) + expire(now: now) + deal(now: now)
        }
    }
}
