// LabeledLines: reads a labelled file as checked UTF-8 lines, shared by the classify and tag readers.

/// The lines of a labelled file, each with its 1-based number and without its line ending.
///
/// Both readers need the same guarantees as ``readCorpus(path:)`` (POSIX reads that name the
/// system's reason, a dropped byte-order mark, strict UTF-8) but with errors that carry a line
/// number, because a labelled file is read and fixed line by line.
enum LabeledLines {
    /// The lines of the file at `path`: split at `"\n"`, a trailing `"\r"` removed from each.
    ///
    /// - Throws: ``LabeledDataError/unreadable(path:reason:)`` and
    ///   ``LabeledDataError/notUTF8(path:line:byteOffset:)``.
    static func read(path: String) throws -> [String] {
        let bytes: [UInt8]
        do {
            bytes = try readAllBytes(path: path)
        } catch let CorpusError.unreadable(_, reason) {
            throw LabeledDataError.unreadable(path: path, reason: reason)
        }
        return split(try text(bytes, path: path))
    }

    /// The text of a labelled file's `bytes`: a leading byte-order mark dropped, and strict UTF-8
    /// required (the fuzz harnesses check what a file's bytes meet through this too).
    ///
    /// - Throws: ``LabeledDataError/notUTF8(path:line:byteOffset:)`` naming the first bad byte.
    static func text(_ bytes: [UInt8], path: String) throws -> String {
        var bytes = bytes
        var skipped = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes.removeFirst(3)
            skipped = 3
        }
        if let offset = firstInvalidUTF8Offset(bytes) {
            let line = 1 + bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            throw LabeledDataError.notUTF8(path: path, line: line, byteOffset: offset + skipped)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The lines of `text` (split at `"\n"` bytes, not at Swift's `"\r\n"` grapheme), each
    /// without a trailing `"\r"`. A final line ending does not start another (empty) line.
    static func split(_ text: String) -> [String] {
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            let body = line.last == 0x0D ? line.dropLast() : line[...]
            return String(decoding: body, as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Whether `line` holds only spaces and tabs (or nothing).
    static func isBlank(_ line: String) -> Bool {
        line.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }
}
