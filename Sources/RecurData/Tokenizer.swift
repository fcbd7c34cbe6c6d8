// Tokenizer: turns text into token ids and back, in char or word mode.

/// Encodes text to token ids and decodes ids to text for one ``Vocabulary``.
///
/// - Char mode: one id per Unicode scalar; unknown scalars become `<UNK>`.
/// - Word mode: text is split as described on ``Tokenizer/build(kind:text:maxVocabulary:)``;
///   unknown words become `<UNK>` and `<EOS>` follows every line that has tokens.
public struct Tokenizer: Sendable {
    /// The tokenization scheme.
    public let kind: TokenizerKind
    /// The vocabulary whose ids this tokenizer produces.
    public let vocabulary: Vocabulary

    /// Wraps an existing vocabulary (for example one rebuilt from a checkpoint).
    ///
    /// - Precondition: `vocabulary.kind == kind` (the vocabulary was validated for this kind).
    public init(vocabulary: Vocabulary, kind: TokenizerKind) {
        precondition(vocabulary.kind == kind,
                     "a \(vocabulary.kind.rawValue) vocabulary cannot drive a \(kind.rawValue) tokenizer")
        self.kind = kind
        self.vocabulary = vocabulary
    }

    /// Builds a tokenizer whose vocabulary covers `text`.
    ///
    /// - Char: `["<UNK>"]` then every distinct Unicode scalar of `text`, sorted by scalar value.
    ///   With `maxVocabulary`, the most frequent scalars (ties by smaller scalar value) are kept
    ///   so that the total, `<UNK>` included, is at most `maxVocabulary`; they are then sorted.
    /// - Word: `["<UNK>", "<EOS>"]` then the words by descending frequency, ties broken by
    ///   byte-wise string order, keeping at most `maxVocabulary` tokens in total.
    ///   Segmentation: each line is a sentence; within it words are separated by whitespace and
    ///   each of `. , ; : ! ? " ( )` is a token of its own. Case is kept.
    ///
    /// - Throws: ``VocabularyError/capTooSmall(cap:minimum:kind:)`` when the cap cannot hold
    ///   the special tokens.
    public static func build(kind: TokenizerKind, text: String, maxVocabulary: Int? = nil) throws -> Tokenizer {
        let tokens: [String]
        switch kind {
        case .char: tokens = try VocabularyBuilder.charTokens(text: text, maxVocabulary: maxVocabulary)
        case .word: tokens = try VocabularyBuilder.wordTokens(text: text, maxVocabulary: maxVocabulary)
        }
        return Tokenizer(vocabulary: try Vocabulary(tokens: tokens, kind: kind), kind: kind)
    }

    /// The ids of `text`: one per scalar (char mode), or its words with `<EOS>` after every
    /// line that has at least one token (word mode). Unknown tokens map to `<UNK>`.
    public func encode(_ text: String) -> [Int32] {
        switch kind {
        case .char:
            return encodeScalars(text)
        case .word:
            return encodeWords(text, splitLines: true)
        }
    }

    /// The ids used to score one sentence: in word mode its words followed by a single `<EOS>`
    /// (newlines inside count as spaces); in char mode its scalars, with no end marker.
    public func encodeSentence(_ sentence: String) -> [Int32] {
        switch kind {
        case .char:
            return encodeScalars(sentence)
        case .word:
            return encodeWords(sentence, splitLines: false)
        }
    }

    /// The text of `ids`.
    ///
    /// Char mode concatenates the scalars (`<UNK>` renders as the literal `"<UNK>"`). Word mode
    /// joins tokens with single spaces and renders `<EOS>` as `"\n"`, with no space next to a
    /// newline, so `decode(encode(s)) == s` for in-vocabulary, single-spaced `s` whose every
    /// line ends in `"\n"`. Ids outside the vocabulary render as `"<UNK>"`.
    public func decode(_ ids: [Int32]) -> String {
        switch kind {
        case .char:
            var scalars = String.UnicodeScalarView()
            let table = vocabulary.scalarOfID
            for id in ids {
                let index = Int(id)
                if index >= 0, index < table.count, let scalar = table[index] {
                    scalars.append(scalar)
                } else {
                    scalars.append(contentsOf: Vocabulary.unknownToken.unicodeScalars)
                }
            }
            return String(scalars)
        case .word:
            var text = ""
            let eos = vocabulary.eosID.map(Int32.init)
            for id in ids {
                if id == eos {
                    text.append("\n")
                    continue
                }
                if let last = text.utf8.last, last != UInt8(ascii: "\n") {
                    text.append(" ")
                }
                text.append(vocabulary.token(Int(id)) ?? Vocabulary.unknownToken)
            }
            return text
        }
    }

    private func encodeScalars(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count)
        vocabulary.scalarTable.encode(Substring(text).unicodeScalars, into: &ids)
        return ids
    }

    private func encodeWords(_ text: String, splitLines: Bool) -> [Int32] {
        let unk = Int32(vocabulary.unkID)
        // Word-mode vocabularies always have <EOS>; Vocabulary's initializer guarantees it.
        let eos = Int32(vocabulary.eosID ?? vocabulary.unkID)
        var ids: [Int32] = []
        WordSegmenter.scan(text, splitLines: splitLines, token: { word in
            ids.append(vocabulary.id(word).map(Int32.init) ?? unk)
        }, endOfSentence: {
            if splitLines { ids.append(eos) }
        })
        // encodeSentence: exactly one trailing <EOS>, even for an empty sentence.
        if !splitLines { ids.append(eos) }
        return ids
    }
}
