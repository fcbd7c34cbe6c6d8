// StepDecoder: what a search over output sequences needs from a model, one token at a time.

/// A model that extends a set of partial output sequences (hypotheses) by one token at a time, so
/// greedy and beam search can drive any decoder without knowing its state.
public protocol StepDecoder: AnyObject {
    /// Output vocabulary size V (the width of each row `advance` returns).
    var vocabularySize: Int { get }
    /// Makes hypothesis i a copy of old hypothesis `parents[i]` extended by `tokens[i]`, and returns the
    /// log-probabilities of each hypothesis' next token, [parents.count, V] row-major.
    func advance(parents: [Int], tokens: [Int32]) -> [Float]
}
