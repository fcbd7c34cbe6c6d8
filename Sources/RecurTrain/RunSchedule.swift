// RunSchedule: when a run writes a metrics line, evaluates and checkpoints, how long it is, when
// it ends and what a resume of a finished run does — one value that the single-process trainer and
// the coordinator both follow, so their metrics.jsonl agree line for line.
import RecurIO

/// The calendar of a training run.
///
/// The single-process `Trainer` and the cluster's coordinator each ask it the same questions after
/// every step, so for the same flags both write the same metrics lines (same steps, same losses,
/// same `val_loss` steps) and checkpoint at the same steps. Times are passed in, never read here.
public struct RunSchedule: Sendable, Equatable {
    /// Steps of the whole run (from `--steps`, else `--epochs`).
    public let totalSteps: Int
    /// Steps between metric lines (`--log-every`; 0 or less: only evaluation steps and the last).
    public let logEvery: Int
    /// Steps between validation passes (`--eval-every`; 0: only at the end).
    public let evalEvery: Int
    /// Steps between checkpoints (`--checkpoint-every`; 0: only at the end).
    public let checkpointEvery: Int
    /// Seconds between checkpoints (`--checkpoint-every-seconds`; 0: none by time).
    public let checkpointEverySeconds: Double

    /// Rollbacks after which a diverging run stops rather than roll back again: a run that keeps
    /// diverging with ever smaller learning rates will not recover.
    public static let maxRollbacks = 5

    /// A schedule from its parts (tests and drivers that already know the run's length).
    public init(totalSteps: Int, logEvery: Int = 10, evalEvery: Int = 0, checkpointEvery: Int = 0,
                checkpointEverySeconds: Double = 0) {
        self.totalSteps = totalSteps
        self.logEvery = logEvery
        self.evalEvery = evalEvery
        self.checkpointEvery = checkpointEvery
        self.checkpointEverySeconds = checkpointEverySeconds
    }

    /// The schedule of a run with options `o` over data of `chunksPerEpoch` steps per epoch.
    public init(options o: TrainOptions, chunksPerEpoch: Int) {
        self.init(totalSteps: RunSchedule.totalSteps(o, chunksPerEpoch: chunksPerEpoch), logEvery: o.logEvery,
                  evalEvery: o.evalEvery, checkpointEvery: o.checkpointEvery,
                  checkpointEverySeconds: o.checkpointEverySeconds)
    }

    /// The run's length: `--steps`, else `--epochs` passes rounded to whole steps (at least one).
    public static func totalSteps(_ o: TrainOptions, chunksPerEpoch: Int) -> Int {
        o.steps ?? max(1, Int((o.epochs * Double(chunksPerEpoch)).rounded()))
    }

    /// What the driver does once step `step` (counting from 1) is applied.
    public struct After: Sendable, Equatable {
        /// Steps done.
        public var step: Int
        /// The run's last step.
        public var isLast: Bool
        /// Compute the validation loss (an evaluation step, or the last).
        public var evaluates: Bool
        /// Append a metrics line (a log step, an evaluation step, or the last).
        public var writesLine: Bool
        /// Write a checkpoint (by steps, by time, or the final one).
        public var checkpoints: Bool
        /// Whether the step's weights are read (to evaluate or to checkpoint them): a cluster must
        /// not let the servers move past this step until they are.
        public var readsWeights: Bool { evaluates || checkpoints }
    }

    /// The plan after step `step`, `secondsSinceCheckpoint` after the last checkpoint (or the
    /// run's start); `timeUp` when the run's time budget (`--time-limit`) is spent, which makes
    /// this step the last.
    public func after(step: Int, secondsSinceCheckpoint: Double, timeUp: Bool = false) -> After {
        let last = step >= totalSteps || timeUp
        let evaluates = (evalEvery > 0 && step % evalEvery == 0) || last
        let logs = logEvery > 0 && step % logEvery == 0
        let bySteps = checkpointEvery > 0 && step % checkpointEvery == 0
        let byTime = checkpointEverySeconds > 0 && secondsSinceCheckpoint >= checkpointEverySeconds
        return After(step: step, isLast: last, evaluates: evaluates, writesLine: logs || evaluates,
                     checkpoints: bySteps || byTime || last)
    }

