// LabeledDataError: the ways a labelled file (classify TSV or CoNLL tags) can be unusable.

/// Why labelled data cannot be used, naming the file and the 1-based line wherever one is known,
/// so that a user can open the file at the offending line without searching for it.
public enum LabeledDataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read; `reason` is the system's explanation.
    case unreadable(path: String, reason: String)
    /// The bytes from `line` on are not valid UTF-8 (`byteOffset` is the first bad byte).
    case notUTF8(path: String, line: Int, byteOffset: Int)
    /// The file holds no example at all (it is empty, blank, or only `-DOCSTART-` lines).
    case noExamples(path: String)
    /// A classify line has no tab between its label and its text.
    case missingTab(path: String, line: Int)
    /// A classify line's label (before the tab) is empty.
    case emptyLabel(path: String, line: Int)
    /// A classify line's text (after the tab) is empty or only whitespace.
    case emptyText(path: String, line: Int)
    /// A CoNLL line has a token but no tag column.
    case missingTag(path: String, line: Int, token: String)
    /// A label or tag that the training data never used (so it has no id); `line` is nil when
    /// the label does not come from a file line.
    case unknownLabel(String, path: String, line: Int?)
    /// `--loss sigmoid` needs the labels `0` and `1`, and this one is neither.
    case notBinary(String, path: String, line: Int?)
    /// An example has more tokens than the cap `maximum`.
    case tooLong(path: String, line: Int, length: Int, maximum: Int)
    /// A label list (for example one read from a checkpoint) is unusable; `reason` says why.
    case invalidLabelSet(reason: String)
    /// A sentence-pair line has no tab between its source and its target.
    case missingPairTab(path: String, line: Int)
    /// A sentence-pair line's source (before the first tab) is empty or only whitespace.
    case emptySource(path: String, line: Int)
    /// A sentence-pair line's target (between the first and any second tab) is empty or only
    /// whitespace.
    case emptyTarget(path: String, line: Int)
    /// A sentence pair's `side` (`source` or `target`) encodes to no tokens: a pair built in code
    /// rather than read (the reader rejects blank sides) whose text is empty, or only whitespace
    /// in word mode. `path` is nil when the pair does not come from a file.
    case emptyEncoding(side: String, path: String?, line: Int)

    /// A one-line explanation that starts with the place (`file 'x', line n:`) when known.
    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read labelled file '\(path)': \(reason)"
        case let .notUTF8(path, line, offset):
            return "\(Self.place(path, line)): not valid UTF-8 (first bad byte at offset \(offset))"
        case let .noExamples(path):
            return "labelled file '\(path)' holds no examples"
        case let .missingTab(path, line):
            return "\(Self.place(path, line)): no tab between the label and the text (expected label<TAB>text)"
        case let .emptyLabel(path, line):
            return "\(Self.place(path, line)): the label before the tab is empty"
        case let .emptyText(path, line):
            return "\(Self.place(path, line)): the text after the tab is empty"
        case let .missingTag(path, line, token):
            return "\(Self.place(path, line)): token \(quoted(token)) has no tag column (expected token … tag)"
        case let .unknownLabel(label, path, line):
            return "\(Self.place(path, line)): label \(quoted(label)) does not occur in the training data"
        case let .notBinary(label, path, line):
            return "\(Self.place(path, line)): label \(quoted(label)) is not 0 or 1, "
                + "which --loss sigmoid needs; use --loss softmax for other labels"
        case let .tooLong(path, line, length, maximum):
            return "\(Self.place(path, line)): the example has \(length) tokens, more than the maximum \(maximum)"
        case let .invalidLabelSet(reason):
            return "invalid label set: \(reason)"
        case let .missingPairTab(path, line):
            return "\(Self.place(path, line)): no tab between the source and the target (expected source<TAB>target)"
        case let .emptySource(path, line):
            return "\(Self.place(path, line)): the source before the tab is empty"
        case let .emptyTarget(path, line):
            return "\(Self.place(path, line)): the target after the tab is empty"
        case let .emptyEncoding(side, path, line):
            let place = path.map { Self.place($0, line) } ?? "sentence pair at line \(line)"
            return "\(place): the \(side) has no tokens"
        }
    }

    /// `file 'path', line n` or `file 'path'` when there is no line.
    private static func place(_ path: String, _ line: Int?) -> String {
        line.map { "file '\(path)', line \($0)" } ?? "file '\(path)'"
    }
}
