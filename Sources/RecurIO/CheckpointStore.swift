// Atomic, durable checkpoint folders under <run>/checkpoints with a `latest` symlink.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Manages `<runDirectory>/checkpoints/`: folders `step-XXXXXXXX` each holding the saved files
/// plus a `manifest.json` (sizes and CRC32C), and a `latest` symlink to the newest one.
///
/// Writes are crash-safe: a checkpoint is built in a `.tmp-*` folder, fsynced, renamed into
/// place, and only then is `latest` switched with an atomic `rename(2)` of a fresh symlink.
/// One process should write to a given run directory at a time. A write that fails (a full disk)
/// removes its temporary folder and leaves the earlier checkpoints and `latest` as they were.
public struct CheckpointStore: Sendable {
    /// The run directory this store was created for.
    public let runDirectory: String

    /// `<runDirectory>/checkpoints`.
    public var checkpointsDirectory: String {
        runDirectory == "/" ? "/checkpoints" : runDirectory + "/checkpoints"
    }

    /// Creates a store for `runDirectory` (nothing is touched on disk until `write`).
    public init(runDirectory: String) {
        var trimmed = runDirectory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.runDirectory = trimmed.isEmpty ? "." : trimmed
    }

    /// The folder name for `step`: `step-` followed by the step zero-padded to 8 digits.
    public static func folderName(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The step encoded in a checkpoint folder's name (`.../step-00000042` → 42), or nil.
    public static func step(ofCheckpoint path: String) -> Int? {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let name = trimmed.split(separator: "/").last.map(String.init) ?? String(trimmed)
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst(5)
        guard digits.count >= 8, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(digits)
    }

    /// Writes a complete checkpoint for `step` and points `latest` at it; returns its path.
    ///
    /// Each file is written and fsynced in `checkpoints/.tmp-step-XXXXXXXX-<pid>`, then a
    /// `manifest.json` is added and fsynced, the folder is fsynced and renamed to
    /// `step-XXXXXXXX` (an existing folder of that name is renamed aside and removed after),
    /// `checkpoints/` is fsynced, and `latest` is replaced by renaming a new symlink over it.
    public func write(step: Int, files: [String: [UInt8]]) throws -> String {
        try write(step: step, producers: files.mapValues { bytes in { bytes } })
    }

    /// Like `write(step:files:)`, but each file's bytes are made only when it is written and
    /// released right after, so a checkpoint never holds more than its largest file in memory.
    /// - Parameter producers: file name → a function returning its bytes.
    public func write(step: Int, producers: [String: () throws -> [UInt8]]) throws -> String {
        guard step >= 0 else { throw CheckpointError.invalidStep(step) }
        for name in producers.keys where !CheckpointManifest.isValidFileName(name) {
            throw CheckpointError.invalidFileName(name)
        }
        do {
            return try writeChecked(step: step, files: producers)
        } catch let error as FileSystemError {
            throw CheckpointError.io(error)
        }
    }

    private func writeChecked(step: Int, files: [String: () throws -> [UInt8]]) throws -> String {
        let directory = checkpointsDirectory
        if try Posix.makeDirectories(directory) {
            try Posix.fsyncDirectory(Posix.parentDirectory(of: directory))
        }
        let name = CheckpointStore.folderName(step: step)
        let pid = getpid()
        let temporary = "\(directory)/.tmp-\(name)-\(pid)"
        try Posix.removeTree(temporary)
        try Posix.makeDirectory(temporary)
        do {
            var entries: [CheckpointManifest.Entry] = []
            for (file, produce) in files.sorted(by: { $0.key < $1.key }) {
                let bytes = try produce()
                try Posix.writeFileDurably("\(temporary)/\(file)", bytes, exclusive: true)
                entries.append(.init(name: file, byteCount: bytes.count, crc32c: CRC32C.checksum(bytes)))
            }
            let manifest = CheckpointManifest(step: step, files: entries).encoded()
            try Posix.writeFileDurably("\(temporary)/\(CheckpointManifest.fileName)", manifest, exclusive: true)
            try Posix.fsyncDirectory(temporary)
        } catch {
            try? Posix.removeTree(temporary)
            throw error
        }

        let final = "\(directory)/\(name)"
        var aside: String?
        if Posix.entryExists(final) {
            let replaced = "\(directory)/.tmp-replaced-\(name)-\(pid)"
            try Posix.removeTree(replaced)
            try Posix.moveItem(final, to: replaced)
            aside = replaced
        }
        try Posix.moveItem(temporary, to: final)
        try Posix.fsyncDirectory(directory)
        if let aside { try Posix.removeTree(aside) }

        let link = "\(directory)/latest.tmp-\(pid)"
        do {
            try Posix.removeFile(link)
            try Posix.makeSymlink(target: name, at: link)
            try Posix.moveItem(link, to: "\(directory)/latest")
        } catch {
            try? Posix.removeFile(link)  // `latest` still names the previous checkpoint
            throw error
        }
        try Posix.fsyncDirectory(directory)
        return final
    }

    /// Complete checkpoint folders (`step-` + at least 8 digits, real directories) sorted by
    /// step. Temporary folders and anything else are ignored; a missing folder gives `[]`.
    public func list() -> [(step: Int, path: String)] {
        guard let names = try? Posix.listDirectory(checkpointsDirectory) else { return [] }
        var found: [(step: Int, path: String)] = []
        for name in names {
            guard let step = CheckpointStore.step(ofCheckpoint: name) else { continue }
            let path = "\(checkpointsDirectory)/\(name)"
            guard Posix.isDirectory(path, followLinks: false) else { continue }
            found.append((step, path))
        }
        return found.sorted { $0.step != $1.step ? $0.step < $1.step : $0.path < $1.path }
    }

    /// The checkpoint folder `checkpoints/latest` points to, or nil if the link is missing or
    /// dangling.
    public func latest() -> String? {
        guard let target = Posix.readLink("\(checkpointsDirectory)/latest") else { return nil }
        let path = target.hasPrefix("/") ? target : "\(checkpointsDirectory)/\(target)"
        return Posix.isDirectory(path, followLinks: true) ? path : nil
    }
}