    /// Whether a run that has done `step` steps has nothing left to do: a resume of it trains
    /// nothing and writes nothing, so its weights and files stay exactly as they are.
    public func isComplete(atStep step: Int) -> Bool { step >= totalSteps }

    /// The one line a resume of a complete run says.
    public func completeNote(atStep step: Int) -> String {
        "the run is already complete at step \(step) of \(totalSteps); nothing was changed (give --steps to train further)"
    }
}

/// One line of `metrics.jsonl`, as both drivers write it.
///
/// The contract: for the same flags, a single process and a cluster write the same lines with the
/// same `step`, `loss`, `val_loss`, `lr` and `grad_norm`; only `tokens_per_second`, `workers` and the
/// async staleness fields may differ.
public struct MetricsRecord: Sendable {
    /// Steps done.
    public var step: Int
    /// Mean training loss of the step (nats per token).
    public var loss: Double
    /// Training throughput over the steps since the previous line.
    public var tokensPerSecond: Double
    /// The learning rate the step used.
    public var lr: Double
    /// Gradient norm before clipping.
    public var gradNorm: Double
    /// Validation loss, on evaluation steps with a validation split.
    public var valLoss: Double?
    /// Cluster only: workers registered when the step ended.
    public var workers: Int?
    /// Async only: mean and largest staleness (versions) of the step's updates.
    public var staleness: (mean: Double, max: Int)?
    /// Training tokens read since the run began (padding excluded), across resumes.
    public var tokens: Int?
    /// Seconds of the run since it began, across resumes (the time of each attempt, not the gaps).
    public var seconds: Double?
    /// A classifier's validation accuracy, on evaluation steps.
    public var valAccuracy: Double?
    /// A tagger's entity-level validation F1, on evaluation steps.
    public var valF1: Double?
    /// An encoder–decoder's validation exact match (greedy decoding), on evaluation steps.
    public var valExactMatch: Double?

    /// A line's values.
    public init(step: Int, loss: Double, tokensPerSecond: Double, lr: Double, gradNorm: Double, valLoss: Double? = nil,
                workers: Int? = nil, staleness: (mean: Double, max: Int)? = nil, validation: ValidationResult? = nil) {
        self.valAccuracy = validation?.accuracy
        self.valF1 = validation?.f1
        self.valExactMatch = validation?.exactMatch
        self.step = step
        self.loss = loss
        self.tokensPerSecond = tokensPerSecond
        self.lr = lr
        self.gradNorm = gradNorm
        self.valLoss = valLoss
        self.workers = workers
        self.staleness = staleness
    }

    /// The JSON fields in file order (throughput rounded to 0.1 token/s).
    public var fields: [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [("step", .int(step)), ("loss", .double(loss)),
                                        ("tokens_per_second", .double((tokensPerSecond * 10).rounded() / 10)),
                                        ("lr", .double(lr)), ("grad_norm", .double(gradNorm))]
        if let tokens { f.append(("tokens", .int(tokens))) }
        if let seconds { f.append(("seconds", .double((seconds * 1000).rounded() / 1000))) }
        if let workers { f.append(("workers", .int(workers))) }
        if let staleness { f += [("staleness_mean", .double(staleness.mean)), ("staleness_max", .int(staleness.max))] }
        if let valLoss { f.append(("val_loss", .double(valLoss))) }
        if let valAccuracy { f.append(("val_accuracy", .double(valAccuracy))) }
        if let valF1 { f.append(("val_f1", .double(valF1))) }
        if let valExactMatch { f.append(("val_exact_match", .double(valExactMatch))) }
        return f
    }
}

extension MetricsWriter {
    /// Appends one metrics line.
    /// - Throws: `FileSystemError` when the write fails.
    public func append(_ record: MetricsRecord) throws { try append(record.fields) }
}
