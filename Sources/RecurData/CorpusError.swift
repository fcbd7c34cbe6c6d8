// CorpusError: the ways a training corpus can be unusable, each with a one-line message.

/// Why a corpus file cannot be used for training.
public enum CorpusError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read; `reason` is the system's explanation.
    case unreadable(path: String, reason: String)
    /// The file exists but holds no bytes (or only a UTF-8 byte-order mark).
    case empty(path: String)
    /// The file's bytes are not valid UTF-8; `byteOffset` is where decoding first failed.
    case notUTF8(path: String, byteOffset: Int)
    /// The tokenized corpus (`have` tokens) is shorter than the `needed` = `batch` × `bptt` + 1
    /// tokens of one chunk of inputs plus its last target.
    case tooShort(needed: Int, have: Int, batch: Int, bptt: Int)

    /// A one-line explanation naming the problem and the file (``tooShort(needed:have:batch:bptt:)``
    /// has no file: callers that know it prefix it).
    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read corpus file '\(path)': \(reason)"
        case let .empty(path):
            return "corpus file '\(path)' is empty"
        case let .notUTF8(path, offset):
            return "corpus file '\(path)' is not valid UTF-8 (first bad byte at offset \(offset))"
        case let .tooShort(needed, have, batch, bptt):
            return "corpus is too short: batch B=\(batch) × bptt T=\(bptt) needs at least "
                + "\(needed) tokens but it has \(have); use a smaller batch or bptt, or more text"
        }
    }
}
