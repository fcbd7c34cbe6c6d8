// Trainer: the single-process training loop — sharded gradient, normalisation, clipping, update,
// metrics, validation and checkpoints.
import Foundation
import RecurMath
import RecurModel
import RecurBoard
import RecurData
import RecurIO

/// What a finished run reports.
public struct TrainSummary: Sendable {
    /// Optimizer steps done (the run's total when it ends).
    public var steps: Int
    /// Mean training loss of the last step (nats per token); for a run that was already complete,
    /// the loss its metrics recorded for that step (nil if they do not).
    public var lastLoss: Double?
    /// Validation loss at the end, if there is a validation split.
    public var valLoss: Double?
    /// Mean training throughput over the steps run by this call (0 when none was run).
    public var tokensPerSecond: Double
    /// Path of the final checkpoint.
    public var checkpoint: String
    /// The run was complete before `run()` was called: nothing was trained and no file was written.
    public var alreadyComplete: Bool = false
    /// The last evaluation's figures (a classifier's accuracy, a tagger's F1).
    public var validation: ValidationResult? = nil
}

/// Trains a language model in one process, laid out exactly as the distributed run lays it out.
public final class Trainer {
    /// The run's options (with the cosine's horizon once a time-limited run has measured it).
    public private(set) var options: TrainOptions
    /// The data, and what it says of the task.
    public let data: TaskData
    /// The architecture.
    public let config: ModelConfig
    /// Where each tensor lives in the flat vectors.
    public let layout: ParameterLayout
    /// Flat parameters [P].
    public let params: FloatBuffer
    /// Flat gradient [P].
    public let grads: FloatBuffer
    /// The optimizer and its state.
    public let optimizer: Optimizer
    /// The shard-by-shard gradient engine.
    public let engine: StepEngine
    /// When the run logs, evaluates and checkpoints, and how long it is (shared with the cluster).
    public let schedule: RunSchedule
    /// Steps the run will take.
    public var totalSteps: Int { schedule.totalSteps }
    /// Steps done so far.
    public private(set) var step = 0
    /// The step a time limit ended the run at: the run's length its final checkpoint records, so
    /// a resume of it is complete.
    var endedByTime: Int?
    let store: CheckpointStore
    /// Where each metrics line goes (opened when training begins: a run that is already complete
    /// writes nothing).
    var recorder: RunRecorder?
    /// Fault injection: the step whose gradient is replaced by NaN once (`TrainOptions.faultNaNAtStep`).
    lazy var nanAtStep: Int? = options.faultNaNAtStep
    var rollbacks = 0

    /// Prepares a run: loads the data, initialises the model and creates the run folder.
    /// - Throws: `TrainError` with a one-line message.
    /// - Parameter resume: a checkpoint to continue from (its options must come from
    ///   `ResumeState.options`); the run then goes on exactly as if it had never stopped.
    public init(options o: TrainOptions, resume: ResumeState? = nil) throws {
        try o.validate()
        options = o
        MathThreads.set(o.threads)
        data = try TaskData.load(o)
        config = data.modelConfig(o)
        layout = ParameterLayout(config)
        params = FloatBuffer(count: layout.count)
        ParameterInit.fill(params, config: config, seed: o.seed)
        grads = FloatBuffer(count: layout.count)
        do {
            engine = try StepEngine(config: config, task: o.task, loss: o.loss, source: data.source, batch: o.batch,
                                    steps: data.maxSteps, targetSteps: data.maxTargetSteps ?? 0,
                                    lanesPerShard: o.resolvedLanesPerShard)
        } catch { throw TrainError.badOption("\(error)") }
        schedule = RunSchedule(options: o, chunksPerEpoch: data.source.stepsPerEpoch)
        optimizer = Optimizer(config: o.optimizerConfig(totalSteps: schedule.totalSteps), count: layout.count)
        let metricsPath = (o.runDirectory as NSString).appendingPathComponent("metrics.jsonl")
        do {
            try FileManager.default.createDirectory(atPath: o.runDirectory, withIntermediateDirectories: true)
            if let r = resume { try Trainer.truncateMetrics(metricsPath, after: r.step) }
        } catch { throw TrainError.data("cannot create run folder \(o.runDirectory): \(error)") }
        store = CheckpointStore(runDirectory: o.runDirectory)
        if let r = resume {
            try r.restore(into: self)
            step = r.step
        }
    }

