// SequenceCodec: one side's tokenizer plus the decoder's start and end tokens, for translation.

/// The token ids of one side of a translation task (source or target): the tokenizer's
/// vocabulary followed by the two specials a decoder needs.
///
/// Ids `0..<vocabulary.count` are the tokenizer vocabulary's (char: `<UNK>` then scalars; word:
/// `<UNK>`, `<EOS>`, then words); then ``bos`` `= vocabulary.count` starts every decoder input
/// and ``eos`` `= vocabulary.count + 1` ends every target; ``size`` `= vocabulary.count + 2` is
/// the embedding and output width. The rule is the same in both modes, so a checkpoint only
/// needs the vocabulary to rebuild the ids; in word mode the vocabulary's own `<EOS>` (a line
/// end for the language model) is simply never produced.
public struct SequenceCodec: Sendable {
    /// The vocabulary and how text is split.
    public let tokenizer: Tokenizer

    /// The begin-of-sequence id, the decoder's first input.
    public var bos: Int32 { Int32(tokenizer.vocabulary.count) }
    /// The end-of-sequence id, the decoder's last target; decoding stops at it.
    public var eos: Int32 { Int32(tokenizer.vocabulary.count + 1) }
    /// The number of ids, the vocabulary's plus ``bos`` and ``eos``.
    public var size: Int { tokenizer.vocabulary.count + 2 }

    /// Wraps a tokenizer (for example one rebuilt from a checkpoint).
    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Builds the vocabulary from training texts, by the rules of
    /// ``Tokenizer/build(kind:text:maxVocabulary:)`` with every text its own line;
    /// `maxVocabulary` counts the vocabulary's tokens (its `<UNK>`, and `<EOS>` in word mode)
    /// but not ``bos`` and ``eos``.
    ///
    /// - Throws: ``VocabularyError/capTooSmall(cap:minimum:kind:)``.
    public static func build(kind: TokenizerKind, texts: [String], maxVocabulary: Int?) throws -> SequenceCodec {
        let tokens: [String]
        switch kind {
        case .char:
            tokens = try VocabularyBuilder.charTokens(text: texts.joined(), maxVocabulary: maxVocabulary)
        case .word:
            tokens = try VocabularyBuilder.wordTokens(text: texts.joined(separator: "\n"), maxVocabulary: maxVocabulary)
        }
        let tokenizer = Tokenizer(vocabulary: try Vocabulary(tokens: tokens, kind: kind), kind: kind)
        return SequenceCodec(tokenizer: tokenizer)
    }

    /// Token ids of one text, no specials: its scalars (char mode) or its words with no `<EOS>`
    /// (word mode; newlines count as spaces). Unknown tokens become `<UNK>`.
    public func encode(_ text: String) -> [Int32] {
        switch tokenizer.kind {
        case .char:
            return tokenizer.encode(text)
        case .word:
            let vocabulary = tokenizer.vocabulary
            let unk = Int32(vocabulary.unkID)
            var ids: [Int32] = []
            WordSegmenter.scan(text, splitLines: false, token: { word in
                ids.append(vocabulary.id(word).map(Int32.init) ?? unk)
            }, endOfSentence: {})
            return ids
        }
    }

    /// Text of `ids` as a decoder's output reads: stops at the first ``eos`` and skips ``bos``;
    /// char mode concatenates the scalars, word mode joins the words with single spaces.
    /// `<UNK>`, the vocabulary's `<EOS>` and out-of-range ids render as their token or `<UNK>`
    /// (never as a line break: a translation is one line).
    public func decode(_ ids: [Int32]) -> String {
        let bos = bos, eos = eos
        var kept: [Int32] = []
        for id in ids {
            if id == eos { break }
            if id != bos { kept.append(id) }
        }
        switch tokenizer.kind {
        case .char:
            return tokenizer.decode(kept)
        case .word:
            let vocabulary = tokenizer.vocabulary
            return kept.map { vocabulary.token(Int($0)) ?? Vocabulary.unknownToken }.joined(separator: " ")
        }
    }

    /// The tokens BLEU and exact match compare, so that a hypothesis and its reference are split
    /// alike whatever the vocabulary kept: char mode one string per Unicode scalar, word mode
    /// the words of the word segmenter (punctuation separate, case kept).
    public func tokens(of text: String) -> [String] {
        switch tokenizer.kind {
        case .char:
            return text.unicodeScalars.map { String($0) }
        case .word:
            var words: [String] = []
            WordSegmenter.scan(text, splitLines: false, token: { words.append($0) }, endOfSentence: {})
            return words
        }
    }
}

/// One sentence pair as ids, without specials: the encoder reads `source`, the decoder is
/// trained to produce `target` followed by the target codec's eos.
public struct EncodedPair: Sendable, Hashable {
    /// Source token ids `[S]` for this pair's own length S.
    public let source: [Int32]
    /// Target token ids `[T]`, without bos and eos.
    public let target: [Int32]
    /// The 1-based line of the pair in its file, for messages.
    public let line: Int

    /// An encoded pair.
    public init(source: [Int32], target: [Int32], line: Int) {
        self.source = source
        self.target = target
        self.line = line
    }
}

/// Encodes sentence pairs with the two sides' codecs, fixed by the training data and stored in
/// the checkpoint, so that validation, evaluation and every worker give the same ids.
public enum PairEncoder {
    /// `pair` as ids. Sides longer than `maxLength` tokens are cut to it (unlike a classifier's
    /// examples, whose cut would change the label, a cut pair still teaches a prefix; the
    /// target keeps its eos after the cut, added by the batch).
    ///
    /// - Parameter path: the pair's file, for messages; nil for pairs built in code.
    /// - Throws: ``LabeledDataError/emptyEncoding(side:path:line:)`` when a side has no tokens.
    public static func encode(_ pair: SentencePair, source: SequenceCodec, target: SequenceCodec,
                              maxLength: Int?, path: String? = nil) throws -> EncodedPair {
        precondition(maxLength.map { $0 > 0 } ?? true, "maxLength must be positive")
        var sourceIDs = source.encode(pair.source)
        var targetIDs = target.encode(pair.target)
        if sourceIDs.isEmpty {
            throw LabeledDataError.emptyEncoding(side: "source", path: path, line: pair.line)
        }
        if targetIDs.isEmpty {
            throw LabeledDataError.emptyEncoding(side: "target", path: path, line: pair.line)
        }
        if let maxLength {
            if sourceIDs.count > maxLength { sourceIDs.removeSubrange(maxLength...) }
            if targetIDs.count > maxLength { targetIDs.removeSubrange(maxLength...) }
        }
        return EncodedPair(source: sourceIDs, target: targetIDs, line: pair.line)
    }
}
