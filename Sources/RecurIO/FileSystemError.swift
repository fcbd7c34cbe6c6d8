// The error thrown when a POSIX file-system call fails: operation, path and strerror text.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file-system call, naming the operation, the path and the `strerror(errno)` text.
public struct FileSystemError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The call that failed, such as `"open"`, `"fsync"` or `"rename"`.
    public var operation: String
    /// The path the call was operating on (for renames, `"from -> to"`).
    public var path: String
    /// The `errno` value reported by the call.
    public var code: Int32
    /// `strerror(code)` captured when the error was created.
    public var message: String

    /// Creates an error for `operation` on `path` with the given `errno` value.
    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
        self.message = String(cString: strerror(code))
    }

    /// Whether the call failed because the file system (or the user's quota) is full: `ENOSPC` or
    /// `EDQUOT`. A checkpoint that fails this way is skipped rather than ending the run.
    public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }

    /// One line: `"<operation> <path>: <strerror>"`.
    public var description: String { "\(operation) \(path): \(message)" }
}
