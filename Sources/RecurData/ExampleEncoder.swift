// ExampleEncoder: turns labelled examples into token ids and label or tag ids.

/// What a model learns to predict for one encoded example.
public enum EncodedTarget: Sendable, Hashable {
    /// Classification: the id of the example's label (many-to-one).
    case label(Int32)
    /// Tagging: the id of each token's tag (aligned many-to-many).
    case tags([Int32])
}

/// One example as the model sees it: token ids and what to predict.
public struct EncodedExample: Sendable, Hashable {
    /// Token ids, `[T]` for this example's own length T.
    public let tokens: [Int32]
    /// The label id, or one tag id per token.
    public let target: EncodedTarget
    /// The 1-based line of the example in its file, for messages.
    public let line: Int

    /// An encoded example; for tagging, `target` has one tag per token.
    public init(tokens: [Int32], target: EncodedTarget, line: Int) {
        if case let .tags(tags) = target {
            precondition(tags.count == tokens.count, "a tagged example needs one tag per token")
        }
        self.tokens = tokens
        self.target = target
        self.line = line
    }
}

/// Encodes examples with one vocabulary and one label set, both fixed by the training data
/// and stored in the checkpoint, so that validation, evaluation and every worker of a cluster
/// give the same ids to the same text.
///
/// Classification text is split into words by the language model's word segmenter (each of
/// `. , ; : ! ? " ( )` is a token) or into Unicode scalars (char mode), with no `<EOS>` added;
/// tagged sentences are already words and are never split again. Words or characters that
/// training did not keep become `<UNK>`.
public struct ExampleEncoder: Sendable {
    /// The vocabulary and how text is split (tagging is always word mode).
    public let tokenizer: Tokenizer
    /// The labels (classify) or tags (tag) and their ids.
    public let labels: LabelSet
    /// The most tokens an example may have, or nil for no limit. Longer examples are an error
    /// rather than cut: cutting would silently drop tagged tokens from evaluation or the words
    /// that decide a label.
    public let maxLength: Int?

    /// Wraps a vocabulary and label set (for example those of a checkpoint).
    public init(tokenizer: Tokenizer, labels: LabelSet, maxLength: Int? = nil) {
        precondition(maxLength.map { $0 > 0 } ?? true, "maxLength must be positive")
        self.tokenizer = tokenizer
        self.labels = labels
        self.maxLength = maxLength
    }

    /// The encoder of a classification training set.
    ///
    /// - Parameters:
    ///   - kind: `.word` or `.char` tokens.
    ///   - maxVocabulary: the cap on the vocabulary, special tokens included (most frequent kept).
    ///   - binary: whether labels must be `0`/`1` (`--loss sigmoid`).
    ///   - path: the training file's name, for messages.
    /// - Throws: ``VocabularyError/capTooSmall(cap:minimum:kind:)``,
    ///   ``LabeledDataError/notBinary(_:path:line:)``.
    public static func classification(training: [ClassifyExample], kind: TokenizerKind, maxVocabulary: Int?,
                                      binary: Bool, maxLength: Int? = nil, path: String) throws -> ExampleEncoder {
        let tokens: [String]
        switch kind {
        case .word:
            tokens = try VocabularyBuilder.wordTokens(text: training.lazy.map(\.text).joined(separator: "\n"),
                                                      maxVocabulary: maxVocabulary)
        case .char:
            tokens = try VocabularyBuilder.charTokens(text: training.lazy.map(\.text).joined(),
                                                      maxVocabulary: maxVocabulary)
        }
        let tokenizer = Tokenizer(vocabulary: try Vocabulary(tokens: tokens, kind: kind), kind: kind)
        let labels = try LabelSet.classification(training, path: path, binary: binary)
        return ExampleEncoder(tokenizer: tokenizer, labels: labels, maxLength: maxLength)
    }

    /// The encoder of a tagging training set (word mode; tokens are the file's first column).
    ///
    /// - Throws: as ``classification(training:kind:maxVocabulary:binary:maxLength:path:)``.
    public static func tagging(training: [TagSentence], maxVocabulary: Int?, binary: Bool,
                               maxLength: Int? = nil, path: String) throws -> ExampleEncoder {
        let tokens = try VocabularyBuilder.wordTokens(words: training.lazy.flatMap(\.tokens),
                                                      maxVocabulary: maxVocabulary)
        let tokenizer = Tokenizer(vocabulary: try Vocabulary(tokens: tokens, kind: .word), kind: .word)
        let labels = try LabelSet.tagging(training, path: path, binary: binary)
        return ExampleEncoder(tokenizer: tokenizer, labels: labels, maxLength: maxLength)
    }

    /// The token ids of a classification text (words or scalars, no `<EOS>`).
    public func tokenIDs(ofText text: String) -> [Int32] {
        switch tokenizer.kind {
        case .char:
            return tokenizer.encode(text)
        case .word:
            return tokenIDs(ofWords: WordSegmenter.sentences(text).joined())
        }
    }

    /// The token ids of already split words.
    public func tokenIDs(ofWords words: some Sequence<String>) -> [Int32] {
        let vocabulary = tokenizer.vocabulary
        let unk = Int32(vocabulary.unkID)
        return words.map { vocabulary.id($0).map(Int32.init) ?? unk }
    }

    /// One classification example as ids.
    ///
    /// - Parameter path: its file (or built-in data name), for messages.
    /// - Throws: ``LabeledDataError/unknownLabel(_:path:line:)``,
    ///   ``LabeledDataError/tooLong(path:line:length:maximum:)``.
    public func encode(_ example: ClassifyExample, path: String) throws -> EncodedExample {
        let label = try labels.id(of: example.label, path: path, line: example.line)
        let ids = tokenIDs(ofText: example.text)
        try checkLength(ids.count, path: path, line: example.line)
        return EncodedExample(tokens: ids, target: .label(label), line: example.line)
    }

    /// One tagged sentence as ids; an unknown tag's error names the line of its token.
    ///
    /// - Throws: as ``encode(_:path:)-(ClassifyExample,_)``.
    public func encode(_ sentence: TagSentence, path: String) throws -> EncodedExample {
        try checkLength(sentence.tokens.count, path: path, line: sentence.line)
        var tags: [Int32] = []
        tags.reserveCapacity(sentence.tags.count)
        for (offset, tag) in sentence.tags.enumerated() {
            tags.append(try labels.id(of: tag, path: path, line: sentence.line + offset))
        }
        return EncodedExample(tokens: tokenIDs(ofWords: sentence.tokens), target: .tags(tags), line: sentence.line)
    }

    private func checkLength(_ length: Int, path: String, line: Int) throws {
        if let maxLength, length > maxLength {
            throw LabeledDataError.tooLong(path: path, line: line, length: length, maximum: maxLength)
        }
    }
}
