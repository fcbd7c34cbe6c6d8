// Trainer: the single-process training loop — sharded gradient, normalisation, clipping, update,
// metrics, validation and checkpoints.
import Foundation
import RecurMath
import RecurModel
import RecurData
import RecurIO

/// What a finished run reports.
public struct TrainSummary: Sendable {
    /// Optimizer steps run.
    public var steps: Int
    /// Mean training loss of the last step (nats per token).
    public var lastLoss: Double
    /// Validation loss at the end, if there is a validation split.
    public var valLoss: Double?
    /// Mean training throughput over the run.
    public var tokensPerSecond: Double
    /// Path of the final checkpoint.
    public var checkpoint: String
}

/// Trains a language model in one process, laid out exactly as the distributed run lays it out.
public final class Trainer {
    /// The run's options.
    public let options: TrainOptions
    /// The data.
    public let data: Dataset
    /// The computation.
    public let model: LanguageModel
    /// Flat parameters [P].
    public let params: FloatBuffer
    /// Flat gradient [P].
    public let grads: FloatBuffer
    /// The optimizer and its state.
    public let optimizer: Optimizer
    /// The shard-by-shard gradient engine.
    public let engine: StepEngine
    /// Steps the run will take.
    public let totalSteps: Int
    /// Steps done so far.
    public private(set) var step = 0
    let store: CheckpointStore
    var metrics: MetricsWriter
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
        data = try Dataset.load(o)
        let layout: StreamLayout
        do { layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt) } catch {
            throw TrainError.data("\(data.source): \(error)")
        }
        let config = ModelConfig(cell: o.cell, activation: o.activation, hidden: o.hidden, layers: o.layers,
                                 embed: o.embed, vocab: data.tokenizer.vocabulary.count, peephole: o.peephole,
                                 dropout: o.dropout)
        do { model = try LanguageModel(config) } catch { throw TrainError.badOption("\(error)") }
        params = FloatBuffer(count: model.layout.count)
        ParameterInit.fill(params, config: config, seed: o.seed)
        grads = FloatBuffer(count: model.layout.count)
        optimizer = Optimizer(config: OptimizerConfig(kind: o.optimizer, learningRate: o.resolvedLearningRate,
                                                      decay: o.lrDecay, decayEvery: o.lrDecayEvery),
                              count: model.layout.count)
        engine = StepEngine(model: model, layout: layout, lanesPerShard: o.resolvedLanesPerShard)
        totalSteps = o.steps ?? max(1, Int((o.epochs * Double(layout.chunksPerEpoch)).rounded()))
        let metricsPath = (o.runDirectory as NSString).appendingPathComponent("metrics.jsonl")
        do {
            try FileManager.default.createDirectory(atPath: o.runDirectory, withIntermediateDirectories: true)
            if let r = resume { try Trainer.truncateMetrics(metricsPath, after: r.step) }
            metrics = try MetricsWriter(path: metricsPath)
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

    /// Drops the metric lines of steps after `step` (written by the run before it stopped), so
    /// the resumed run's lines follow on without repeats.
    public static func truncateMetrics(_ path: String, after step: Int) throws {
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
        let l = engine.gradient(step: step, seed: options.seed, params: params, grads: grads, tokens: data.train)
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
        guard options.onDivergence == .rollback else { throw TrainError.data("\(what); stopping (--on-divergence stop)") }
        guard rollbacks < 5 else { throw TrainError.data("\(what) after 5 rollbacks; stopping") }
        guard let r = try ResumeState.load(options.runDirectory) else {
            throw TrainError.data("\(what) and there is no checkpoint to roll back to; stopping")
        }
        rollbacks += 1
        let lr = optimizer.config.learningRate / 2
        try r.restore(into: self)
        step = r.step
        optimizer.config.learningRate = lr
        metrics.close()
        let path = (options.runDirectory as NSString).appendingPathComponent("metrics.jsonl")
        try Trainer.truncateMetrics(path, after: step)
        metrics = try MetricsWriter(path: path)
        log("diverged: \(what); rolled back to step \(step) (\(r.path)) with the learning rate halved to \(lr)")
    }

    /// Validation loss (nats per token) over the held-out split, or nil when it is too short.
    public func validationLoss() -> Double? {
        guard data.val.count > 1 else { return nil }
        let l = Evaluator.evaluate(model: model, params: params, tokens: data.val, lanes: 16, chunk: 256)
        return l.count > 0 ? l.sum / Double(l.count) : nil
    }

    /// Writes a checkpoint of the current step and moves `latest` to it.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        let path = try store.write(step: step, producers: checkpointContents.producers())
        if options.keep > 0 { try store.prune(keep: options.keep) }
        return path
    }

    /// Runs every remaining step, logging, evaluating and checkpointing on schedule.
    public func run() throws -> TrainSummary {
        let o = options
        let tokensPerStep = Double(o.batch * o.bptt)
        let start = Date()
        var lastCheckpoint = start
        var windowStart = Date(), windowSteps = 0
        var last = (loss: Double.nan, gradNorm: 0.0)
        var lastVal: Double? = nil
        if o.verbose {
            log("training \(model.config.cell.rawValue) H=\(model.config.hidden) L=\(model.config.layers) "
                + "V=\(model.config.vocab) on \(data.source): \(data.train.count) train tokens, "
                + "\(totalSteps) steps of B=\(o.batch) x T=\(o.bptt), \(model.layout.count) parameters")
        }
        if step >= totalSteps {
            log("the run is already complete at step \(step) of \(totalSteps); give --steps to train further")
        }
        while step < totalSteps {
            let lr = optimizer.config.rate(atStep: optimizer.step)
            last = trainStep()
            windowSteps += 1
            guard last.loss.isFinite && last.gradNorm.isFinite else {
                try rollBack(after: last.loss, norm: last.gradNorm)
                continue
            }
            let doEval = (o.evalEvery > 0 && step % o.evalEvery == 0) || step == totalSteps
            let dt = Date().timeIntervalSince(windowStart)  // training time only, before any evaluation
            if doEval { lastVal = validationLoss() }
            if step % o.logEvery == 0 || doEval || step == totalSteps {
                let tps = dt > 0 ? Double(windowSteps) * tokensPerStep / dt : 0
                var fields: [(String, JSONValue)] = [("step", .int(step)), ("loss", .double(last.loss)),
                                                     ("tokens_per_second", .double((tps * 10).rounded() / 10)),
                                                     ("lr", .double(lr)), ("grad_norm", .double(last.gradNorm))]
                if doEval, let v = lastVal { fields.append(("val_loss", .double(v))) }
                try metrics.append(fields)
                if o.verbose {
                    let val = doEval ? lastVal.map { String(format: " val %.4f", $0) } ?? "" : ""
                    log(String(format: "step %d/%d loss %.4f%@ %.0f tok/s", step, totalSteps, last.loss, val, tps))
                }
                windowStart = Date()
                windowSteps = 0
            }
            let bySteps = o.checkpointEvery > 0 && step % o.checkpointEvery == 0
            let byTime = o.checkpointEverySeconds > 0 && Date().timeIntervalSince(lastCheckpoint) >= o.checkpointEverySeconds
            if (bySteps || byTime) && step < totalSteps {
                try saveCheckpoint()
                lastCheckpoint = Date()
            }
        }
        let path = try saveCheckpoint()
        metrics.close()
        let elapsed = Date().timeIntervalSince(start)
        return TrainSummary(steps: step, lastLoss: last.loss, valLoss: lastVal,
                            tokensPerSecond: elapsed > 0 ? Double(totalSteps) * tokensPerStep / elapsed : 0,
                            checkpoint: path)
    }

    func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
