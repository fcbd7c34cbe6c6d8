// Errors raised by CheckpointStore when writing, verifying or pruning checkpoint folders.

/// A checkpoint problem. Verification errors name the checkpoint folder, the file and the check.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A file-system call failed (the error names the path and strerror).
    case io(FileSystemError)
    /// A negative step was passed to `write`.
    case invalidStep(Int)
    /// A file name is empty, `.`/`..`, contains `/` or NUL, or is the reserved `manifest.json`.
    case invalidFileName(String)
    /// A negative `keep` was passed to `prune`.
    case invalidKeep(Int)
    /// The checkpoint folder has no `manifest.json`.
    case missingManifest(checkpoint: String)
    /// `manifest.json` could not be parsed or has the wrong structure.
    case malformedManifest(checkpoint: String, detail: String)
    /// A file listed in the manifest is absent.
    case missingFile(checkpoint: String, file: String)
    /// A file's size differs from the manifest.
    case sizeMismatch(checkpoint: String, file: String, expected: Int, actual: Int)
    /// A file's CRC32C differs from the manifest.
    case checksumMismatch(checkpoint: String, file: String, expected: UInt32, actual: UInt32)

    /// Whether this is a file-system call that failed for lack of space (`FileSystemError.isNoSpace`).
    public var isNoSpace: Bool {
        if case .io(let e) = self { return e.isNoSpace }
        return false
    }

    /// A one-line human-readable message.
    public var description: String {
        switch self {
        case .io(let error):
            return "checkpoint: \(error)"
        case .invalidStep(let step):
            return "checkpoint: step \(step) is negative"
        case .invalidFileName(let name):
            return "checkpoint: invalid file name \(JSONText.quoted(name))"
        case .invalidKeep(let keep):
            return "checkpoint: cannot keep \(keep) checkpoints"
        case .missingManifest(let checkpoint):
            return "checkpoint \(checkpoint): missing manifest.json"
        case .malformedManifest(let checkpoint, let detail):
            return "checkpoint \(checkpoint): malformed manifest.json: \(detail)"
        case .missingFile(let checkpoint, let file):
            return "checkpoint \(checkpoint): file \(file) is missing"
        case .sizeMismatch(let checkpoint, let file, let expected, let actual):
            return "checkpoint \(checkpoint): file \(file): size mismatch (manifest \(expected) bytes, "
                + "found \(actual))"
        case .checksumMismatch(let checkpoint, let file, let expected, let actual):
            return "checkpoint \(checkpoint): file \(file): checksum mismatch (manifest crc32c "
                + "\(CRC32C.hex(expected)), found \(CRC32C.hex(actual)))"
        }
    }
}
