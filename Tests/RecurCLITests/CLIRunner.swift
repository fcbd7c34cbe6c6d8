// CLIRunner: finds the built `recur` executable and runs it as a subprocess with a timeout.
import Foundation
import RecurIO

/// What one run of the `recur` binary produced.
struct CLIResult {
    /// The arguments after the executable name.
    let arguments: [String]
    /// The exit status (or the terminating signal's number when `signaled`).
    let status: Int32
    /// True when the process died from a signal instead of exiting.
    let signaled: Bool
    /// Everything written to standard output, decoded as UTF-8.
    let stdout: String
    /// Everything written to standard error, decoded as UTF-8.
    let stderr: String
    /// Wall-clock duration of the run.
    let seconds: Double

    /// The lines of standard error that are not blank.
    var stderrLines: [String] {
        stderr.split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// The `event` records among the stderr lines (a run given `--log-format json`).
    func events(_ event: LogEvent) -> [LogRecord] { LogRecord.read(event, in: stderrLines) }

    /// A short description for failure messages.
    var summary: String {
        let shownOut = stdout.count > 800 ? String(stdout.prefix(800)) + "…" : stdout
        let shownErr = stderr.count > 2000 ? String(stderr.prefix(2000)) + "…" : stderr
        return "recur \(arguments.joined(separator: " "))\n  status \(status)\(signaled ? " (signal)" : "")"
            + " after \(String(format: "%.2f", seconds)) s\n  stdout: \(shownOut)\n  stderr: \(shownErr)"
    }
}

/// Why a run could not be carried out.
enum CLIRunnerError: Error, CustomStringConvertible {
    /// The executable is not in the product folder.
    case binaryMissing(searched: [String])
    /// The process outlived its time limit and was killed.
    case timedOut(arguments: [String], seconds: Double, stderr: String)

    var description: String {
        switch self {
        case .binaryMissing(let searched):
            return "the `recur` executable was not found next to the test bundle (looked at \(searched)); "
                + "`swift test` should build it as an executable product of this package — run "
                + "`swift build` with the same --scratch-path and configuration first"
        case .timedOut(let arguments, let seconds, let stderr):
            return "recur \(arguments.joined(separator: " ")) was killed after \(Int(seconds)) s; stderr so far: \(stderr)"
        }
    }
}

/// A class whose bundle is the test bundle.
private final class BundleAnchor {}

/// A byte buffer filled from another thread.
private final class ByteSink: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Runs the `recur` executable that `swift test` built beside the test bundle.
enum CLIRunner {
    /// Seconds a run may take before it is killed and the test fails.
    static let defaultTimeoutSeconds: Double = 120

    /// The `recur` executable in the product folder of the test bundle.
    /// - Throws: `CLIRunnerError.binaryMissing` naming every place looked at.
    static func binary() throws -> URL {
        let bundle = Bundle(for: BundleAnchor.self).bundleURL
        // The product folder holds the bundle; on Linux the bundle URL may already be that folder.
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("recur"),
                          bundle.appendingPathComponent("recur")]
        for url in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: url.path) {
                return url
            }
        }
        throw CLIRunnerError.binaryMissing(searched: candidates.map(\.path))
    }

    /// Runs `recur arguments…` in `directory` and waits for it, killing it after `timeout` seconds.
    /// - Returns: the exit status and both output streams.
    /// - Throws: `CLIRunnerError` when the binary is missing or the run timed out.
    static func run(_ arguments: [String], in directory: URL? = nil,
                    timeout: Double = defaultTimeoutSeconds) throws -> CLIResult {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice

        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let start = Date()
        // `run()` closes the parent's write ends of both pipes, so the readers see end-of-file
        // once the child exits; they start only after a successful launch.
        try process.run()
        let readers = DispatchGroup()
        let out = ByteSink(), err = ByteSink()
        for (pipe, sink) in [(outPipe, out), (errPipe, err)] {
            readers.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                readers.leave()
            }
        }

        if exited.wait(timeout: .now() + timeout) == .timedOut {
            // SIGTERM first: a distributed `train` stops its role processes on it. The child leads
            // its own process group (Process spawns it so), and the group gets the signals.
            let group = -process.processIdentifier
            kill(group, SIGTERM)
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(group, SIGKILL)
                _ = exited.wait(timeout: .now() + 5)
            }
            _ = readers.wait(timeout: .now() + 5)
            throw CLIRunnerError.timedOut(arguments: arguments, seconds: timeout,
                                          stderr: String(decoding: err.value, as: UTF8.self))
        }
        _ = readers.wait(timeout: .now() + 30)
        return CLIResult(arguments: arguments, status: process.terminationStatus,
                         signaled: process.terminationReason == .uncaughtSignal,
                         stdout: String(decoding: out.value, as: UTF8.self),
                         stderr: String(decoding: err.value, as: UTF8.self),
                         seconds: Date().timeIntervalSince(start))
    }
}
