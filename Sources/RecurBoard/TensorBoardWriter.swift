// Writes TensorBoard event files: scalar summaries as TFRecords, one write(2) per event.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RecurIO

/// Appends scalar summaries to a new TensorBoard event file, so `tensorboard --logdir DIR` plots
/// a run's losses and learning rate while it trains.
///
/// The file is `DIR/events.out.tfevents.<unix seconds>.<hostname>`, TensorBoard's naming (a
/// `.1`, `.2`… suffix is added rather than touch an existing file). Its first record is the
/// `"brain.Event:2"` version event. Each `write` packs one `Event` into one TFRecord and hands it
/// to the kernel in a single `write(2)` before returning, so a crash of the process loses no
/// earlier event. A failed write (a full disk) throws and cuts the file back to its last whole
/// record, so the file stays readable and the caller may carry on or stop. Thread-safe.
public final class TensorBoardWriter: @unchecked Sendable {
    /// The version string of the file's first event: TensorBoard's current event format.
    public static let fileVersion = "brain.Event:2"
    /// The start of every event file's name; TensorBoard reads the files whose names hold "tfevents".
    public static let filePrefix = "events.out.tfevents."

    /// The event file being written.
    public let path: String
    private var fd: Int32
    /// Bytes of whole records in the file: where to cut back to after a failed write.
    private var size: Int = 0
    private let lock = NSLock()

    /// Creates `directory` if needed and a new event file in it, and writes the version event.
    /// - Parameters:
    ///   - directory: the run's TensorBoard folder (`--logdir` or one run below it).
    ///   - wallTime: seconds since the Unix epoch; names the file and stamps the version event.
    ///   - hostname: the host part of the file name; nil means this machine's name.
    /// - Throws: `FileSystemError` naming `mkdir`, `open` or `write` and the path.
    public init(directory: String, wallTime: Double = TensorBoardWriter.now(), hostname: String? = nil) throws {
        try FileSystem.makeDirectories(directory)
        let base = directory + "/" + Self.filePrefix + String(Int(wallTime)) + "." + (hostname ?? Self.hostname())
        (fd, path) = try Self.createExclusively(base)
        do {
            try append(EventCodec.record(fileVersion: Self.fileVersion, wallTime: wallTime))
        } catch {
            closeFile(fd)
            throw error
        }
    }

    deinit {
        if fd >= 0 { closeFile(fd) }
    }

    /// Appends one event holding one summary of `scalars` at `step`.
    /// - Parameters:
    ///   - step: the training step (TensorBoard's x axis).
    ///   - scalars: tags such as `"train/loss"` and their values, stored as float32 in this order.
    ///   - wallTime: seconds since the Unix epoch when the values were measured.
    /// - Throws: `FileSystemError` naming `write` and the file (the file is cut back to its last
    ///   whole event), or `TensorBoardError.tagWithNUL` (nothing written). Also after `close()`.
    public func write(step: Int, scalars: [(tag: String, value: Double)],
                      wallTime: Double = TensorBoardWriter.now()) throws {
        guard let record = EventCodec.record(step: step, scalars: scalars, wallTime: wallTime) else {
            let bad = scalars.first { $0.tag.utf8.contains(0) }?.tag ?? ""
            throw TensorBoardError.tagWithNUL(path: path, tag: bad)
        }
        try append(record)
    }

    /// Closes the file. Later writes throw; closing again does nothing.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            closeFile(fd)
            fd = -1
        }
    }

    /// Seconds since the Unix epoch, with sub-second precision, as TensorBoard stamps events.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// One whole record in one `write(2)`; on failure the file is truncated to the last whole record.
    private func append(_ record: [UInt8]) throws {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { throw FileSystemError(operation: "write", path: path, code: EBADF) }
        do {
            try record.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: path) }
            size += record.count
        } catch {
            // Best effort: a partial record in the middle would hide every later one from readers.
            _ = ftruncate(fd, off_t(size))
            throw error
        }
    }

    /// Opens `base` (or `base.1`, `base.2`…, the first that does not exist) for appending.
    private static func createExclusively(_ base: String) throws -> (Int32, String) {
        var attempt = 0
        while true {
            let candidate = attempt == 0 ? base : base + "." + String(attempt)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, candidate) }
            if errno != EEXIST || attempt >= 1000 {
                throw FileSystemError(operation: "open", path: candidate, code: errno)
            }
            attempt += 1
        }
    }

    /// This machine's name, or `"localhost"` when it has none.
    private static func hostname() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0, name[0] != 0 else { return "localhost" }
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Closes a descriptor (a free function because `TensorBoardWriter.close()` shadows `close(2)`).
private func closeFile(_ fd: Int32) {
    _ = close(fd)
}