    /// Empties a run folder's metrics (a run restarting from step 0).
    public static func clearMetrics(in runDirectory: String) throws {
        try truncateMetrics((runDirectory as NSString).appendingPathComponent("metrics.jsonl"), after: 0)
    }

    /// Drops the metric lines and TensorBoard events of steps after `step` (written by the run
    /// before it stopped), so the resumed run's lines and curves follow on without repeats.
    public static func truncateMetrics(_ path: String, after step: Int) throws {
        try TensorBoardFolder.cut(directory: RunRecorder.boardDirectory((path as NSString).deletingLastPathComponent), after: step)
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
            guard let s = try? JSONDecoder().decode(MetricsLineStep.self, from: Data(line.utf8)).step else { return false }
            return s <= step
        }
        let text = kept.isEmpty ? "" : kept.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Runs one optimizer step and returns its mean loss and the pre-clip gradient norm.
    /// A step whose loss or gradient is not finite changes nothing and does not count.
    public func trainStep() -> (loss: Double, gradNorm: Double) {
        let l = engine.gradient(step: step, seed: options.seed, params: params, grads: grads)
        if nanAtStep == step { grads[0] = .nan; nanAtStep = nil }
        let loss = l.sum / Double(max(l.count, 1))
        let norm = UpdateRule.apply(params: params, grads: grads, tokens: l.count, clip: options.clip, optimizer: optimizer)
        if norm.isFinite && loss.isFinite { step += 1 }
        return (loss, norm)
    }

    /// Rolls back to the newest valid checkpoint with the learning rate halved.
    /// - Throws: `TrainError.data` when the policy is to stop, there is no checkpoint, or the run
    ///   has rolled back too often.
    func rollBack(after loss: Double, norm: Double) throws {
        let what = "the loss (\(loss)) or gradient norm (\(norm)) is not finite at step \(step + 1)"
        guard options.onDivergence == .rollback else {
            log(LogRecord(.divergenceStopped, "diverged: \(what); stopping", [("step", .int(step + 1))]))
            throw TrainError.data("\(what); stopping (--on-divergence stop)")
        }
        guard rollbacks < RunSchedule.maxRollbacks else {
            throw TrainError.data("\(what) after \(RunSchedule.maxRollbacks) rollbacks; stopping")
        }
        guard let r = try ResumeState.load(options.runDirectory) else {
            throw TrainError.data("\(what) and there is no checkpoint to roll back to; stopping")
        }
        rollbacks += 1
        let lr = optimizer.config.learningRate / 2
        try r.restore(into: self)
        step = r.step
        optimizer.config.learningRate = lr
        try Trainer.truncateMetrics((options.runDirectory as NSString).appendingPathComponent("metrics.jsonl"), after: step)
        try recorder?.reopenMetrics()
        log(LogRecord(.rolledBack, "diverged: \(what); rolled back to step \(step) (\(r.path)) with the learning rate halved to \(lr)",
                      [("step", .int(step)), ("lr", .double(Double(lr))), ("path", .string(r.path))]))
    }

    /// Validation loss (nats per target) over the held-out split, or nil when it is too short.
    public func validationLoss() -> Double? { validation()?.loss }

    /// The held-out figures of the current weights (loss, and a classifier's accuracy or a
    /// tagger's F1), or nil when nothing is held out.
    public func validation() -> ValidationResult? { data.validate(config: config, params: params) }

    /// Writes a checkpoint of the current step and moves `latest` to it.
    /// - Parameter isFinal: false for a periodic checkpoint, which is skipped (with a
    ///   `checkpoint_skipped` event) when the disk is full: `CheckpointRule`.
    /// - Returns: its path, or nil when it was skipped.
    /// - Throws: `TrainError.checkpoint` as `CheckpointRule.write` says.
    @discardableResult
    public func saveCheckpoint(isFinal: Bool = true) throws -> String? {
        try CheckpointRule.write(store: store, step: step, producers: checkpointContents.producers(), isFinal: isFinal,
                                 keep: options.keep, log: log)
    }

