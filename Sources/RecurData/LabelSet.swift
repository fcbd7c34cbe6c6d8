// LabelSet: the labels (classes or tags) of a task and their ids, in the order a checkpoint keeps.

/// The labels a model predicts, each with a fixed id: the index in ``labels``.
///
/// Built from training data, ids follow byte-wise (UTF-8) string order, not file order: the
/// same label set then gets the same ids whichever example comes first, whether the data is
/// shuffled, and on every machine of a cluster, so checkpoints and confusion matrices stay
/// comparable between runs. The list is what a checkpoint stores, and ``init(labels:)``
/// rebuilds it exactly.
public struct LabelSet: Sendable, Equatable {
    /// The labels in id order.
    public let labels: [String]
    /// Label to id.
    private let index: [String: Int]

    /// The fixed set `0`, `1` of `--loss sigmoid`, where a label's id is its value.
    public static let binary = LabelSet(sorted: ["0", "1"])

    /// Rebuilds a label set from its stored list, keeping that order.
    ///
    /// - Throws: ``LabeledDataError/invalidLabelSet(reason:)`` when the list is empty, has an
    ///   empty label or has a label twice.
    public init(labels: [String]) throws {
        if labels.isEmpty { throw LabeledDataError.invalidLabelSet(reason: "it has no labels") }
        var index: [String: Int] = [:]
        for (id, label) in labels.enumerated() {
            if label.isEmpty {
                throw LabeledDataError.invalidLabelSet(reason: "label \(id) is empty")
            }
            if let first = index.updateValue(id, forKey: label) {
                throw LabeledDataError.invalidLabelSet(reason: "label \(quoted(label)) has ids \(first) and \(id)")
            }
        }
        self.labels = labels
        self.index = index
    }

    /// The distinct labels of `training`, sorted byte-wise.
    public init(collecting training: some Sequence<String>) {
        self.init(sorted: Set(training).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    private init(sorted: [String]) {
        labels = sorted
        index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($0.element, $0.offset) })
    }

    /// The number of labels, that is the model's output size (softmax).
    public var count: Int { labels.count }

    /// The id of `label`, or nil when training never saw it.
    public func id(_ label: String) -> Int? { index[label] }

    /// The label of `id`, or nil when out of range.
    public func label(_ id: Int) -> String? { labels.indices.contains(id) ? labels[id] : nil }

    /// The id of `label`, for data whose labels must all have been seen in training.
    ///
    /// - Parameters:
    ///   - path: the file (or built-in data name) the label comes from, for the message.
    ///   - line: its 1-based line, when it has one.
    /// - Throws: ``LabeledDataError/unknownLabel(_:path:line:)``.
    public func id(of label: String, path: String, line: Int?) throws -> Int32 {
        guard let id = index[label] else {
            throw LabeledDataError.unknownLabel(label, path: path, line: line)
        }
        return Int32(id)
    }

    /// The label set of a classification training set: sorted labels, or ``binary`` after
    /// checking every label is `0` or `1` (a single output's target is then the id itself).
    ///
    /// - Throws: ``LabeledDataError/notBinary(_:path:line:)`` naming the first other label.
    public static func classification(_ examples: [ClassifyExample], path: String, binary: Bool) throws -> LabelSet {
        if binary {
            for example in examples { try checkBinary(example.label, path: path, line: example.line) }
            return .binary
        }
        return LabelSet(collecting: examples.lazy.map(\.label))
    }

    /// The tag set of a tagging training set, as ``classification(_:path:binary:)``; a
    /// sentence's error names the line of its first token.
    ///
    /// - Throws: ``LabeledDataError/notBinary(_:path:line:)`` naming the first other tag.
    public static func tagging(_ sentences: [TagSentence], path: String, binary: Bool) throws -> LabelSet {
        if binary {
            for sentence in sentences {
                for (offset, tag) in sentence.tags.enumerated() {
                    try checkBinary(tag, path: path, line: sentence.line + offset)
                }
            }
            return .binary
        }
        return LabelSet(collecting: sentences.lazy.flatMap(\.tags))
    }

    /// Checks that `label` is one of the two labels a sigmoid output can learn.
    ///
    /// - Throws: ``LabeledDataError/notBinary(_:path:line:)``.
    public static func checkBinary(_ label: String, path: String, line: Int?) throws {
        if label != "0" && label != "1" {
            throw LabeledDataError.notBinary(label, path: path, line: line)
        }
    }
}
