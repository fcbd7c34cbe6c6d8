// The errors of CURVE key files: reading, parsing (with file and line), writing, and using keys.

/// A problem with a CURVE key file or with the keys it holds; `description` is one line that
/// names the file (and the line, for parse errors).
public enum CurveKeyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read; `reason` is the system's explanation.
    case unreadable(path: String, reason: String)
    /// Line `line` (1-based) of `source` is not a valid entry.
    case malformed(source: String, line: Int, reason: String)
    /// `source` has no `server` line.
    case missingServer(source: String)
    /// `write` found a file at `path` and was not allowed to replace it.
    case fileExists(path: String)
    /// Writing `path` failed at `operation` (e.g. "open", "fsync", "rename").
    case writeFailed(path: String, operation: String, reason: String)
    /// The keys are not valid as a whole (e.g. a key of the wrong length, a bad or repeated name).
    case invalidKeys(reason: String)
    /// No client called `name` is in the keys; `known` lists the names that are.
    case unknownClient(name: String, known: [String])
    /// A secret key needed for `purpose` is `-` (not in this file).
    case missingSecret(purpose: String)

    /// A one-line human-readable message.
    public var description: String {
        let text: String
        switch self {
        case .unreadable(let path, let reason):
            text = "keys: cannot read key file \(path): \(reason)"
        case .malformed(let source, let line, let reason):
            text = "keys: \(source):\(line): \(reason)"
        case .missingServer(let source):
            text = "keys: \(source): no `server <public> <secret>` line; a key file has exactly one"
        case .fileExists(let path):
            text = "keys: \(path) already exists; refusing to overwrite it (use --force to replace it)"
        case .writeFailed(let path, let operation, let reason):
            text = "keys: cannot write key file \(path): \(operation) failed: \(reason)"
        case .invalidKeys(let reason):
            text = "keys: \(reason)"
        case .unknownClient(let name, let known):
            let list = known.isEmpty ? "none" : known.joined(separator: ", ")
            text = "keys: no client named \(String(reflecting: name)) in the key file (clients: \(list))"
        case .missingSecret(let purpose):
            text = "keys: the \(purpose) secret key is not in this key file (`-`); use the full file written by `recur keygen`"
        }
        return text.replacingNewlines()
    }
}
