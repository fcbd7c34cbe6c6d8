// LabeledExamples: the value types of labelled data, as read from files or generated.

/// One classification example: a whole text and the one label it should get (many-to-one).
public struct ClassifyExample: Sendable, Hashable {
    /// The class, exactly as written in the file (labels are compared as strings).
    public let label: String
    /// The text to classify, without its trailing line ending.
    public let text: String
    /// The 1-based line it came from, kept so that later errors (unknown label, too long) can
    /// point at it.
    public let line: Int

    /// An example read from `line` (or numbered so for generated data).
    public init(label: String, text: String, line: Int) {
        self.label = label
        self.text = text
        self.line = line
    }
}

/// One tagging example: a sentence as tokens with one tag per token (aligned many-to-many).
public struct TagSentence: Sendable, Hashable {
    /// The words, exactly as in the first column of the file.
    public let tokens: [String]
    /// One tag per token, from the last column.
    public let tags: [String]
    /// The 1-based line of the first token, so later errors can point at the sentence.
    public let line: Int
    /// Which tokens are the ones whose tag only right context decides (built-in names data
    /// only, for evaluating them separately); all false for sentences read from a file.
    public let ambiguous: [Bool]

    /// A sentence starting at `line`; `ambiguous` defaults to no marked token.
    ///
    /// - Precondition: `tags` and a non-empty `ambiguous` have one entry per token.
    public init(tokens: [String], tags: [String], line: Int, ambiguous: [Bool]? = nil) {
        precondition(tokens.count == tags.count, "a sentence needs one tag per token")
        let marks = ambiguous ?? Array(repeating: false, count: tokens.count)
        precondition(marks.count == tokens.count, "a sentence needs one ambiguity flag per token")
        self.tokens = tokens
        self.tags = tags
        self.line = line
        self.ambiguous = marks
    }
}
