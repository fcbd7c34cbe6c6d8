// ClassifyReader: reads `label<TAB>text` classification files with line-precise errors.

/// Reads classification data: one example a line, `label<TAB>text`.
///
/// Rules, chosen so that a file written by a spreadsheet or by hand reads as its author meant:
/// - the label is everything before the first tab, with surrounding spaces removed; the text is
///   everything after it, kept as written (later tabs are part of the text);
/// - a trailing `"\r"` (Windows line endings) and a leading byte-order mark are ignored;
/// - blank lines (empty or only spaces and tabs) are skipped, so a final blank line or a blank
///   line between groups is harmless; every other line must be a valid example.
public enum ClassifyReader {
    /// The examples of the file at `path`, in file order.
    ///
    /// - Throws: ``LabeledDataError`` naming the file and line: `unreadable`, `notUTF8`,
    ///   `missingTab`, `emptyLabel`, `emptyText`, or `noExamples` for a file without examples.
    public static func read(path: String) throws -> [ClassifyExample] {
        try parse(lines: LabeledLines.read(path: path), path: path)
    }

    /// The examples of `text`, as if it were the contents of a file named `path`.
    ///
    /// - Throws: as ``read(path:)``, except for the file-level errors.
    public static func parse(_ text: String, path: String) throws -> [ClassifyExample] {
        try parse(lines: LabeledLines.split(text), path: path)
    }

    private static func parse(lines: [String], path: String) throws -> [ClassifyExample] {
        var examples: [ClassifyExample] = []
        for (index, line) in lines.enumerated() where !LabeledLines.isBlank(line) {
            let number = index + 1
            guard let tab = line.utf8.firstIndex(of: 0x09) else {
                throw LabeledDataError.missingTab(path: path, line: number)
            }
            let label = trimSpaces(line[..<tab])
            let text = String(line[line.utf8.index(after: tab)...])
            if label.isEmpty {
                throw LabeledDataError.emptyLabel(path: path, line: number)
            }
            if text.unicodeScalars.allSatisfy(WordSegmenter.isWhitespace) {
                throw LabeledDataError.emptyText(path: path, line: number)
            }
            examples.append(ClassifyExample(label: label, text: text, line: number))
        }
        if examples.isEmpty {
            throw LabeledDataError.noExamples(path: path)
        }
        return examples
    }

    /// `field` without leading and trailing spaces.
    private static func trimSpaces(_ field: Substring) -> String {
        let bytes = field.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }),
              let last = bytes.lastIndex(where: { $0 != 0x20 }) else { return "" }
        return String(field[first...last])
    }
}
