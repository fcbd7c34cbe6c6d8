// Checkpoint verification, fallback to the newest valid checkpoint, pruning and path resolution.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CheckpointStore {
    /// Reads `manifest.json` and every file it lists in the checkpoint folder at `path`, checks
    /// sizes and CRC32C, and returns the contents keyed by file name (manifest excluded).
    public func verify(checkpoint path: String) throws -> [String: [UInt8]] {
        let manifestBytes: [UInt8]
        do {
            manifestBytes = try Posix.readFile("\(path)/\(CheckpointManifest.fileName)")
        } catch let error as FileSystemError {
            if error.code == ENOENT || error.code == ENOTDIR { throw CheckpointError.missingManifest(checkpoint: path) }
            throw CheckpointError.io(error)
        }
        let manifest: CheckpointManifest
        do {
            manifest = try CheckpointManifest.parse(manifestBytes)
        } catch let problem as ManifestProblem {
            throw CheckpointError.malformedManifest(checkpoint: path, detail: problem.detail)
        }
        if let folderStep = CheckpointStore.step(ofCheckpoint: path), folderStep != manifest.step {
            throw CheckpointError.malformedManifest(
                checkpoint: path, detail: "step \(manifest.step) does not match the folder name")
        }
        var contents: [String: [UInt8]] = [:]
        for entry in manifest.files {
            let bytes: [UInt8]
            do {
                bytes = try Posix.readFile("\(path)/\(entry.name)")
            } catch let error as FileSystemError {
                if error.code == ENOENT { throw CheckpointError.missingFile(checkpoint: path, file: entry.name) }
                throw CheckpointError.io(error)
            }
            guard bytes.count == entry.byteCount else {
                throw CheckpointError.sizeMismatch(checkpoint: path, file: entry.name,
                                                   expected: entry.byteCount, actual: bytes.count)
            }
            let crc = CRC32C.checksum(bytes)
            guard crc == entry.crc32c else {
                throw CheckpointError.checksumMismatch(checkpoint: path, file: entry.name,
                                                       expected: entry.crc32c, actual: crc)
            }
            contents[entry.name] = bytes
        }
        return contents
    }

    /// The newest checkpoint that verifies: `latest` first, then the others by descending step.
    /// `skipped` lists each candidate that failed (and a dangling `latest`) with its error.
    /// Returns nil when no checkpoint verifies.
    public func newestValid() -> (path: String, files: [String: [UInt8]], skipped: [(path: String, error: String)])? {
        var skipped: [(path: String, error: String)] = []
        var candidates: [String] = []
        let linkPath = "\(checkpointsDirectory)/latest"
        if let latest = latest() {
            candidates.append(latest)
        } else if let target = Posix.readLink(linkPath) {
            skipped.append((linkPath, "latest points to missing \(target)"))
        }
        let latestReal = candidates.first.flatMap(Posix.realPath)
        for (_, path) in list().reversed() where latestReal == nil || Posix.realPath(path) != latestReal {
            candidates.append(path)
        }
        for path in candidates {
            do {
                return (path, try verify(checkpoint: path), skipped)
            } catch {
                skipped.append((path, "\(error)"))
            }
        }
        return nil
    }

    /// Removes the oldest checkpoints so that only the `keep` newest remain, never removing the
    /// one `latest` points to, and removes leftover `.tmp-*` folders and `latest.tmp-*` links.
    /// Must not run concurrently with `write` on the same run directory.
    public func prune(keep: Int) throws {
        guard keep >= 0 else { throw CheckpointError.invalidKeep(keep) }
        let directory = checkpointsDirectory
        guard Posix.isDirectory(directory, followLinks: true) else { return }
        do {
            let latestReal = latest().flatMap(Posix.realPath)
            let all = list()
            for (_, path) in all.dropLast(min(keep, all.count)) {
                if let latestReal, Posix.realPath(path) == latestReal { continue }
                try Posix.removeTree(path)
            }
            for name in try Posix.listDirectory(directory)
            where name.hasPrefix(".tmp-") || name.hasPrefix("latest.tmp-") {
                try Posix.removeTree("\(directory)/\(name)")
            }
            try Posix.fsyncDirectory(directory)
        } catch let error as FileSystemError {
            throw CheckpointError.io(error)
        }
    }

    /// Resolves a user-supplied path: a run directory (with `checkpoints/latest`) gives its
    /// latest checkpoint, a `checkpoints/` folder with `latest` gives that target, and anything
    /// else (such as a checkpoint folder) is returned unchanged.
    public static func resolve(_ path: String) -> String {
        if let latest = CheckpointStore(runDirectory: path).latest() { return latest }
        let store = CheckpointStore(runDirectory: path)
        if let target = Posix.readLink("\(store.runDirectory)/latest") {
            let resolved = target.hasPrefix("/") ? target : "\(store.runDirectory)/\(target)"
            if Posix.isDirectory(resolved, followLinks: true) { return resolved }
        }
        return path
    }
}
