// Reading and writing key files: bounded reads, and atomic mode-0600 writes (temporary file + rename).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CurveKeys {
    /// The largest key file `load` reads, in bytes (a file with hundreds of clients is a few tens of KB).
    static let maxFileBytes = 1 << 20

    /// Reads and parses the key file at `path`.
    /// - Throws: `CurveKeyError.unreadable` (missing, unreadable, a directory, too big), or the
    ///   `parse` errors naming `path` and the line.
    public static func load(path: String) throws -> CurveKeys {
        let bytes = try KeyFileIO.readFile(path, limit: maxFileBytes)
        return try parse(String(decoding: bytes, as: UTF8.self), source: path)
    }

    /// Writes `text()` to `path` with mode 0600, atomically: a temporary file in the same folder is
    /// written, fsynced and then moved into place, so readers see the old file or the new one.
    /// - Parameters:
    ///   - path: the key file to create.
    ///   - overwrite: replace an existing file; without it an existing file is an error.
    /// - Throws: `CurveKeyError.invalidKeys` when the keys would not parse back, `.fileExists`,
    ///   or `.writeFailed` naming the failed call.
    public func write(path: String, overwrite: Bool = false) throws {
        try validate()
        try KeyFileIO.writeAtomically(path, Array(text().utf8), overwrite: overwrite)
    }
}

/// POSIX file calls for key files; every failure becomes a `CurveKeyError` naming the path.
enum KeyFileIO {
    /// `strerror(code)`.
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The whole file at `path`, refusing directories and files over `limit` bytes.
    static func readFile(_ path: String, limit: Int) throws -> [UInt8] {
        func unreadable(_ why: String) -> CurveKeyError { .unreadable(path: path, reason: why) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable(reason(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(reason(errno)) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw unreadable(reason(EISDIR)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw unreadable(reason(errno))
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<got])
            guard bytes.count <= limit else { throw unreadable("larger than \(limit) bytes; is this really a key file?") }
        }
    }

    /// Writes `bytes` to `path` (mode 0600) through a temporary file in the same folder.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], overwrite: Bool) throws {
        func failed(_ operation: String, _ code: Int32) -> CurveKeyError {
            .writeFailed(path: path, operation: operation, reason: reason(code))
        }
        let folder = parentFolder(of: path)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failed("open", errno) }
        do {
            // The umask can only remove bits; fchmod makes the mode exactly 0600 either way.
            guard fchmod(fd, 0o600) == 0 else { throw failed("fchmod", errno) }
            var done = 0
            while done < bytes.count {
                let wrote = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw failed("write", errno)
                }
                done += wrote
            }
            guard fsync(fd) == 0 else { throw failed("fsync", errno) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            let code = errno
            unlink(temporary)
            throw failed("close", code)
        }
        defer { unlink(temporary) }
        if overwrite {
            guard rename(temporary, path) == 0 else { throw failed("rename", errno) }
        } else if link(temporary, path) != 0 {
            // link(2) fails with EEXIST instead of replacing: no window where a file could be clobbered.
            let code = errno
            if code == EEXIST { throw CurveKeyError.fileExists(path: path) }
            guard [EPERM, EOPNOTSUPP, ENOTSUP].contains(code) else { throw failed("link", code) }
            // A file system without hard links: check, then rename.
            var info = stat()
            if lstat(path, &info) == 0 { throw CurveKeyError.fileExists(path: path) }
            guard rename(temporary, path) == 0 else { throw failed("rename", errno) }
        }
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderFD >= 0 else { throw failed("open \(folder)", errno) }
        defer { close(folderFD) }
        if fsync(folderFD) != 0 && errno != EINVAL { throw failed("fsync \(folder)", errno) }
    }

    /// The folder holding `path` ("." for a bare file name).
    static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
