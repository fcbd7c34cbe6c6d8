// CoordinatorMetrics: the coordinator's metrics lines, written as the run's schedule says, with its
// progress display and its Prometheus exposition.
import Foundation
import RecurIO
import RecurModel
import RecurTrain
import RecurWire

/// The coordinator's metrics lines: the same `RunSchedule` and `MetricsRecord` as the single
/// process, fed by the machine's `.evaluate` and `.stepDone` actions, plus the throughput window.
struct CoordinatorMetrics {
    /// Where the steps' tokens are counted (B × T for a stream; the real tokens of a step's examples).
    let source: ShardSource
    /// Lanes or examples per step, B.
    let batch: Int
    var progress = ProgressLine(role: "coordinator")
    /// Start of the steps the next line's throughput covers (monotonic milliseconds), and how
    /// many tokens they read.
    var windowStartMs = RoleSupport.nowMs(), windowTokens = 0
    /// Milliseconds inside the window spent between a step's update and its report (reading its
    /// weights, evaluating): not training time, as in the single process.
    var excludedMs = 0
    /// Tokens and seconds of the run before this process started (a resumed run's), the tokens
    /// read since, and when this process started.
    var totals = (tokens: 0, seconds: 0.0), tokensRun = 0
    let startMs = RoleSupport.nowMs()
    /// When the last checkpoint was written (or this process started), for the exposition.
    var lastCheckpointMs = RoleSupport.nowMs()
    /// The latest evaluation's figures, for the exposition.
    var lastValidation: ValidationResult?
    /// The latest evaluation: its step and validation figures (nil without a validation split).
    var evaluated: (step: Int, result: ValidationResult?)?

    /// Throughput of the last written line, for the exposition of the steps between lines.
    var lastTokensPerSecond = 0.0

    /// Step `r`'s Prometheus exposition: the run's families (as the single process writes them)
    /// and the cluster's, from the machine's `status`.
    func exposition(_ r: CoordinatorMachine.StepReport, status: WireStatusReply, config: RunConfig) -> PrometheusExposition {
        let validation = evaluated.flatMap { $0.step == r.step ? $0.result : nil } ?? lastValidation
        let record = MetricsRecord(step: r.step, loss: r.loss, tokensPerSecond: lastTokensPerSecond,
                                   lr: config.optimizer.rate(atStep: r.step - 1), gradNorm: r.gradNorm)
        let families = RunRecorder.families(record, validation: validation,
                                            secondsSinceCheckpoint: Double(RoleSupport.nowMs() - lastCheckpointMs) / 1000)
        return PrometheusExposition(families + ClusterExposition.families(status))
    }

    /// Tensor bytes a step moves by the protocol's layout: each shard's gradient up and weights
    /// down, 2 × shards × P × 4 (`cluster/bytes_per_step`).
    let bytesPerStep: Double

    init(source: ShardSource, config: RunConfig) {
        self.source = source
        self.batch = config.batch
        bytesPerStep = Double(config.shardCount * ParameterLayout(config.model).count * 8)
    }

    /// Counts a finished step and, when the schedule says so, appends its line (with the step's
    /// validation loss, when it was evaluated) and shows progress.
    /// - Throws: `FileSystemError` when the line cannot be written.
    mutating func stepDone(_ r: CoordinatorMachine.StepReport, schedule: RunSchedule, config: RunConfig,
                           recorder: RunRecorder, status: WireStatusReply, exposition: PrometheusExposition,
                           verbose: Bool) throws {
        let now = RoleSupport.nowMs()
        let stepTokens = source.tokens(step: r.step - 1, batch: batch)
        windowTokens += stepTokens
        tokensRun += stepTokens
        guard r.writesLine else {
            excludedMs += max(0, now - r.appliedMs)
            return
        }
        let dt = Double(r.appliedMs - windowStartMs - excludedMs) / 1000
        let tps = dt > 0 ? Double(windowTokens) / dt : 0
        lastTokensPerSecond = tps
        let val = evaluated.flatMap { $0.step == r.step ? $0.result : nil }
        var record = MetricsRecord(step: r.step, loss: r.loss, tokensPerSecond: tps,
                                   lr: config.optimizer.rate(atStep: r.step - 1), gradNorm: r.gradNorm, valLoss: val?.loss,
                                   workers: r.workers, staleness: config.mode == .async ? (r.staleness, r.maxStaleness) : nil,
                                   validation: val)
        record.tokens = totals.tokens + tokensRun
        record.seconds = totals.seconds + Double(now - startMs) / 1000
        if let val { lastValidation = val }
        try recorder.record(record, cluster: [("cluster/shards_redealt", Double(status.shardsRedealt)),
                                              ("cluster/bytes_per_step", bytesPerStep)],
                            exposition: exposition, chart: val != nil || r.isLast)
        if verbose {
            progress.show(step: r.step, total: schedule.totalSteps, loss: r.loss, val: val, tokensPerSecond: tps, workers: r.workers)
        }
        if r.isLast, let val {
            RoleSupport.log("coordinator", String(format: "validation loss %.4f", val.loss)
                + (val.accuracy.map { String(format: ", accuracy %.4f", $0) } ?? "") + (val.f1.map { String(format: ", F1 %.4f", $0) } ?? "")
                + (val.exactMatch.map { String(format: ", exact match %.4f", $0) } ?? ""))
        }
        windowStartMs = now
        windowTokens = 0
        excludedMs = 0
    }
}
