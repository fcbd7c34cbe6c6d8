// ChunkScore: entity-level precision, recall and F1 of tag sequences, as CoNLL's conlleval counts them.

/// One entity (chunk): a type over the tokens `start..<end` of a sentence.
public struct Chunk: Sendable, Hashable {
    /// The entity type (`PER` for `B-PER`, the whole tag for a tag without prefix).
    public let type: String
    /// The first token.
    public let start: Int
    /// One past the last token.
    public let end: Int

    /// A chunk of `type` over `start..<end`.
    public init(type: String, start: Int, end: Int) {
        self.type = type
        self.start = start
        self.end = end
    }
}

/// Entity and token scores of predicted tag sequences against gold ones, computed as the CoNLL
/// `conlleval` script does so that figures are comparable with published NER results.
///
/// A chunk is a span whose predicted and gold boundaries and type must all match to count as
/// correct. conlleval's boundary rules decode IOB1 and IOB2 (BIO) alike:
/// - a chunk starts at `B-X`; at `I-X` after `O` (or at the sentence start); at `I-X` after a
///   tag of another type;
/// - a chunk ends before `B-*`, before `O`, before a tag of another type, and at the end of the
///   sentence.
/// So in IOB1, where `B-X` only separates two adjacent `X` chunks, `I-X I-X B-X` is the chunks
/// [0, 2) and [2, 3), and in IOB2 an ill-formed `O I-X` still makes a chunk.
/// A tag with no `B-`/`I-` prefix other than the outside tag (such as `PER`) is a one-token
/// chunk of its own type, as conlleval's `-r` (raw) option treats tags.
public struct ChunkScore: Sendable, Equatable {
    /// Chunks in the gold tags (conlleval's "phrases").
    public let goldChunks: Int
    /// Chunks in the predicted tags ("found").
    public let predictedChunks: Int
    /// Predicted chunks identical in span and type to a gold chunk.
    public let correctChunks: Int
    /// Tokens scored.
    public let tokens: Int
    /// Tokens whose predicted tag equals the gold tag exactly (prefix and type).
    public let correctTokens: Int

    /// Scores sentences of predicted tags against gold tags.
    ///
    /// - Parameter outside: the tag of tokens outside every chunk (conlleval's `-o`); `0`
    ///   for the binary tags of the built-in names data.
    /// - Precondition: one predicted tag per gold tag in every sentence.
    public init(gold: [[String]], predicted: [[String]], outside: String = "O") {
        precondition(gold.count == predicted.count, "one predicted sentence per gold sentence")
        var goldChunks = 0, predictedChunks = 0, correctChunks = 0, tokens = 0, correctTokens = 0
        for (g, p) in zip(gold, predicted) {
            precondition(g.count == p.count, "one predicted tag per gold tag")
            let goldSet = Self.chunks(g, outside: outside)
            let predictedSet = Self.chunks(p, outside: outside)
            goldChunks += goldSet.count
            predictedChunks += predictedSet.count
            correctChunks += Set(goldSet).intersection(predictedSet).count
            tokens += g.count
            correctTokens += zip(g, p).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        }
        self.goldChunks = goldChunks
        self.predictedChunks = predictedChunks
        self.correctChunks = correctChunks
        self.tokens = tokens
        self.correctTokens = correctTokens
    }

    /// `correct / predicted` chunks, 0 when nothing was predicted (as conlleval).
    public var precision: Double { predictedChunks == 0 ? 0 : Double(correctChunks) / Double(predictedChunks) }
    /// `correct / gold` chunks, 0 when there are no gold chunks.
    public var recall: Double { goldChunks == 0 ? 0 : Double(correctChunks) / Double(goldChunks) }
    /// The harmonic mean of precision and recall, 0 when both are 0.
    public var f1: Double {
        let p = precision, r = recall
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }
    /// `correctTokens / tokens`, 0 for no tokens.
    public var tokenAccuracy: Double { tokens == 0 ? 0 : Double(correctTokens) / Double(tokens) }

    /// The chunks of one sentence's tags, in order, by conlleval's start and end rules.
    public static func chunks(_ tags: [String], outside: String = "O") -> [Chunk] {
        var result: [Chunk] = []
        var open: (type: String, start: Int)?
        var previousType: String?  // nil after the outside tag and at the sentence start
        for (position, tag) in tags.enumerated() {
            let (prefix, type) = split(tag, outside: outside)
            let starts: Bool
            switch prefix {
            case .outside: starts = false
            case .begin, .single: starts = true
            case .inside: starts = previousType != type
            }
            if let chunk = open, starts || prefix == .outside {
                result.append(Chunk(type: chunk.type, start: chunk.start, end: position))
                open = nil
            }
            if starts, let type { open = (type, position) }
            previousType = prefix == .outside ? nil : type
            if prefix == .single, let type {
                result.append(Chunk(type: type, start: position, end: position + 1))
                open = nil
                previousType = nil
            }
        }
        if let chunk = open {
            result.append(Chunk(type: chunk.type, start: chunk.start, end: tags.count))
        }
        return result
    }

    private enum Prefix { case outside, begin, inside, single }

    /// The prefix and type of a tag.
    private static func split(_ tag: String, outside: String) -> (Prefix, String?) {
        if tag == outside { return (.outside, nil) }
        if tag.hasPrefix("B-") { return (.begin, String(tag.dropFirst(2))) }
        if tag.hasPrefix("I-") { return (.inside, String(tag.dropFirst(2))) }
        return (.single, tag)
    }
}
