// StepEngine: one optimizer step's gradient over B lanes (or examples), computed shard by shard
// and summed in shard order — the layout that distributed workers reproduce bit for bit.
import RecurMath
import RecurModel
import RecurData

/// One optimizer step's worth of work in one process: B lanes or examples split into shards of
/// `lanesPerShard`, each computed on its own and added in shard order.
public final class StepEngine {
    /// Where the shards come from.
    public let source: ShardSource
    /// Lanes (examples) per step, B.
    public let batch: Int
    /// Lanes per shard.
    public let lanesPerShard: Int
    /// Number of shards, B / lanesPerShard.
    public var shardCount: Int { batch / lanesPerShard }
    /// Carried state of all lanes [B, L, S, H] (empty when the shards carry none).
    public let state: FloatBuffer
    let computer: ShardComputer
    let shardGrad: FloatBuffer
    /// Input tokens the last step read (padding excluded): the throughput's numerator.
    public private(set) var tokensOfLastStep = 0

    /// Builds the engine.
    /// - Parameters:
    ///   - steps: the most time steps of a shard (T of a stream chunk, the longest example or
    ///     source).
    ///   - targetSteps: the longest target with its `<EOS>` (seq2seq only).
    /// - Throws: `ModelError` when the configuration does not fit the task.
    public init(config: ModelConfig, task: TaskKind, loss: LossKind, source: ShardSource, batch: Int, steps: Int,
                targetSteps: Int = 0, lanesPerShard: Int) throws {
        self.source = source
        self.batch = batch
        self.lanesPerShard = lanesPerShard
        computer = try ShardComputer(config: config, task: task, loss: loss, lanes: lanesPerShard, steps: steps,
                                     targetSteps: targetSteps)
        state = FloatBuffer(count: source.carriesState ? batch * config.stateFloatsPerLane : 0)
        shardGrad = FloatBuffer(count: batch == lanesPerShard ? 0 : computer.layout.count)
    }

    /// Bytes of buffers the engine holds.
    public var bytes: Int { computer.workspaceBytes + (state.count + shardGrad.count) * 4 }

    /// Computes the summed gradient of step `step` into `grads` (overwritten).
    ///
    /// A stream's chunk is `step % stepsPerEpoch`; at the start of every epoch but the first the
    /// carried state is reset to zero, as char-rnn does.
    /// - Returns: the summed loss and target count over all shards.
    public func gradient(step: Int, seed: UInt64, params: FloatBuffer, grads: FloatBuffer) -> ChunkLoss {
        if source.carriesState && source.startsEpoch(step) { state.zero() }
        grads.zero()
        var total = ChunkLoss(sum: 0, count: 0)
        tokensOfLastStep = 0
        let per = computer.config.stateFloatsPerLane
        for s in 0..<shardCount {
            let shard = source.shard(step: step, index: s, lanesPerShard: lanesPerShard)
            let target = shardCount == 1 ? grads : shardGrad
            if shardCount > 1 { shardGrad.zero() }
            let key = DropoutKey(seed: seed, step: UInt64(step), firstLane: s * lanesPerShard)
            let lanes = source.carriesState ? state.pointer + s * lanesPerShard * per : nil
            let loss = computer.compute(params: params.pointer, grads: target.pointer, shard: shard, state: lanes,
                                        dropout: key)
            if shardCount > 1 { UpdateRule.accumulate(shardGrad.pointer, into: grads) }
            tokensOfLastStep += shard.tokenCount
            total.sum += loss.sum
            total.count += loss.count
        }
        return total
    }
}
