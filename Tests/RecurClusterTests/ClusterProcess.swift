// ClusterProcess: one `recur` subprocess with its standard output and error captured live.
import Foundation
import RecurIO
#if canImport(Glibc)
import Glibc
#endif

/// Bytes appended by a reader thread and read by the test thread.
final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var closed = false

    func append(_ bytes: UnsafeRawBufferPointer) { lock.lock(); data.append(contentsOf: bytes); lock.unlock() }
    func finish() { lock.lock(); closed = true; lock.unlock() }
    /// Everything read so far, decoded as UTF-8.
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    /// True once the writer side reached end-of-file.
    var isFinished: Bool { lock.lock(); defer { lock.unlock() }; return closed }
    /// The complete lines read so far.
    var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    /// Reads `fd` on a thread of its own until end-of-file.
    func drain(_ fd: Int32) {
        let thread = Thread { [self] in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 1)
            defer { buffer.deallocate() }
            while true {
                let n = read(fd, buffer, 1 << 16)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                append(UnsafeRawBufferPointer(start: buffer, count: n))
            }
            finish()
        }
        thread.start()
    }
}

/// A running (or finished) `recur` process; both output streams are captured in memory.
final class ClusterProcess {
    /// A label for messages, e.g. "ps" or "worker-2".
    let name: String
    let arguments: [String]
    let process = Process()
    let out = OutputBuffer(), err = OutputBuffer()
    private let outPipe = Pipe(), errPipe = Pipe()

    /// Starts `binary arguments…` in `directory`, with `environment` added to this process's.
    init(binary: URL, _ arguments: [String], name: String, directory: URL, environment: [String: String] = [:]) throws {
        self.name = name
        self.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        out.drain(outPipe.fileHandleForReading.fileDescriptor)
        err.drain(errPipe.fileHandleForReading.fileDescriptor)
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    /// The exit status, or nil while running (the signal number when killed by one).
    var status: Int32? { process.isRunning ? nil : process.terminationStatus }
    /// True when it ended by a signal.
    var signaled: Bool { !process.isRunning && process.terminationReason == .uncaughtSignal }
    var stderrText: String { err.text }
    var stderrLines: [String] { err.lines }

    /// Sends `signal` if it is still running.
    func send(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Waits up to `seconds` for the process to exit; true when it has.
    @discardableResult
    func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Kills it with SIGKILL and waits for it (idempotent).
    func killAndWait() {
        send(SIGKILL)
        waitForExit(seconds: 10)
    }

    /// The address after `endpoint ` on standard output, waiting up to `seconds`.
    func endpoint(seconds: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = out.lines.first(where: { $0.hasPrefix("endpoint ") }) {
                return String(line.dropFirst("endpoint ".count)).trimmingCharacters(in: .whitespaces)
            }
            if !process.isRunning && out.isFinished { break }
            usleep(20_000)
        }
        throw ClusterTestError("\(name) printed no endpoint line within \(Int(seconds)) s\n\(summary)")
    }

    /// The `event` records among the stderr lines (a process started with `--log-format json`).
    func events(_ event: LogEvent) -> [LogRecord] { LogRecord.read(event, in: stderrLines) }

    /// The `event` records whose fields hold every one of `fields` (name and value).
    func events(_ event: LogEvent, where fields: [String: JSONValue]) -> [LogRecord] {
        events(event).filter { r in fields.allSatisfy { r.field($0.key) == $0.value } }
    }

    /// Every record among the stderr lines, of any event.
    var records: [LogRecord] { stderrLines.compactMap { LogRecord.read(jsonLine: $0)?.record } }

    /// The stderr lines whose text (a json line's `message`) contains every one of `words`.
    func stderrLines(containing words: String...) -> [String] {
        stderrLines.filter { line in
            let text = LogRecord.read(jsonLine: line)?.record.message ?? line
            return words.allSatisfy { text.contains($0) }
        }
    }

    /// Name, arguments, status and the tail of standard error, for failure messages.
    /// Progress lines ("[coordinator] step 3/80 loss …") are left out: they drown the events.
    var summary: String {
        let all = stderrLines
        let kept = all.filter { !($0.hasPrefix("[coordinator] step ") && $0.contains(" loss ")) && !$0.contains(#""event":"progress""#) }
        let note = kept.count < all.count ? ["(\(all.count - kept.count) progress lines left out)"] : []
        let e = (note + kept).joined(separator: "\n")
        let tail = e.count > 4000 ? "…" + String(e.suffix(4000)) : e
        let state = status.map { "status \($0)\(signaled ? " (signal)" : "")" } ?? "running"
        return "[\(name)] recur \(arguments.joined(separator: " "))\n  \(state)\n  stderr:\n\(tail)"
    }
}

/// A failed precondition or deadline of a cluster test; the message says which.
struct ClusterTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
