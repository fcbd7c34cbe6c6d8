// ExampleBatcher: which whole examples each step and each shard trains on, for classify and tag.
import RecurMath

/// The training order of whole examples: a pure function of (seed, count, B, n, step).
///
/// This is the contract that makes a cluster's weights equal a single process's bit for bit:
/// every process computes the same batch for a step, and shard k of it is always the same n
/// examples, however many workers share the shards. Nothing depends on earlier steps, so a
/// resumed run only needs its step.
///
/// Epoch e is a permutation of all examples by a Fisher–Yates shuffle drawn from a
/// ``SplitMix64`` seeded with `mix64(mix64(seed) &+ e)`; its steps take the next B examples of
/// that permutation in turn, and the last `count % B` examples of each permutation are not used
/// that epoch (a smaller batch would change the gradient's scale and the shard layout).
public struct ExampleBatcher: Sendable, Equatable {
    /// The run's seed.
    public let seed: UInt64
    /// The number of training examples.
    public let count: Int
    /// Examples per step, B.
    public let batchSize: Int
    /// Examples per shard, n (a worker's unit of work).
    public let shardSize: Int

    /// Checks the sizes.
    ///
    /// - Throws: ``BatchingError`` when B or n is not positive, n does not divide B, or there
    ///   are fewer than B examples.
    public init(seed: UInt64, count: Int, batchSize: Int, shardSize: Int) throws {
        guard batchSize > 0, shardSize > 0 else {
            throw BatchingError.notPositive(batch: batchSize, shard: shardSize)
        }
        guard batchSize % shardSize == 0 else {
            throw BatchingError.batchNotDivisible(batch: batchSize, shard: shardSize)
        }
        guard count >= batchSize else {
            throw BatchingError.tooFewExamples(count: count, batch: batchSize)
        }
        self.seed = seed
        self.count = count
        self.batchSize = batchSize
        self.shardSize = shardSize
    }

    /// Steps per epoch: `count / B`, the incomplete last batch dropped.
    public var stepsPerEpoch: Int { count / batchSize }

    /// Shards per batch, `B / n`.
    public var shardsPerBatch: Int { batchSize / shardSize }

    /// The epoch that `step` (0-based) belongs to.
    public func epoch(ofStep step: Int) -> Int { step / stepsPerEpoch }

    /// The order of all example indices in `epoch`.
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<count)
        var rng = SplitMix64(seed: mix64(mix64(seed) &+ UInt64(epoch)))
        var i = count - 1
        while i > 0 {
            order.swapAt(i, rng.below(i + 1))
            i -= 1
        }
        return order
    }

    /// The B example indices of `step`, in batch order. Costs one permutation (O(count));
    /// a caller that runs many steps of one epoch can slice ``permutation(epoch:)`` itself.
    public func batch(step: Int) -> [Int] {
        let start = (step % stepsPerEpoch) * batchSize
        return Array(permutation(epoch: epoch(ofStep: step))[start..<(start + batchSize)])
    }

    /// The n example indices of shard `shard` of `step`: batch positions [k·n, (k+1)·n).
    public func shard(step: Int, index shard: Int) -> [Int] {
        precondition((0..<shardsPerBatch).contains(shard), "shard \(shard) out of range")
        return Array(batch(step: step)[(shard * shardSize)..<((shard + 1) * shardSize)])
    }

    /// Consecutive ranges that cover `count` examples in order, `size` at a time (the last
    /// one possibly smaller): how a validation or evaluation set is walked, in file order.
    public static func evaluationRanges(count: Int, size: Int) -> [Range<Int>] {
        precondition(size > 0, "evaluation batch size must be positive")
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }
}