    /// Runs every remaining step, logging, evaluating and checkpointing as `schedule` says. A run
    /// that is already complete trains nothing and writes nothing, and says so.
    public func run() throws -> TrainSummary {
        let o = options
        if o.verbose {
            let c = config, shape = o.task == .lm ? "B=\(o.batch) x T=\(o.bptt)" : "B=\(o.batch) examples"
            let what = o.task == .lm ? "train tokens"
                : o.task == .seq2seq ? "train pairs, \(o.attention.rawValue) attention, target V=\(c.headSize)"
                : "train examples, \(data.labels.count) labels"
            log("training \(o.task == .lm ? "" : "\(o.task.rawValue) ")\(c.bidirectional ? "bidirectional " : "")"
                + "\(c.cell.rawValue) H=\(c.hidden) L=\(c.layers) V=\(c.vocab) on \(data.origin): \(data.trainSize) \(what), "
                + "\(totalSteps) steps of \(shape), \(layout.count) parameters")
        }
        if schedule.isComplete(atStep: step) { return completeSummary() }
        let recorder = try RunRecorder(runDirectory: o.runDirectory) { [self] in log(LogRecord(.note, $0)) }
        self.recorder = recorder
        defer { recorder.close() }
        let start = Date()
        let before = Trainer.totals(atStep: step, runDirectory: o.runDirectory)
        // A time limit counts the time the run spent before this process too.
        let budget = o.timeLimit.map { $0 - before.seconds }
        var lastCheckpoint = start
        var windowStart = Date(), windowSteps = 0, windowTokens = 0
        var progress = ProgressLine(role: "train")
        var last = (loss: Double.nan, gradNorm: 0.0)
        var lastVal: ValidationResult? = nil, tokensRun = 0
        let firstStep = step
        while step < totalSteps {
            let lr = optimizer.config.rate(atStep: optimizer.step)
            last = trainStep()
            windowSteps += 1
            windowTokens += engine.tokensOfLastStep
            tokensRun += engine.tokensOfLastStep
            guard last.loss.isFinite && last.gradNorm.isFinite else {
                try rollBack(after: last.loss, norm: last.gradNorm)
                continue
            }
            let dt = Date().timeIntervalSince(windowStart)  // training time only, before any evaluation
            let timeUp = budget.map { Date().timeIntervalSince(start) >= $0 } ?? false
            let plan = schedule.after(step: step, secondsSinceCheckpoint: Date().timeIntervalSince(lastCheckpoint), timeUp: timeUp)
            if plan.evaluates { lastVal = validation() }
            if plan.writesLine {
                let tps = dt > 0 ? Double(windowTokens) / dt : 0
                let val = plan.evaluates ? lastVal : nil
                var record = MetricsRecord(step: step, loss: last.loss, tokensPerSecond: tps, lr: lr,
                                           gradNorm: last.gradNorm, valLoss: val?.loss, validation: val)
                record.tokens = before.tokens + tokensRun
                record.seconds = before.seconds + Date().timeIntervalSince(start)
                try recorder.record(record, exposition: PrometheusExposition(RunRecorder.families(
                    record, validation: lastVal, secondsSinceCheckpoint: Date().timeIntervalSince(lastCheckpoint))),
                                    chart: plan.evaluates || plan.isLast)
                if o.verbose { progress.show(step: step, total: totalSteps, loss: last.loss, val: val, tokensPerSecond: tps) }
                windowStart = Date()
                windowSteps = 0
                windowTokens = 0
            }
            if options.measuresScheduleSteps && step >= o.warmupSteps, let budget {
                fixScheduleSteps(stepsTimed: step - firstStep, seconds: Date().timeIntervalSince(start), budget: budget)
            }
            if plan.checkpoints && !plan.isLast, try saveCheckpoint(isFinal: false) != nil {
                lastCheckpoint = Date()
            }
            if plan.isLast && step < totalSteps {
                endedByTime = step
                log(LogRecord(.note, String(format: "time limit of %.0f s reached at step %d of %d", o.timeLimit ?? 0, step, totalSteps)))
                break
            }
        }
        let path = try saveCheckpoint() ?? ""  // the final one is never skipped: it throws instead
        let elapsed = Date().timeIntervalSince(start)
        return TrainSummary(steps: step, lastLoss: last.loss, valLoss: lastVal?.loss,
                            tokensPerSecond: elapsed > 0 ? Double(tokensRun) / elapsed : 0,
                            checkpoint: path, alreadyComplete: false, validation: lastVal)
    }

