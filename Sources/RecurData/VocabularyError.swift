// VocabularyError: why a vocabulary or tokenizer could not be built.

/// Why a ``Vocabulary`` or ``Tokenizer`` could not be built.
public enum VocabularyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The same token occurs twice in the token list (`firstIndex` and `secondIndex`).
    case duplicateToken(String, firstIndex: Int, secondIndex: Int)
    /// A required special token (`<UNK>`, or `<EOS>` in word mode) is absent.
    case missingSpecialToken(String, kind: TokenizerKind)
    /// A char-mode token other than `<UNK>` is not exactly one Unicode scalar.
    case notASingleScalar(String, index: Int)
    /// A word-mode token is empty or contains whitespace.
    case invalidWord(String, index: Int)
    /// The requested vocabulary cap cannot even hold the special tokens.
    case capTooSmall(cap: Int, minimum: Int, kind: TokenizerKind)

    /// A one-line, human-readable explanation.
    public var description: String {
        switch self {
        case let .duplicateToken(token, first, second):
            return "invalid vocabulary: token \(quoted(token)) appears twice (ids \(first) and \(second))"
        case let .missingSpecialToken(token, kind):
            return "invalid \(kind.rawValue) vocabulary: the special token \(token) is missing"
        case let .notASingleScalar(token, index):
            return "invalid char vocabulary: token \(quoted(token)) at id \(index) is not a single Unicode scalar"
        case let .invalidWord(token, index):
            return "invalid word vocabulary: token \(quoted(token)) at id \(index) is empty or contains whitespace"
        case let .capTooSmall(cap, minimum, kind):
            return "vocabulary cap \(cap) is too small for a \(kind.rawValue) tokenizer (minimum \(minimum))"
        }
    }
}

/// Renders a token with escapes so that whitespace and control characters stay on one line.
func quoted(_ token: String) -> String {
    "\"" + token.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
}
