// ShardComputer: one shard's summed loss and gradient, for every task — the code both the
// single-process trainer and a worker run, so their arithmetic is the same.
import RecurData
import RecurMath
import RecurModel

/// Computes the summed gradient and loss of one shard (`ShardBatch`), reusing its buffers.
///
/// Stateless between calls apart from those buffers: everything a shard needs (tokens, targets,
/// lengths, carried state, parameters) is passed in, which is what lets a worker process compute
/// any shard of any step.
public final class ShardComputer {
    /// The computation and its buffers, by the shape of the shards.
    enum Engine {
        /// Stream chunks of a language model.
        case stream(LanguageModel, Workspace)
        /// Padded example batches of a classifier or tagger.
        case examples(ExampleModel, ExampleWorkspace)
        /// Padded pair batches of an encoder–decoder, with the target side's `<BOS>`.
        case pairs(Seq2SeqModel, Seq2SeqWorkspace, bos: Int32)
    }

    let engine: Engine
    /// The architecture.
    public let config: ModelConfig
    /// Where each tensor lives in the flat vectors.
    public let layout: ParameterLayout
    /// The task, which decides how targets are read.
    public let task: TaskKind
    /// The head's loss (example tasks).
    public let loss: LossKind
    /// Lanes (or examples) per shard, `n`.
    public let lanes: Int
    /// The most time steps a shard may have, `T` (a pair shard's sources, S).
    public let steps: Int
    /// The most target positions a pair shard may have, T (0 for every other task).
    public let targetSteps: Int

    /// Allocates buffers for shards of at most `lanes` × `steps` (and `targetSteps` for pairs).
    /// - Throws: `ModelError.invalidConfig` when the configuration does not fit the task.
    public init(config: ModelConfig, task: TaskKind, loss: LossKind, lanes: Int, steps: Int, targetSteps: Int = 0) throws {
        self.targetSteps = targetSteps
        self.config = config
        self.task = task
        self.loss = loss
        self.lanes = lanes
        self.steps = steps
        switch task {
        case .lm:
            let model = try LanguageModel(config)
            layout = model.layout
            engine = .stream(model, Workspace(config: config, steps: steps, lanes: lanes))
        case .classify, .tag:
            let pooling: ExampleModel.Pooling = task == .classify ? .lastToken : .everyToken
            let model = try ExampleModel(config, pooling: pooling)
            layout = model.layout
            engine = .examples(model, ExampleWorkspace(config: config, pooling: pooling, steps: steps, lanes: lanes))
        case .seq2seq:
            let model = try Seq2SeqModel(config)
            layout = model.layout
            // The target codec's rule: `<BOS>` and `<EOS>` are the last two ids of the target side.
            engine = .pairs(model, Seq2SeqWorkspace(config: config, sourceSteps: steps, targetSteps: max(1, targetSteps), lanes: lanes),
                            bos: Int32(config.headSize - 2))
        }
    }

    /// Adds the gradient of the shard's summed loss into `grads` and, for a stream chunk,
    /// advances `state`.
    /// - Parameters:
    ///   - params: flat parameters [P].
    ///   - grads: flat gradient [P], accumulated into.
    ///   - shard: the shard's tokens, targets and (examples) lengths.
    ///   - state: carried state [n, L, S, H] of a stream chunk, replaced by the final state;
    ///     ignored for examples.
    ///   - dropout: the mask key (used only when the model has dropout).
    ///   - needs: told before each part of the forward pass how much of `params` it reads next.
    ///   - finished: told of each range of `grads` as soon as it is final.
    /// - Returns: the summed loss and the count of scored targets.
    public func compute(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, shard: ShardBatch,
                        state: UnsafeMutablePointer<Float>?, dropout: DropoutKey?,
                        needs: ((_ end: Int) -> Void)? = nil,
                        finished: ((_ range: Range<Int>, _ loss: ChunkLoss) -> Void)? = nil) -> ChunkLoss {
        precondition(shard.lanes == lanes && shard.steps <= steps && shard.targetSteps <= targetSteps,
                     "the shard does not fit the buffers")
        let key = config.dropout > 0 ? dropout : nil
        if case .pairs(let model, let ws, let bos) = engine {
            let d = PaddedPairBatch.decoderInputs(targets: shard.targets, steps: shard.targetSteps, lanes: shard.lanes, bos: bos)
            return shard.inputs.withUnsafeBufferPointer { x in
                shard.lengths.withUnsafeBufferPointer { n in
                    d.withUnsafeBufferPointer { di in
                        shard.targets.withUnsafeBufferPointer { y in
                            model.lossAndGradient(params: params, grads: grads, ws: ws, source: x.baseAddress!,
                                                  sourceLengths: n.baseAddress!, sourceSteps: shard.steps,
                                                  decoderInputs: di.baseAddress!, targets: y.baseAddress!,
                                                  targetSteps: shard.targetSteps, dropout: key, needs: needs, finished: finished)
                        }
                    }
                }
            }
        }
        return shard.inputs.withUnsafeBufferPointer { i in
            shard.targets.withUnsafeBufferPointer { y in
                switch engine {
                case .stream(let model, let ws):
                    guard let state else { preconditionFailure("a stream chunk needs its carried state") }
                    return model.lossAndGradient(params: params, grads: grads, ws: ws, inputs: i.baseAddress!,
                                                 targets: .classes(y.baseAddress!), steps: shard.steps, state: state,
                                                 dropout: key, needs: needs, finished: finished)
                case .pairs: preconditionFailure("computed above")
                case .examples(let model, let ws):
                    return shard.lengths.withUnsafeBufferPointer { n in
                        model.lossAndGradient(params: params, grads: grads, ws: ws, inputs: i.baseAddress!,
                                              lengths: n.baseAddress!, targets: task.targets(y.baseAddress!, loss: loss),
                                              steps: shard.steps, dropout: key, needs: needs, finished: finished)
                    }
                }
            }
        }
    }

    /// Bytes of activation buffers.
    public var workspaceBytes: Int {
        switch engine {
        case .stream(_, let ws): return ws.bytes
        case .examples(_, let ws): return ws.bytes
        case .pairs(_, let ws, _): return ws.bytes
        }
    }
}