    /// Fixes the cosine's horizon of a time-limited run at the end of its warm-up: the steps done
    /// plus the steps the rest of the budget buys at the rate of the `stepsTimed` steps of this
    /// process (`seconds` of `budget`), at most the run's length. It goes into the optimizer and
    /// into `options`, so every later checkpoint records it and a resume decays over the same steps.
    func fixScheduleSteps(stepsTimed: Int, seconds: Double, budget: Double) {
        // A resume past the warm-up of a checkpoint without a horizon has nothing to time: the run's length.
        let perSecond = stepsTimed > 0 && seconds > 0 ? Double(stepsTimed) / seconds : .infinity
        let more = perSecond.isFinite ? Int(max(0, budget - seconds) * perSecond) : totalSteps
        let horizon = min(totalSteps, step + more)
        options.scheduleSteps = horizon
        optimizer.config.totalSteps = horizon
        log(LogRecord(.note, String(format: "cosine horizon: %d steps (%.2f steps/s over %d warm-up steps, %.0f s of %.0f s spent)",
                                    horizon, perSecond.isFinite ? perSecond : 0, stepsTimed, seconds, budget),
                      [("schedule_steps", .int(horizon))]))
    }

    /// The summary of a run resumed when it was already complete: the figures its metrics recorded
    /// for the last step, its newest checkpoint, and no throughput (nothing ran).
    func completeSummary() -> TrainSummary {
        log(LogRecord(.runComplete, schedule.completeNote(atStep: step), [("step", .int(step))]))
        let metricsPath = (options.runDirectory as NSString).appendingPathComponent("metrics.jsonl")
        let line = Trainer.metricsLine(step: step, in: metricsPath)
        return TrainSummary(steps: step, lastLoss: line?.loss, valLoss: line?.valLoss, tokensPerSecond: 0,
                            checkpoint: store.latest() ?? "", alreadyComplete: true)
    }

    /// The tokens and seconds a run had spent by `step`, from its last metrics line at or before
    /// it (0 for a new run, or when the lines predate these fields), so a resumed run's totals go
    /// on from there.
    public static func totals(atStep step: Int, runDirectory: String) -> (tokens: Int, seconds: Double) {
        // The last line at or before `step` (a checkpoint's step need not be a logged one).
        guard step > 0, let l = lastMetricsLine(in: metricsPath(runDirectory), where: { $0.step <= step }) else { return (0, 0) }
        return (l.tokens ?? 0, l.seconds ?? 0)
    }

    /// The step and training loss of the last line of a run folder's metrics, if any: how far a
    /// run that no coordinator answers for got.
    public static func lastMetrics(runDirectory: String) -> (step: Int, loss: Double?)? {
        lastMetricsLine(in: metricsPath(runDirectory), where: { _ in true }).map { ($0.step, $0.loss) }
    }

    /// The last metrics line of `step` in the file at `path`, if any.
    static func metricsLine(step: Int, in path: String) -> MetricsLineStep? {
        lastMetricsLine(in: path, where: { $0.step == step })
    }

    /// `RUN_DIR/metrics.jsonl`.
    static func metricsPath(_ runDirectory: String) -> String {
        (runDirectory as NSString).appendingPathComponent("metrics.jsonl")
    }

    /// The last line of the metrics file at `path` that decodes and satisfies `accept`.
    static func lastMetricsLine(in path: String, where accept: (MetricsLineStep) -> Bool) -> MetricsLineStep? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        for text in String(decoding: data, as: UTF8.self).split(separator: "\n").reversed() {
            if let l = try? JSONDecoder().decode(MetricsLineStep.self, from: Data(text.utf8)), accept(l) { return l }
        }
        return nil
    }

    func log(_ line: String) { log(LogRecord(.note, line)) }

    /// Writes `record` as `train`'s (in text, without a prefix, as `recur train` always wrote).
    func log(_ record: LogRecord) { EventLog.write(role: "train", record, prefix: false) }
}
