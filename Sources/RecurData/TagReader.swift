// TagReader: reads CoNLL-style token-per-line tagging files with line-precise errors.

/// Reads tagging data in CoNLL columns, the format of CoNLL-2000/2003 and most NER corpora.
///
/// Rules:
/// - one token a line; columns are separated by any run of spaces or tabs; the first column is
///   the token and the last the tag (middle columns, such as CoNLL-2003's part of speech, are
///   ignored);
/// - a blank line (empty or only spaces and tabs) ends a sentence; several blank lines in a
///   row are one boundary;
/// - a line whose first column starts with `-DOCSTART-` is a document marker: it ends any open
///   sentence and is skipped together with the blank line right after it, as CoNLL-2003
///   writes it;
/// - a trailing `"\r"` and a leading byte-order mark are ignored.
public enum TagReader {
    /// The marker that starts a document in CoNLL-2003 files.
    public static let documentStart = "-DOCSTART-"

    /// The sentences of the file at `path`, in file order.
    ///
    /// - Throws: ``LabeledDataError`` naming the file and line: `unreadable`, `notUTF8`,
    ///   `missingTag` for a line with a single column, `noExamples` for a file with no sentence.
    public static func read(path: String) throws -> [TagSentence] {
        try parse(lines: LabeledLines.read(path: path), path: path)
    }

    /// The sentences of `text`, as if it were the contents of a file named `path`.
    ///
    /// - Throws: as ``read(path:)``, except for the file-level errors.
    public static func parse(_ text: String, path: String) throws -> [TagSentence] {
        try parse(lines: LabeledLines.split(text), path: path)
    }

    private static func parse(lines: [String], path: String) throws -> [TagSentence] {
        var sentences: [TagSentence] = []
        var tokens: [String] = [], tags: [String] = []
        var start = 0
        var skipNextBlank = false
        func finish() {
            if !tokens.isEmpty {
                sentences.append(TagSentence(tokens: tokens, tags: tags, line: start))
                tokens.removeAll()
                tags.removeAll()
            }
        }
        for (index, line) in lines.enumerated() {
            let columns = line.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
            guard let first = columns.first, let last = columns.last else {
                if !skipNextBlank { finish() }
                skipNextBlank = false
                continue
            }
            skipNextBlank = false
            let token = String(decoding: first, as: UTF8.self)
            if token.hasPrefix(documentStart) {
                finish()
                skipNextBlank = true
                continue
            }
            if columns.count < 2 {
                throw LabeledDataError.missingTag(path: path, line: index + 1, token: token)
            }
            if tokens.isEmpty { start = index + 1 }
            tokens.append(token)
            tags.append(String(decoding: last, as: UTF8.self))
        }
        finish()
        if sentences.isEmpty {
            throw LabeledDataError.noExamples(path: path)
        }
        return sentences
    }
}
