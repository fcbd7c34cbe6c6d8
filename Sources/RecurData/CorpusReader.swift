// CorpusReader: reads a UTF-8 training corpus from disk with precise error reporting.

import Foundation

/// Reads the whole file at `path` as UTF-8 text.
///
/// A leading UTF-8 byte-order mark is dropped. Line endings and all other bytes are kept.
///
/// - Throws: ``CorpusError/unreadable(path:reason:)`` when the file cannot be opened or read
///   (missing, a directory, no permission), ``CorpusError/empty(path:)`` when it has no text,
///   ``CorpusError/notUTF8(path:byteOffset:)`` when its bytes are not valid UTF-8.
public func readCorpus(path: String) throws -> String {
    var bytes = try readAllBytes(path: path)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
        bytes.removeFirst(3)
    }
    if bytes.isEmpty {
        throw CorpusError.empty(path: path)
    }
    if let offset = firstInvalidUTF8Offset(bytes) {
        throw CorpusError.notUTF8(path: path, byteOffset: offset)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The raw bytes of the file at `path`, read with POSIX calls so failures carry `strerror`.
func readAllBytes(path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 {
        throw CorpusError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        throw CorpusError.unreadable(path: path, reason: "it is a directory")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if got < 0 {
            if errno == EINTR { continue }
            throw CorpusError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        if got == 0 { break }
        bytes.append(contentsOf: chunk[0..<got])
    }
    return bytes
}

/// The offset of the first byte at which `bytes` stops being valid UTF-8, or nil if valid.
///
/// Rejects overlong forms, surrogates, values above U+10FFFF and truncated sequences.
func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let lead = bytes[i]
        if lead < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return i
        }
        if i + 1 >= n || bytes[i + 1] < low || bytes[i + 1] > high { return i }
        for k in 2..<length {
            if i + k >= n || bytes[i + k] & 0xC0 != 0x80 { return i }
        }
        i += length
    }
    return nil
}
