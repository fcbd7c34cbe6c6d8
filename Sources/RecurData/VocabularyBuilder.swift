// VocabularyBuilder: derives a char or word token list from a training text.

/// Builds the token lists that ``Tokenizer/build(kind:text:maxVocabulary:)`` turns into a
/// ``Vocabulary``. The results depend only on the text and the cap, never on hashing order.
enum VocabularyBuilder {
    /// `["<UNK>"]` followed by the distinct scalars of `text` sorted by scalar value.
    ///
    /// With a cap, only the `cap - 1` most frequent scalars are kept (ties broken by smaller
    /// scalar value) before sorting, so that the total including `<UNK>` is at most `cap`.
    static func charTokens(text: String, maxVocabulary cap: Int?) throws -> [String] {
        if let cap, cap < 1 {
            throw VocabularyError.capTooSmall(cap: cap, minimum: 1, kind: .char)
        }
        let denseSize = Int(ScalarTable.denseLimit)
        var dense = [Int](repeating: 0, count: denseSize)
        var sparse: [UInt32: Int] = [:]
        dense.withUnsafeMutableBufferPointer { counts in
            for scalar in text.unicodeScalars {
                let value = scalar.value
                if value < ScalarTable.denseLimit {
                    counts[Int(value)] += 1
                } else {
                    sparse[value, default: 0] += 1
                }
            }
        }
        var seen: [(value: UInt32, count: Int)] = []
        for value in 0..<denseSize where dense[value] > 0 {
            seen.append((UInt32(value), dense[value]))
        }
        seen.append(contentsOf: sparse.map { (value: $0.key, count: $0.value) })

        if let cap, seen.count > cap - 1 {
            seen.sort { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }
            seen.removeSubrange((cap - 1)...)
        }
        seen.sort { $0.value < $1.value }
        // Every value came from a decoded scalar, so the conversion cannot fail.
        return [Vocabulary.unknownToken] + seen.map { String(Unicode.Scalar($0.value)!) }
    }

    /// `["<UNK>", "<EOS>"]` followed by the words of `text` by descending frequency, ties
    /// broken by byte-wise (UTF-8) order, keeping at most `cap - 2` words when capped.
    ///
    /// Literal `<UNK>` and `<EOS>` words in the text are not counted (they already have ids).
    static func wordTokens(text: String, maxVocabulary cap: Int?) throws -> [String] {
        if let cap, cap < 2 {
            throw VocabularyError.capTooSmall(cap: cap, minimum: 2, kind: .word)
        }
        var counts: [String: Int] = [:]
        WordSegmenter.scan(text, splitLines: true, token: { counts[$0, default: 0] += 1 }, endOfSentence: {})
        return try wordTokens(counts: counts, maxVocabulary: cap)
    }

    /// ``wordTokens(text:maxVocabulary:)`` for words that are already split (the tokens of
    /// tagged sentences, which the segmenter must not split again at punctuation).
    static func wordTokens(words: some Sequence<String>, maxVocabulary cap: Int?) throws -> [String] {
        var counts: [String: Int] = [:]
        for word in words { counts[word, default: 0] += 1 }
        return try wordTokens(counts: counts, maxVocabulary: cap)
    }

    /// The word token list from word counts (special tokens among them are not counted).
    private static func wordTokens(counts: [String: Int], maxVocabulary cap: Int?) throws -> [String] {
        if let cap, cap < 2 {
            throw VocabularyError.capTooSmall(cap: cap, minimum: 2, kind: .word)
        }
        var words = counts.filter { $0.key != Vocabulary.unknownToken && $0.key != Vocabulary.endOfSentenceToken }
            .map { (word: $0.key, count: $0.value) }
        words.sort { lhs, rhs in
            if lhs.count != rhs.count { return lhs.count > rhs.count }
            return lhs.word.utf8.lexicographicallyPrecedes(rhs.word.utf8)
        }
        if let cap, words.count > cap - 2 {
            words.removeSubrange((cap - 2)...)
        }
        return [Vocabulary.unknownToken, Vocabulary.endOfSentenceToken] + words.map(\.word)
    }
}
