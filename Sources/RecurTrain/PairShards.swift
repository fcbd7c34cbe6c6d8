// PairShards: an encoder–decoder's training pairs, dealt as shuffled batches, each shard's
// sources and targets padded to their longest.
import RecurData

/// The shards of a seq2seq task: step s takes the next B pairs of its epoch's permutation (the
/// same `ExampleBatcher` as the classifier and the tagger), and shard k is pairs k·n ..< (k+1)·n.
///
/// Every shard is a function of (seed, pairs, B, n, step, k) alone, so the single process, a
/// worker of any cluster and a resumed run all build the same shard.
public struct PairShards: Sendable {
    /// Encoded training pairs, in file order.
    public let pairs: [EncodedPair]
    /// The deterministic shuffle and cut into batches and shards.
    public let batcher: ExampleBatcher
    /// The target side's `<EOS>`, which ends every target.
    public let eos: Int32

    /// Deals `pairs` in batches of `batch`, shards of `lanesPerShard`.
    /// - Throws: `BatchingError` when there are fewer pairs than one batch.
    public init(pairs: [EncodedPair], eos: Int32, seed: UInt64, batch: Int, lanesPerShard: Int) throws {
        self.pairs = pairs
        self.eos = eos
        batcher = try ExampleBatcher(seed: seed, count: pairs.count, batchSize: batch, shardSize: lanesPerShard)
    }

    /// Steps in one pass over the pairs (an incomplete last batch is left out).
    public var stepsPerEpoch: Int { batcher.stepsPerEpoch }

    /// The longest source, S: every shard's sources fit in it.
    public var longestSource: Int { pairs.map(\.source.count).max() ?? 1 }

    /// The longest target with its `<EOS>`, T: every shard's targets fit in it.
    public var longestTarget: Int { (pairs.map(\.target.count).max() ?? 0) + 1 }

    /// Target tokens (with each `<EOS>`) of step `step`, the unit of a seq2seq run's throughput.
    public func targetTokens(step: Int) -> Int { batcher.batch(step: step).reduce(0) { $0 + pairs[$1].target.count + 1 } }

    /// Shard `index` of step `step`: sources [S, n] and targets [T, n], padded to this shard's
    /// longest.
    public func shard(step: Int, index: Int, lanesPerShard n: Int) -> ShardBatch {
        precondition(n == batcher.shardSize, "shards are \(batcher.shardSize) pairs wide")
        let b = PaddedPairBatch(batcher.shard(step: step, index: index).map { pairs[$0] }, eos: eos)
        return ShardBatch(inputs: b.source, targets: b.targets, lengths: b.sourceLengths, steps: b.sourceSteps,
                          lanes: b.lanes, targetSteps: b.targetSteps)
    }
}
