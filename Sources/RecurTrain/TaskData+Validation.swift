// TaskData+Validation: the held-out figures of an evaluation step, the same for the single
// process and the coordinator.
import Foundation
import RecurMath
import RecurModel

/// What an evaluation step reports.
public struct ValidationResult: Sendable, Equatable {
    /// Mean loss per scored target (nats).
    public var loss: Double
    /// A classifier's accuracy.
    public var accuracy: Double?
    /// A tagger's entity-level F1.
    public var f1: Double?
    /// An encoder–decoder's share of greedily decoded outputs equal to their reference.
    public var exactMatch: Double?

    /// Creates a result.
    public init(loss: Double, accuracy: Double? = nil, f1: Double? = nil, exactMatch: Double? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.f1 = f1
        self.exactMatch = exactMatch
    }

    /// The progress line's words for it, e.g. " val 0.4123 acc 0.912".
    public var words: String {
        String(format: " val %.4f", loss) + (accuracy.map { String(format: " acc %.3f", $0) } ?? "")
            + (f1.map { String(format: " f1 %.3f", $0) } ?? "") + (exactMatch.map { String(format: " em %.3f", $0) } ?? "")
    }
}

extension TaskData {
    /// The validation figures of `params`, or nil when there is nothing held out.
    public func validate(config: ModelConfig, params: FloatBuffer) -> ValidationResult? {
        switch validation {
        case .stream(let tokens):
            guard tokens.count > 1, let model = try? LanguageModel(config) else { return nil }
            let l = Evaluator.evaluate(model: model, params: params, tokens: tokens, lanes: 16, chunk: 256)
            return l.count > 0 ? ValidationResult(loss: l.sum / Double(l.count)) : nil
        case .examples(let examples, let ambiguous):
            guard !examples.isEmpty, let e = try? ExampleEvaluator(config: config, head: head, params: params) else { return nil }
            let s = e.score(examples, ambiguous: ambiguous)
            return s.loss.map { ValidationResult(loss: $0, accuracy: s.accuracy, f1: s.f1) }
        case .pairs(let pairs):
            guard !pairs.isEmpty, let target,
                  let e = try? Seq2SeqEvaluator(config: config, params: params, target: target) else { return nil }
            let s = e.score(pairs, beam: 1)
            return s.loss.map { ValidationResult(loss: $0, exactMatch: s.exactMatch) }
        }
    }
}
