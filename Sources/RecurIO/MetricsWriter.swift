// Appends JSON metrics lines to a file, one write(2) per line on an O_APPEND descriptor.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Appends one JSON object per line to a metrics file. The file is opened with `O_APPEND`,
/// and each line goes to the kernel in a single `write(2)` as soon as `append` is called, so
/// concurrent readers (and other appenders) never see half lines in practice. A write that fails
/// partway (a full disk) is undone: the file is cut back to its length before the line, so it
/// never ends in half a line. Thread-safe.
public final class MetricsWriter: @unchecked Sendable {
    /// The file being appended to.
    public let path: String
    private var fd: Int32
    private let lock = NSLock()

    /// Opens (creating if needed) `path` for appending. Throws `FileSystemError`.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Posix.failure("open", path) }
        self.path = path
        self.fd = fd
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
    }

    /// Appends `JSONLine.encode(fields)` plus a newline, whole or not at all. Throws
    /// `FileSystemError` on failure (the file is then as it was) or after `close()`.
    public func append(_ fields: [(String, JSONValue)]) throws {
        var line = Array(JSONLine.encode(fields).utf8)
        line.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { throw FileSystemError(operation: "write", path: path, code: EBADF) }
        // Where the line starts, so a write that stops partway (a full disk) can be undone.
        let before = lseek(fd, 0, SEEK_END)
        guard before >= 0 else { throw Posix.failure("lseek", path) }
        do {
            try line.withUnsafeBytes { try Posix.writeAll(fd, $0, path: path) }
        } catch {
            while ftruncate(fd, before) != 0 && errno == EINTR {}  // no half line is left behind
            throw error
        }
    }

    /// Closes the file. Further appends throw; calling `close` again does nothing.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            closeDescriptor(fd)
            fd = -1
        }
    }
}

/// Closes a descriptor (a free function because `MetricsWriter.close()` shadows `close(2)`).
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
