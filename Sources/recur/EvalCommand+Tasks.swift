// EvalCommand+Tasks: `recur eval` of a classifier or a tagger — loss with accuracy and the
// confusion matrix, or token accuracy with conlleval's entity-level precision, recall and F1.
import Foundation
import RecurData
import RecurTrain

/// `recur eval --json` of a classifier.
struct ClassifyEvalReport: Encodable {
    var loss: Double
    var accuracy: Double
    var examples: Int
    /// Labels in id order, naming the confusion matrix's rows (gold) and columns (predicted).
    var labels: [String]
    var confusion: [[Int]]
}

/// `recur eval --json` of a tagger.
struct TagEvalReport: Encodable {
    var loss: Double
    var token_accuracy: Double
    var precision: Double
    var recall: Double
    var f1: Double
    var tokens: Int
    var sentences: Int
    /// Built-in names only: accuracy on the tokens whose tag only the words after them decide.
    var ambiguous_accuracy: Double?
    var ambiguous_tokens: Int?
}

extension EvalCommand {
    /// Evaluates a classifier's or tagger's checkpoint on `corpus`, or, without one, on the
    /// held-out part of the built-in data it was trained on.
    func evaluateExamples(_ saved: SavedModel) throws {
        var ambiguous: [[Bool]]? = nil
        let examples: [EncodedExample]
        if let corpus {
            examples = try saved.readExamples(path: corpus)
        } else {
            guard let r = try ResumeState.load(checkpoint) else { throw TrainError.checkpoint("\(checkpoint): no checkpoint") }
            let o = try r.options(TrainOptions(), explicit: [])
            guard o.corpus == nil || o.valCorpus != nil || o.valFraction > 0 else {
                throw TrainError.badOption("--corpus is needed: the run held nothing out")
            }
            guard case .examples(let held, let flags) = try TaskData.load(o).validation else { return }
            (examples, ambiguous) = (held, flags)
        }
        guard !examples.isEmpty else { throw TrainError.data("\(corpus ?? checkpoint): no examples to evaluate") }
        let s = try ExampleEvaluator(config: saved.config, head: saved.head, params: saved.params).score(examples, ambiguous: ambiguous)
        let loss = s.loss ?? .nan
        if let c = s.classification {
            let labels = saved.head.labels
            if json {
                try printJSON(ClassifyEvalReport(loss: loss, accuracy: c.accuracy, examples: c.count, labels: labels, confusion: c.confusion))
            } else {
                print(String(format: "loss %.4f, accuracy %.4f, %d examples", loss, c.accuracy, c.count))
            }
        } else if let t = s.chunks {
            let report = TagEvalReport(loss: loss, token_accuracy: t.tokenAccuracy, precision: t.precision, recall: t.recall,
                                       f1: t.f1, tokens: t.tokens, sentences: examples.count,
                                       ambiguous_accuracy: s.ambiguous?.accuracy, ambiguous_tokens: s.ambiguous?.total)
            if json { return try printJSON(report) }
            print(String(format: "loss %.4f, token accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, %d tokens, %d sentences",
                         loss, t.tokenAccuracy, t.precision, t.recall, t.f1, t.tokens, examples.count)
                  + (s.ambiguous.map { String(format: "; ambiguous tokens %.4f (%d)", $0.accuracy, $0.total) } ?? ""))
        }
    }
}
