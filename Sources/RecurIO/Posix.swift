// Thin throwing wrappers over Glibc file calls (open/read/write/fsync/rename/symlink/readdir).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Internal POSIX helpers. Every failure throws `FileSystemError` naming the path.
enum Posix {
    /// The error for the current `errno`.
    static func failure(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(operation: operation, path: path, code: errno)
    }

    /// Opens `path` read-only and returns the descriptor and the file size.
    static func openForReading(_ path: String) throws -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = failure("stat", path)
            close(fd)
            throw error
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw FileSystemError(operation: "read", path: path, code: EISDIR)
        }
        return (fd, Int(info.st_size))
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the number read (short at EOF).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                     path: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            guard let base = buffer.baseAddress else { break }
            let got = pread(fd, base + filled, buffer.count - filled, off_t(offset + filled))
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("read", path)
            }
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    /// Reads the whole file at `path`.
    static func readFile(_ path: String) throws -> [UInt8] {
        let (fd, size) = try openForReading(path)
        defer { close(fd) }
        var bytes = try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = try read(fd, into: UnsafeMutableRawBufferPointer(buffer), at: 0, path: path)
        }
        // The file may have grown since fstat; pick up anything beyond the first read.
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let offset = bytes.count
            let got = try chunk.withUnsafeMutableBytes { try read(fd, into: $0, at: offset, path: path) }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return bytes
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            guard let base = bytes.baseAddress else { break }
            let wrote = write(fd, base + done, bytes.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            done += wrote
        }
    }

    /// Creates (or truncates) `path`, writes `bytes`, fsyncs and closes it.
    static func writeFileDurably(_ path: String, _ bytes: [UInt8], exclusive: Bool = false, synced: Bool = true) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw failure("open", path) }
        do {
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            guard !synced || fsync(fd) == 0 else { throw failure("fsync", path) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure("close", path) }
    }

    /// Replaces `path` atomically and, when `durable`, durably: the bytes go to `<path>.tmp-<pid>`
    /// in the same folder (so the rename cannot cross file systems), are fsynced (when durable),
    /// renamed over `path`, and the folder is fsynced (when durable). A reader sees the old file
    /// or the new one, never a part; on failure the temporary file is removed and `path` is left
    /// as it was.
    static func replaceFile(_ path: String, _ bytes: [UInt8], durable: Bool = true) throws {
        let temporary = "\(path).tmp-\(getpid())"
        do {
            try writeFileDurably(temporary, bytes, synced: durable)
            try moveItem(temporary, to: path)
            if durable { try fsyncDirectory(parentDirectory(of: path)) }
        } catch {
            try? removeFile(temporary)
            throw error
        }
    }

    /// Fsyncs a directory so that entries created, renamed or removed in it are durable.
    /// File systems that cannot fsync directories (EINVAL) are tolerated.
    static func fsyncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL { throw failure("fsync", path) }
    }

    /// Creates one directory; returns false if a directory already exists there.
    @discardableResult
    static func makeDirectory(_ path: String) throws -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        let code = errno
        if code == EEXIST {
            if isDirectory(path, followLinks: true) { return false }
            throw FileSystemError(operation: "mkdir", path: path, code: ENOTDIR)
        }
        throw FileSystemError(operation: "mkdir", path: path, code: code)
    }

    /// Creates `path` and any missing parents; returns true if the last component was created.
    @discardableResult
    static func makeDirectories(_ path: String) throws -> Bool {
        if isDirectory(path, followLinks: true) { return false }
        let parent = parentDirectory(of: path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent) }
        return try makeDirectory(path)
    }

    /// The directory containing `path` (`"."` for a bare name).
    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[trimmed.startIndex..<slash])
    }

    /// Renames `from` to `to` with `rename(2)` (atomic replacement of files and symlinks).
    static func moveItem(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw failure("rename", "\(from) -> \(to)") }
    }

    /// Creates a symbolic link at `path` whose content is `target`.
    static func makeSymlink(target: String, at path: String) throws {
        guard symlink(target, path) == 0 else { throw failure("symlink", path) }
    }

    /// The content of the symbolic link at `path`, or nil if it is not a readable symlink.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let length = buffer.withUnsafeMutableBufferPointer { readlink(path, $0.baseAddress!, 4096) }
        guard length >= 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True if something (including a dangling symlink) exists at `path`.
    static func entryExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// True if `path` is a directory; with `followLinks` false a symlink never counts.
    static func isDirectory(_ path: String, followLinks: Bool) -> Bool {
        var info = stat()
        let result = followLinks ? stat(path, &info) : lstat(path, &info)
        return result == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The canonical absolute path of an existing entry, or nil.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in directory `path`, excluding `.` and `..`.
    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes `path` recursively without following symlinks. Missing paths are not an error.
    static func removeTree(_ path: String) throws {
        guard entryExists(path) else { return }
        if isDirectory(path, followLinks: false) {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw failure("rmdir", path) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
        }
    }

    /// Removes a file or symlink; a missing entry is not an error.
    static func removeFile(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
    }
}
