// PairReader: reads `source<TAB>target` sentence-pair files (translation data) with line-precise errors.

/// One translation example: a source sentence and the target sentence a model should produce.
public struct SentencePair: Sendable, Hashable {
    /// The sentence to translate, as written (surrounding spaces removed).
    public let source: String
    /// Its translation, as written (surrounding spaces removed).
    public let target: String
    /// The 1-based line of the pair in its file (or its position in built-in data), for messages.
    public let line: Int

    /// A pair; `line` is where a message about it should point.
    public init(source: String, target: String, line: Int) {
        self.source = source
        self.target = target
        self.line = line
    }
}

/// Reads sentence-pair data: one pair a line, `source<TAB>target`.
///
/// Rules, chosen so that the downloadable sentence-pair files (Tatoeba / ManyThings `fra.txt`,
/// whose third column is an attribution) read unchanged:
/// - the source is everything before the first tab, the target everything between the first
///   tab and the second (or the end of the line); later columns are ignored;
/// - spaces around the source and the target are removed (a stray space would otherwise be a
///   token a char-mode decoder has to learn to emit);
/// - a trailing `"\r"` (Windows line endings) and a leading byte-order mark are ignored;
/// - blank lines (empty or only spaces and tabs) are skipped; every other line must be a pair.
public enum PairReader {
    /// The pairs of the file at `path`, in file order.
    ///
    /// - Throws: ``LabeledDataError`` naming the file and line: `unreadable`, `notUTF8`,
    ///   `missingPairTab`, `emptySource`, `emptyTarget`, or `noExamples` for a file without pairs.
    public static func read(path: String) throws -> [SentencePair] {
        try parse(lines: LabeledLines.read(path: path), path: path)
    }

    /// The pairs of `text`, as if it were the contents of a file named `path`.
    ///
    /// - Throws: as ``read(path:)``, except for the file-level errors.
    public static func parse(_ text: String, path: String) throws -> [SentencePair] {
        try parse(lines: LabeledLines.split(text), path: path)
    }

    private static func parse(lines: [String], path: String) throws -> [SentencePair] {
        var pairs: [SentencePair] = []
        for (index, line) in lines.enumerated() where !LabeledLines.isBlank(line) {
            let number = index + 1
            let columns = line.utf8.split(separator: 0x09, maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count >= 2 else {
                throw LabeledDataError.missingPairTab(path: path, line: number)
            }
            let source = trimSpaces(Substring(columns[0]))
            let target = trimSpaces(Substring(columns[1]))
            if isBlank(source) {
                throw LabeledDataError.emptySource(path: path, line: number)
            }
            if isBlank(target) {
                throw LabeledDataError.emptyTarget(path: path, line: number)
            }
            pairs.append(SentencePair(source: source, target: target, line: number))
        }
        if pairs.isEmpty {
            throw LabeledDataError.noExamples(path: path)
        }
        return pairs
    }

    /// Whether `text` is empty or only whitespace (it would encode to no word tokens).
    private static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(WordSegmenter.isWhitespace)
    }

    /// `field` without leading and trailing spaces.
    private static func trimSpaces(_ field: Substring) -> String {
        let bytes = field.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 }) else { return "" }
        return String(field[first...last])
    }
}
