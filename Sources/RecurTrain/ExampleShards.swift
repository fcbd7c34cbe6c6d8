// ExampleShards: a classifier's or tagger's training examples, dealt as shuffled batches of
// whole examples, each shard padded to its longest example.
import RecurData

/// The shards of an example task: step s takes the next B examples of epoch s / stepsPerEpoch's
/// permutation (made from the seed), and shard k is examples k·n ..< (k+1)·n of that batch.
///
/// Every shard is a function of (seed, examples, B, n, step, k) alone, so the single process, a
/// worker of any cluster and a resumed run all build the same shard.
public struct ExampleShards: Sendable {
    /// Encoded training examples, in file order.
    public let examples: [EncodedExample]
    /// The deterministic shuffle and cut into batches and shards.
    public let batcher: ExampleBatcher

    /// Deals `examples` in batches of `batch`, shards of `lanesPerShard`.
    /// - Throws: `BatchingError` when there are fewer examples than one batch.
    public init(examples: [EncodedExample], seed: UInt64, batch: Int, lanesPerShard: Int) throws {
        self.examples = examples
        batcher = try ExampleBatcher(seed: seed, count: examples.count, batchSize: batch, shardSize: lanesPerShard)
    }

    /// Steps in one pass over the examples (an incomplete last batch is left out).
    public var stepsPerEpoch: Int { batcher.stepsPerEpoch }

    /// The longest example, the time capacity every shard fits in.
    public var longest: Int { examples.map(\.tokens.count).max() ?? 1 }

    /// Shard `index` of step `step`, padded to its longest example.
    public func shard(step: Int, index: Int, lanesPerShard n: Int) -> ShardBatch {
        precondition(n == batcher.shardSize, "shards are \(batcher.shardSize) examples wide")
        let b = PaddedBatch(batcher.shard(step: step, index: index).map { examples[$0] })
        return ShardBatch(inputs: b.inputs, targets: b.labels.isEmpty ? b.tags : b.labels, lengths: b.lengths,
                          steps: b.time, lanes: b.lanes)
    }
}
