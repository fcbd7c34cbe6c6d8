// Vocabulary: the id-ordered token list of a tokenizer, with validation and lookup.

/// The tokens of a model in id order, with their special tokens and a fast reverse lookup.
///
/// A vocabulary is what a checkpoint stores: rebuilding it from the same token list and kind
/// gives back exactly the same ids.
public struct Vocabulary: Sendable, Equatable {
    /// The special token standing for anything outside the vocabulary.
    public static let unknownToken = "<UNK>"
    /// The special token ending every sentence (line) in word mode.
    public static let endOfSentenceToken = "<EOS>"

    /// The token strings; the index of a token is its id.
    public let tokens: [String]
    /// The tokenization scheme this vocabulary was validated for.
    public let kind: TokenizerKind
    /// The id of `<UNK>`.
    public let unkID: Int
    /// The id of `<EOS>` in word mode; nil in char mode.
    public let eosID: Int?

    /// Word mode: token string to id.
    private let wordIndex: [String: Int]
    /// Char mode: scalar value to id (unknown scalars map to `unkID`).
    let scalarTable: ScalarTable
    /// Char mode: the scalar of each id, nil for `<UNK>`.
    let scalarOfID: [Unicode.Scalar?]

    /// The number of tokens, that is the model's input and output size.
    public var count: Int { tokens.count }

    /// Rebuilds a vocabulary from its token list (for example one read from a checkpoint).
    ///
    /// - Throws: ``VocabularyError`` when a token appears twice, when `<UNK>` (or, in word mode,
    ///   `<EOS>`) is missing, when a char-mode token other than `<UNK>` is not one Unicode
    ///   scalar, or when a word-mode token is empty or contains whitespace.
    public init(tokens: [String], kind: TokenizerKind) throws {
        self.tokens = tokens
        self.kind = kind
        switch kind {
        case .char:
            var seen: [UInt32: Int] = [:]
            var unk: Int?
            var entries: [(UInt32, Int32)] = []
            var scalars: [Unicode.Scalar?] = []
            entries.reserveCapacity(tokens.count)
            scalars.reserveCapacity(tokens.count)
            for (index, token) in tokens.enumerated() {
                if token == Vocabulary.unknownToken {
                    if let first = unk {
                        throw VocabularyError.duplicateToken(token, firstIndex: first, secondIndex: index)
                    }
                    unk = index
                    scalars.append(nil)
                    continue
                }
                let view = token.unicodeScalars
                guard let scalar = view.first, view.count == 1 else {
                    throw VocabularyError.notASingleScalar(token, index: index)
                }
                if let first = seen.updateValue(index, forKey: scalar.value) {
                    throw VocabularyError.duplicateToken(token, firstIndex: first, secondIndex: index)
                }
                entries.append((scalar.value, Int32(index)))
                scalars.append(scalar)
            }
            guard let unkID = unk else {
                throw VocabularyError.missingSpecialToken(Vocabulary.unknownToken, kind: kind)
            }
            self.unkID = unkID
            eosID = nil
            wordIndex = [:]
            scalarTable = ScalarTable(entries, missing: Int32(unkID))
            scalarOfID = scalars
        case .word:
            var index: [String: Int] = [:]
            index.reserveCapacity(tokens.count)
            for (id, token) in tokens.enumerated() {
                if token.isEmpty || token.unicodeScalars.contains(where: WordSegmenter.isWhitespace) {
                    throw VocabularyError.invalidWord(token, index: id)
                }
                if let first = index.updateValue(id, forKey: token) {
                    throw VocabularyError.duplicateToken(token, firstIndex: first, secondIndex: id)
                }
            }
            guard let unkID = index[Vocabulary.unknownToken] else {
                throw VocabularyError.missingSpecialToken(Vocabulary.unknownToken, kind: kind)
            }
            guard let eosID = index[Vocabulary.endOfSentenceToken] else {
                throw VocabularyError.missingSpecialToken(Vocabulary.endOfSentenceToken, kind: kind)
            }
            self.unkID = unkID
            self.eosID = eosID
            wordIndex = index
            scalarTable = ScalarTable([], missing: Int32(unkID))
            scalarOfID = []
        }
    }

    /// The id of `token`, or nil when it is not in the vocabulary.
    ///
    /// In char mode `token` must be a single Unicode scalar (or `<UNK>`). In word mode lookup
    /// uses Swift string equality, so canonically equivalent spellings share one id.
    public func id(_ token: String) -> Int? {
        switch kind {
        case .char:
            if token == Vocabulary.unknownToken { return unkID }
            let view = token.unicodeScalars
            guard let scalar = view.first, view.count == 1 else { return nil }
            return scalarTable.lookup(scalar.value).map(Int.init)
        case .word:
            return wordIndex[token]
        }
    }

    /// The token string of `id`, or nil when `id` is out of range.
    public func token(_ id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    /// Two vocabularies are equal when they have the same kind and byte-identical token lists.
    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.kind == rhs.kind
            && lhs.tokens.elementsEqual(rhs.tokens) { $0.utf8.elementsEqual($1.utf8) }
    }
}
