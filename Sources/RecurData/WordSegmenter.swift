// WordSegmenter: splits text into word-mode tokens and sentence (line) boundaries.

/// Splits text into the tokens of word mode.
///
/// Rules: every line (text between `"\n"` characters) is a sentence; within it, tokens are
/// separated by whitespace, and each of the punctuation characters `. , ; : ! ? " ( )` is a
/// token of its own (so `full.` gives `full` and `.`). Case is kept. Work is done on Unicode
/// scalars, so combining marks never merge with punctuation.
enum WordSegmenter {
    /// Whether `scalar` separates words (ASCII fast path, then the Unicode property).
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 { return value == 0x20 || (0x09...0x0D).contains(value) }
        return scalar.properties.isWhitespace
    }

    /// Whether `scalar` is one of the punctuation characters that always stand alone.
    @inline(__always)
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x22, 0x28, 0x29: return true  // . , ; : ! ? " ( )
        default: return false
        }
    }

    /// Calls `token` for every token of `text` in order, and `endOfSentence` after the last
    /// token of every line that has at least one token (including a final line without `"\n"`).
    ///
    /// With `splitLines` false the whole text is one sentence and `"\n"` is plain whitespace.
    static func scan(_ text: String, splitLines: Bool,
                     token: (String) -> Void, endOfSentence: () -> Void) {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        var wordStart: String.Index?
        var lineHasTokens = false

        func flush(upTo end: String.Index) {
            if let start = wordStart {
                token(String(Substring(scalars[start..<end])))
                lineHasTokens = true
                wordStart = nil
            }
        }

        while index != scalars.endIndex {
            let scalar = scalars[index]
            if splitLines && scalar == "\n" {
                flush(upTo: index)
                if lineHasTokens { endOfSentence() }
                lineHasTokens = false
            } else if isWhitespace(scalar) {
                flush(upTo: index)
            } else if isPunctuation(scalar) {
                flush(upTo: index)
                token(String(scalar))
                lineHasTokens = true
            } else if wordStart == nil {
                wordStart = index
            }
            index = scalars.index(after: index)
        }
        flush(upTo: scalars.endIndex)
        if lineHasTokens { endOfSentence() }
    }

    /// The tokens of `text` grouped by sentence (non-empty lines), without end markers.
    static func sentences(_ text: String) -> [[String]] {
        var result: [[String]] = []
        var current: [String] = []
        scan(text, splitLines: true, token: { current.append($0) }, endOfSentence: {
            result.append(current)
            current.removeAll(keepingCapacity: true)
        })
        return result
    }
}
