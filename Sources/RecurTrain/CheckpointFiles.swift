// CheckpointFiles: the files of a training checkpoint — model, optimizer state, carried state and
// the trainer's position — the same whether one process or a cluster wrote them.
import Foundation
import RecurData
import RecurMath
import RecurModel
import RecurIO

/// Everything a checkpoint records, gathered from a trainer or from a cluster's roles.
///
/// - `model.safetensors`: weights (see `ModelFile`).
/// - `optimizer.safetensors`: `m` and/or `v` [P] moments; metadata `kind`, `step`, `learning_rate`.
/// - `state.safetensors`: `hidden` [B, L, S, H], every lane's carried state.
/// - `trainer.json`: step, total steps, and the flags a resume keeps (`TrainerState`).
public struct CheckpointContents {
    /// The architecture.
    public var config: ModelConfig
    /// The task, its loss and labels.
    public var head: TaskHead
    /// Weights [P].
    public var params: FloatBuffer
    /// The run's tokenizer.
    public var tokenizer: Tokenizer
    /// The optimizer's rule, steps taken and base rate.
    public var optimizer: OptimizerConfig
    /// Steps the optimizer has applied.
    public var optimizerStep: Int
    /// Moments [P] (empty when the rule keeps none).
    public var m: FloatBuffer, v: FloatBuffer
    /// Carried state [B, L, S, H].
    public var hidden: FloatBuffer
    /// The run's options.
    public var options: TrainOptions
    /// Steps done.
    public var step: Int
    /// Steps of the whole run.
    public var totalSteps: Int

    /// Creates the contents of a checkpoint.
    public init(config: ModelConfig, head: TaskHead, params: FloatBuffer, tokenizer: Tokenizer, optimizer: OptimizerConfig,
                optimizerStep: Int, m: FloatBuffer, v: FloatBuffer, hidden: FloatBuffer, options: TrainOptions,
                step: Int, totalSteps: Int) {
        self.config = config
        self.head = head
        self.params = params
        self.tokenizer = tokenizer
        self.optimizer = optimizer
        self.optimizerStep = optimizerStep
        self.m = m
        self.v = v
        self.hidden = hidden
        self.options = options
        self.step = step
        self.totalSteps = totalSteps
    }

    /// Functions that encode each file when it is written (see `CheckpointStore.write(step:producers:)`).
    public func producers() -> [String: () throws -> [UInt8]] {
        [
            "model.safetensors": { try ModelFile.encode(config: config, params: params, tokenizer: tokenizer, head: head) },
            "optimizer.safetensors": { try optimizerFile() },
            "state.safetensors": { try stateFile() },
            "trainer.json": { try trainerJSON() },
        ]
    }

    func view(_ name: String, _ b: FloatBuffer, shape: [Int]? = nil) -> TensorView {
        TensorView(name: name, shape: shape ?? [b.count], values: UnsafeBufferPointer(start: b.pointer, count: b.count))
    }

    func optimizerFile() throws -> [UInt8] {
        let moments = [("m", m), ("v", v)].filter { $0.1.count > 0 }.map { view($0.0, $0.1) }
        return try SafeTensors.encode(views: moments, metadata: [
            "kind": optimizer.kind.rawValue, "step": String(optimizerStep), "learning_rate": String(optimizer.learningRate),
        ])
    }

    func stateFile() throws -> [UInt8] {
        // An example task carries no state: its `hidden` is [B, L, S, 0].
        let c = config, h = hidden.count == 0 ? 0 : c.hidden
        return try SafeTensors.encode(views: [view("hidden", hidden, shape: [options.batch, c.layers, c.stateSlots, h])],
                                      metadata: [:])
    }

    func trainerJSON() throws -> [UInt8] {
        // The rate in force, halved by any rollback.
        try TrainerState(options: options, vocab: config.vocab, step: step, totalSteps: totalSteps,
                         lr: optimizer.learningRate).encoded()
    }
}

extension Trainer {
    /// The trainer's current state as checkpoint contents.
    public var checkpointContents: CheckpointContents {
        CheckpointContents(config: config, head: data.head, params: params, tokenizer: data.tokenizer, optimizer: optimizer.config,
                           optimizerStep: optimizer.step, m: optimizer.m, v: optimizer.v, hidden: engine.state,
                           options: options, step: step, totalSteps: endedByTime ?? totalSteps)
    }
}
