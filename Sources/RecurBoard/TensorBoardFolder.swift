// TensorBoardFolder: a run's event files as a whole — cut back to a step when the run resumes or
// rolls back, so its curves go on without a duplicate.
import Foundation
import RecurIO

/// The event files of one run folder.
public enum TensorBoardFolder {
    /// The event files in `directory`, by name (which begins with their creation time).
    public static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(TensorBoardWriter.filePrefix) }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Cuts every event file in `directory` before its first event of a step after `step`: a run
    /// resumed (or rolled back) to `step` writes those steps again, into a new file. A file that
    /// does not read cleanly is left as it is (TensorBoard skips what it cannot read).
    /// - Throws: `FileSystemError` when a file cannot be cut.
    public static func cut(directory: String, after step: Int) throws {
        for path in files(in: directory) {
            guard let bytes = try? FileSystem.readFile(path),
                  let records = try? TensorBoardReader.records(in: bytes, path: path),
                  let first = records.first(where: { !$0.event.scalars.isEmpty && $0.event.step > step }) else { continue }
            guard truncate(path, off_t(first.offset)) == 0 else {
                throw FileSystemError(operation: "truncate", path: path, code: errno)
            }
        }
    }
}
