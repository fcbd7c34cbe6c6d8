// TokenizerKind: which tokenization scheme (characters or words) a model uses.

/// The tokenization scheme of a tokenizer, vocabulary and checkpoint.
///
/// The raw values are stable and are what checkpoints and the command line store.
public enum TokenizerKind: String, Codable, Sendable, CaseIterable {
    /// One token per Unicode scalar; the vocabulary has `<UNK>` only as its special token.
    case char
    /// Whitespace- and punctuation-separated words; the vocabulary has `<UNK>` and `<EOS>`.
    case word
}
