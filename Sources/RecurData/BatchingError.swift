// BatchingError: why whole examples cannot be batched or padded as asked.

/// Why examples cannot be batched as asked.
public enum BatchingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The batch size or the examples per shard is not positive.
    case notPositive(batch: Int, shard: Int)
    /// The batch B is not a whole number of shards of n examples.
    case batchNotDivisible(batch: Int, shard: Int)
    /// Fewer examples than one batch, so an epoch would have no step.
    case tooFewExamples(count: Int, batch: Int)
    /// An example is longer than the fixed time length T of a padded batch.
    case longerThanTime(length: Int, time: Int, line: Int)

    /// A one-line explanation with the numbers involved and what to change.
    public var description: String {
        switch self {
        case let .notPositive(batch, shard):
            return "batch size \(batch) and examples per shard \(shard) must both be positive"
        case let .batchNotDivisible(batch, shard):
            return "batch size \(batch) is not a multiple of the \(shard) examples per shard"
        case let .tooFewExamples(count, batch):
            return "only \(count) examples, fewer than one batch of \(batch); use a smaller batch or more data"
        case let .longerThanTime(length, time, line):
            return "the example of line \(line) has \(length) tokens, more than the batch's \(time) time steps"
        }
    }
}
