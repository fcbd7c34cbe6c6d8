// PaddedBatch: a shard of whole examples laid out time-major with padding and lengths.

/// n examples of different lengths in the time-major layout the recurrent kernels read.
///
/// Every example occupies one lane; step t of lane i is at `t * n + i`. Positions past an
/// example's length are padding: input 0 and tag −1, the value losses and metrics skip
/// (input 0 is `<UNK>`'s id, so `lengths` is what marks padding, never the input value).
public struct PaddedBatch: Sendable, Equatable {
    /// Time steps T, the longest example of the batch (or the fixed length asked for).
    public let time: Int
    /// Lanes n, one per example.
    public let lanes: Int
    /// Token ids `[T, n]`, time-major; 0 at padded positions.
    public let inputs: [Int32]
    /// Each example's length `[n]`.
    public let lengths: [Int32]
    /// Classification: each example's label id `[n]`; empty for tagging.
    public let labels: [Int32]
    /// Tagging: tag ids `[T, n]`, time-major; −1 at padded positions; empty for classification.
    public let tags: [Int32]

    /// The tag value at padded positions, ignored by losses and metrics.
    public static let ignoredTag: Int32 = -1

    /// Pads `examples` to the longest of them.
    ///
    /// - Precondition: at least one example, all classification or all tagging.
    public init(_ examples: [EncodedExample]) {
        // Cannot throw: no example is longer than the longest one.
        try! self.init(examples, time: examples.map(\.tokens.count).max() ?? 0)
    }

    /// Pads `examples` to a fixed `time` T (the same shape for every batch).
    ///
    /// - Throws: ``BatchingError/longerThanTime(length:time:line:)`` for an example longer
    ///   than `time`.
    /// - Precondition: at least one example, all classification or all tagging.
    public init(_ examples: [EncodedExample], time: Int) throws {
        precondition(!examples.isEmpty, "a batch needs at least one example")
        let n = examples.count
        var inputs = [Int32](repeating: 0, count: time * n)
        var lengths: [Int32] = []
        var labels: [Int32] = []
        var tags: [Int32] = []
        let tagging: Bool
        if case .tags = examples[0].target { tagging = true } else { tagging = false }
        if tagging { tags = [Int32](repeating: Self.ignoredTag, count: time * n) }
        for (lane, example) in examples.enumerated() {
            let length = example.tokens.count
            if length > time {
                throw BatchingError.longerThanTime(length: length, time: time, line: example.line)
            }
            lengths.append(Int32(length))
            for (t, id) in example.tokens.enumerated() { inputs[t * n + lane] = id }
            switch example.target {
            case let .label(label):
                precondition(!tagging, "a batch cannot mix classification and tagging examples")
                labels.append(label)
            case let .tags(ids):
                precondition(tagging, "a batch cannot mix classification and tagging examples")
                for (t, id) in ids.enumerated() { tags[t * n + lane] = id }
            }
        }
        self.time = time
        self.lanes = n
        self.inputs = inputs
        self.lengths = lengths
        self.labels = labels
        self.tags = tags
    }
}
