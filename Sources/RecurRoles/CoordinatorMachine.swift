// CoordinatorMachine: the coordinator's protocol logic as a closed state machine — register
// workers, deal each step's shards under leases, collect results, advance when the PS has applied,
// read the weights a step's evaluation or checkpoint needs, and tell when a server fell silent.
import RecurIO
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
/// Closed: events go in, actions come out. Nothing calls back into the runner, and nothing can
/// write its fields: they live in a private `Core` that only `handle` reaches. When the run's `RunSchedule` says a step's weights are read (an
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
        /// A stop was requested (a signal, or the launcher died): the workers are dismissed, the
        /// servers kept for a restarted coordinator, and the run ends here.
        case stop
        /// The runner wrote the checkpoint of `step` that a `.checkpoint` action asked for: only
        /// now is it the last checkpoint `recur status` names.
        case checkpointWritten(step: Int)
        /// The runner skipped the checkpoint of `step` for lack of disk space (`CheckpointRule`):
        /// the last checkpoint stays the one before, and status counts the skip.
        case checkpointSkipped(step: Int)
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
        /// When the step was applied (the event's monotonic milliseconds): a step whose weights
        /// are read is reported only after the read, and its throughput must not count that time.
        public var appliedMs: Int = 0
        /// What the schedule said after this step: whether it gets a metrics line, and whether it
        /// is the run's last (its length, or its time budget, reached).
        public var writesLine = false, isLast = false
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
        /// Every step is done (nothing is left to do when a resumed run was already complete); the
        /// Leaves before it dismissed every peer: let the sockets deliver them, then end.
        case finished
        /// A parameter server said nothing for four lease timeouts (or never came): it is gone.
        case peerTimeout(String)
        /// Tell a worker the run is over for it (a Leave), giving up after `within`: the run is
        /// ending anyway, so a Leave that cannot be sent is no error.
        case dismissWorker(String, WireMessage, within: Duration)
        /// Tell parameter-server slice `Int` the run is over (a Leave), like `.dismissWorker`.
        case dismissPS(Int, WireMessage, within: Duration)
        /// The run cannot go on (a shard keeps being refused); the loop stops with this reason,
        /// after the dismissals before it.
        case abort(String)
        /// The run cannot go on in this process: stop. Its servers (and its workers, unless
        /// dismissed just before) stay to serve a restarted coordinator.
        case fail(String)
        /// Write a log line.
        case log(String)
        /// Write a log line that names an event (`LogEvent`) with typed fields.
        case event(LogRecord)
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

    /// Most workers registered at once; more are refused (a hostile peer inventing routing ids
    /// cannot grow the table without bound).
    public static let maxWorkers = 4096
    /// Refusals of one shard after which the run stops rather than compute it again.
    public static let maxRefusals = 3

    /// The machine's data and logic. Private: only `handle` changes it.
    private let core: Core

    /// Creates a coordinator over a run's shards.
    /// - Parameters:
    ///   - source: where every step's shards come from (the coordinator sees shards, not tasks).
    ///   - resumeFrames: for a resumed run (`config.resumeStep` set), its "params", "m" and "v".
    ///   - hidden: for a resumed run, every lane's carried state [B, L, S, H].
    ///   - schedule: when weights are read for evaluations and checkpoints; by default none
    ///     before the final read of a run of `config.totalSteps` steps.
    ///   - expectedWorkers: workers to wait for (one lease timeout at most) before step 1.
    public init(runID: UInt64, config: RunConfig, psEndpoints: [String?], source: ShardSource,
                resumeFrames: [WireFrame] = [], hidden: [Float]? = nil, schedule: RunSchedule? = nil,
                expectedWorkers: Int? = nil) {
        core = Core(runID: runID, config: config, psEndpoints: psEndpoints, source: source,
                    resumeFrames: resumeFrames, hidden: hidden, schedule: schedule, expectedWorkers: expectedWorkers)
    }

    /// Creates a coordinator over a language model's training tokens.
    public convenience init(runID: UInt64, config: RunConfig, psEndpoints: [String?], tokens: [Int32], layout: StreamLayout,
                            resumeFrames: [WireFrame] = [], hidden: [Float]? = nil, schedule: RunSchedule? = nil,
                            expectedWorkers: Int? = nil) {
        self.init(runID: runID, config: config, psEndpoints: psEndpoints, source: .stream(tokens: tokens, layout: layout),
                  resumeFrames: resumeFrames, hidden: hidden, schedule: schedule, expectedWorkers: expectedWorkers)
    }

    /// Reacts to one event.
    public func handle(_ event: Event) -> [Action] { core.handle(event) }

    /// The run as `recur status` and the Prometheus exposition show it (reads only).
    public func status(nowMs: Int) -> WireStatusReply { core.status(now: nowMs) }

    /// The run's id.
    public var runID: UInt64 { core.runID }
    /// This coordinator process's random id, sent in every Welcome: servers and workers that see
    /// a new one start over (the coordinator was restarted).
    public var incarnation: UInt64 { core.incarnation }
    /// The shared configuration.
    public var config: RunConfig { core.config }
    /// When the run logs, evaluates and checkpoints, and how long it is.
    public var schedule: RunSchedule { core.schedule }
    /// Parameter-server endpoints handed to workers, one per slice; nil until that slice's server
    /// registers (a run started by `recur launch`).
    public var psEndpoints: [String?] { core.psEndpoints }
    /// The parameter slices.
    public var parameterShards: ParameterShards { core.parameterShards }
    /// Where the run is.
    public var state: State { core.state }
    /// Whether every step is done or the run stopped.
    public var isFinished: Bool { core.isFinished }
    /// The step being computed (0-based); equals the steps done.
    public var step: Int { core.step }
    /// The parameter servers' weight version, once known.
    public var version: UInt64? { core.version }
    /// Faults handled.
    public var counters: Counters { core.counters }
    /// Registered workers, in join order.
    public var workerIDs: [String] { core.joinOrder }
}
