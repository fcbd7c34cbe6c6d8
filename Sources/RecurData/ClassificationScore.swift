// ClassificationScore: accuracy and confusion matrix of predicted against gold label ids.

/// How well predicted labels match gold labels, over one evaluation set.
public struct ClassificationScore: Sendable, Equatable {
    /// Examples scored.
    public let count: Int
    /// Examples whose predicted label is the gold one.
    public let correct: Int
    /// `confusion[gold][predicted]`: how many examples of each gold label got each prediction,
    /// in label-id order; the diagonal is the correct ones, a row shows where a class leaks.
    public let confusion: [[Int]]

    /// Scores `predicted` against `gold`, both label ids in `0..<labelCount`.
    ///
    /// - Precondition: the arrays have the same length and every id is in range.
    public init(gold: [Int32], predicted: [Int32], labelCount: Int) {
        precondition(gold.count == predicted.count, "one prediction per gold label")
        var confusion = Array(repeating: Array(repeating: 0, count: labelCount), count: labelCount)
        for (g, p) in zip(gold, predicted) {
            precondition((0..<Int32(labelCount)).contains(g) && (0..<Int32(labelCount)).contains(p),
                         "label id out of range")
            confusion[Int(g)][Int(p)] += 1
        }
        self.count = gold.count
        self.correct = (0..<labelCount).reduce(0) { $0 + confusion[$1][$1] }
        self.confusion = confusion
    }

    /// `correct / count`, 0 for an empty set.
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
}

/// Correct and total over the tokens selected by a mask, for reporting a subset of tokens (the
/// built-in names data's ambiguous words) apart from the whole.
public struct SubsetAccuracy: Sendable, Equatable {
    /// Selected tokens whose prediction is the gold one.
    public let correct: Int
    /// Selected tokens.
    public let total: Int

    /// Counts over sentences of gold and predicted ids (or labels) and a mask of the same shape.
    ///
    /// - Precondition: all three have the same shape.
    public init<Tag: Equatable>(gold: [[Tag]], predicted: [[Tag]], selected: [[Bool]]) {
        precondition(gold.count == predicted.count && gold.count == selected.count, "one sentence each")
        var correct = 0, total = 0
        for ((g, p), mask) in zip(zip(gold, predicted), selected) {
            precondition(g.count == p.count && g.count == mask.count, "one tag each per token")
            for i in g.indices where mask[i] {
                total += 1
                if g[i] == p[i] { correct += 1 }
            }
        }
        self.correct = correct
        self.total = total
    }

    /// `correct / total`, 0 when nothing is selected.
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}
