// StepEngine: one optimizer step's gradient over B lanes, computed shard by shard and summed in
// shard order — the layout that distributed workers reproduce bit for bit.
import RecurMath
import RecurModel
import RecurData

/// Computes the summed gradient and loss of one shard: `n` lanes × `T` steps.
///
/// Stateless between calls apart from its reusable buffers: everything a shard needs (tokens,
/// initial state, parameters) is passed in, which is what lets a worker process compute any
/// shard for any step.
public final class ShardComputer {
    /// The model computed.
    public let model: LanguageModel
    /// Lanes per shard, `n`.
    public let lanes: Int
    /// Steps per chunk, `T`.
    public let steps: Int
    let ws: Workspace

    /// Allocates buffers for shards of `lanes` × `steps`.
    public init(model: LanguageModel, lanes: Int, steps: Int) {
        self.model = model
        self.lanes = lanes
        self.steps = steps
        ws = Workspace(config: model.config, steps: steps, lanes: lanes)
    }

    /// Bytes of activation buffers.
    public var workspaceBytes: Int { ws.bytes }

    /// Adds the gradient of the shard's summed loss into `grads` and advances `state`.
    /// - Parameters:
    ///   - params: flat parameters [P].
    ///   - grads: flat gradient [P], accumulated into.
    ///   - inputs: token ids [T, n].
    ///   - targets: next-token ids [T, n].
    ///   - state: carried state [n, L, S, H], replaced by the final state.
    ///   - dropout: the mask key (nil when the model has no dropout).
    ///   - needs: told before each part of the forward pass how much of `params` it reads next.
    ///   - finished: told of each range of `grads` as soon as it is final (see
    ///     `LanguageModel.lossAndGradient`).
    /// - Returns: the summed loss and token count.
    public func compute(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, inputs: UnsafePointer<Int32>,
                        targets: UnsafePointer<Int32>, state: UnsafeMutablePointer<Float>, dropout: DropoutKey?,
                        needs: ((_ end: Int) -> Void)? = nil,
                        finished: ((_ range: Range<Int>, _ loss: ChunkLoss) -> Void)? = nil) -> ChunkLoss {
        model.lossAndGradient(params: params, grads: grads, ws: ws, inputs: inputs, targets: .classes(targets),
                              steps: steps, state: state, dropout: model.config.dropout > 0 ? dropout : nil,
                              needs: needs, finished: finished)
    }
}

/// One optimizer step's worth of work in one process: B lanes split into shards of
/// `lanesPerShard`, each computed on its own and added in shard order.
public final class StepEngine {
    /// The model computed.
    public let model: LanguageModel
    /// The stream layout of the training tokens.
    public let layout: StreamLayout
    /// Lanes per shard.
    public let lanesPerShard: Int
    /// Number of shards, B / lanesPerShard.
    public var shardCount: Int { layout.batch / lanesPerShard }
    /// Carried state of all lanes [B, L, S, H].
    public let state: FloatBuffer
    let computer: ShardComputer
    let shardGrad: FloatBuffer
    var inputs: [Int32], targets: [Int32]

    /// Builds the engine.
    public init(model: LanguageModel, layout: StreamLayout, lanesPerShard: Int) {
        self.model = model
        self.layout = layout
        self.lanesPerShard = lanesPerShard
        state = FloatBuffer(count: layout.batch * model.config.stateFloatsPerLane)
        computer = ShardComputer(model: model, lanes: lanesPerShard, steps: layout.bptt)
        shardGrad = FloatBuffer(count: layout.batch == lanesPerShard ? 0 : model.layout.count)
        inputs = [Int32](repeating: 0, count: layout.bptt * lanesPerShard)
        targets = inputs
    }

    /// Bytes of buffers the engine holds.
    public var bytes: Int { computer.workspaceBytes + (state.count + shardGrad.count) * 4 }

    /// Computes the summed gradient of step `step` into `grads` (overwritten).
    ///
    /// The chunk is `step % chunksPerEpoch`; at the start of every epoch but the first the carried
    /// state is reset to zero, as char-rnn does.
    /// - Returns: the summed loss and token count over all shards.
    public func gradient(step: Int, seed: UInt64, params: FloatBuffer, grads: FloatBuffer, tokens: [Int32]) -> ChunkLoss {
        let chunk = step % layout.chunksPerEpoch
        if chunk == 0 { state.zero() }
        grads.zero()
        var total = ChunkLoss(sum: 0, count: 0)
        let per = model.config.stateFloatsPerLane
        tokens.withUnsafeBufferPointer { tok in
            for s in 0..<shardCount {
                let lanes = s * lanesPerShard ..< (s + 1) * lanesPerShard
                inputs.withUnsafeMutableBufferPointer { i in
                    targets.withUnsafeMutableBufferPointer { t in
                        layout.fill(chunk: chunk, lanes: lanes, from: tok, inputs: i.baseAddress!, targets: t.baseAddress!)
                    }
                }
                let target = shardCount == 1 ? grads : shardGrad
                if shardCount > 1 { shardGrad.zero() }
                let key = DropoutKey(seed: seed, step: UInt64(step), firstLane: lanes.lowerBound)
                let loss = computer.compute(params: params.pointer, grads: target.pointer, inputs: inputs,
                                            targets: targets, state: state.pointer + lanes.lowerBound * per, dropout: key)
                if shardCount > 1 { UpdateRule.accumulate(shardGrad.pointer, into: grads) }
                total.sum += loss.sum
                total.count += loss.count
            }
        }
        return total
    }
}
