// TaskKind: which of the RNN shapes a run trains, and the loss its head is trained with.
import RecurModel

/// The shape of the problem a run trains: what an example is, what the head reads and what it
/// predicts. Every part of a run (data, shards, model, evaluation) follows from it.
public enum TaskKind: String, Codable, Sendable, CaseIterable {
    /// Language model over token streams, cut into truncated-BPTT chunks with carried state
    /// (one-to-many when it samples).
    case lm
    /// Many-to-one: one label per example, read from the state after the whole example.
    case classify
    /// Many-to-many, aligned: one tag per token.
    case tag
    /// Many-to-many of different lengths: an encoder reads the source, a decoder writes the
    /// target (translation).
    case seq2seq

    /// Whether the task trains on whole, padded examples (or pairs) rather than streams.
    public var usesExamples: Bool { self != .lm }

    /// Whether an example's outputs are one label (classify) or one per token (tag); the
    /// classifier's and tagger's heads read them, the other tasks have none.
    public var hasLabels: Bool { self == .classify || self == .tag }

    /// How an example task's targets `y` are read under `loss`: a tag per token or a label per
    /// example, as classes or as 0/1 (the one mapping training and evaluation share).
    public func targets(_ y: UnsafePointer<Int32>, loss: LossKind) -> ExampleTargets {
        switch (self, loss) {
        case (.tag, .softmax): return .tokenClasses(y)
        case (.tag, .sigmoid): return .tokenBinary(y)
        case (_, .softmax): return .exampleClasses(y)
        case (_, .sigmoid): return .exampleBinary(y)
        }
    }
}

/// The loss of the head, for the example tasks.
public enum LossKind: String, Codable, Sendable, CaseIterable {
    /// Softmax cross-entropy over the labels (or tags).
    case softmax
    /// The lecture notes' binary case: one output, a sigmoid and binary cross-entropy, summed over
    /// the time steps for a tagger. Labels or tags must be `0` and `1`.
    case sigmoid
}
