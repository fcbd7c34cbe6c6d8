// Public doors to RecurIO's checked POSIX helpers, for targets beside it that write files.

/// The checked file calls of RecurIO, for other targets (RecurBoard's event files) so that every
/// file error in Recur is the same one-line `FileSystemError` and the EINTR and short-write
/// handling lives in one place.
public enum FileSystem {
    /// Creates `path` and any missing parents, like `mkdir -p`.
    /// - Returns: true if the last component was created, false if it already existed.
    /// - Throws: `FileSystemError` naming `mkdir` and the path (ENOTDIR when a file is in the way).
    @discardableResult
    public static func makeDirectories(_ path: String) throws -> Bool {
        try Posix.makeDirectories(path)
    }

    /// The whole content of the file at `path`.
    /// - Throws: `FileSystemError` naming `open`, `stat` or `read` and the path.
    public static func readFile(_ path: String) throws -> [UInt8] {
        try Posix.readFile(path)
    }

    /// Writes all of `bytes` to the open descriptor `fd`, retrying short writes and EINTR.
    /// - Parameter path: the file's name, for the error only.
    /// - Throws: `FileSystemError` naming `write` and `path` (for example ENOSPC on a full disk).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        try Posix.writeAll(fd, bytes, path: path)
    }
}
