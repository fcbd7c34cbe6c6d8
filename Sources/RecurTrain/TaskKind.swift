// TaskKind: which of the RNN shapes a run trains, and the loss its head is trained with.

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

    /// Whether the task trains on whole, padded examples rather than streams.
    public var usesExamples: Bool { self != .lm }
}

/// The loss of the head, for the example tasks.
public enum LossKind: String, Codable, Sendable, CaseIterable {
    /// Softmax cross-entropy over the labels (or tags).
    case softmax
    /// The lecture notes' binary case: one output, a sigmoid and binary cross-entropy, summed over
    /// the time steps for a tagger. Labels or tags must be `0` and `1`.
    case sigmoid
}
