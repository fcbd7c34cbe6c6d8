// ClusterTestCase: base class — temp folder, role processes killed in tearDown, bounded waits.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A class whose bundle is the test bundle.
private final class ClusterBundleAnchor {}

class ClusterTestCase: XCTestCase {
    /// The longest any single wait of these tests may take.
    static let deadline: Double = 90

    /// Tiny model and data: a run takes about a second.
    static let tinyFlags = ["--hidden", "16", "--layers", "1", "--batch", "8", "--bptt", "8", "--lanes-per-shard", "2",
                            "--synthetic-sentences", "300", "--steps", "12", "--val-fraction", "0.05",
                            "--log-every", "1", "--seed", "3"]
    /// A model big enough that a distributed run lasts several seconds, so things can happen mid-run.
    /// (About 2 s in one process, 4 s with three local workers, on 2 cores.)
    static let slowFlags = ["--hidden", "256", "--layers", "1", "--batch", "8", "--bptt", "32", "--lanes-per-shard", "2",
                            "--synthetic-sentences", "300", "--steps", String(slowSteps), "--val-fraction", "0.05",
                            "--log-every", "1", "--seed", "5"]
    /// Steps of a `slowFlags` run.
    static let slowSteps = 80

    /// The test's temporary folder.
    private(set) var work: URL!
    /// Every process this test started; all are killed in tearDown.
    private var started: [ClusterProcess] = []
    /// Processes started by a process of the test (e.g. a launcher's roles), killed in tearDown too.
    var adopted: [ProcessEntry] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        work = FileManager.default.temporaryDirectory.appendingPathComponent("recur-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for p in started { p.killAndWait() }
        for e in adopted where ProcessTable.isLive(e) { kill(e.pid, SIGKILL) }
        started.removeAll()
        adopted.removeAll()
        if let work { try? FileManager.default.removeItem(at: work) }
        work = nil
        try super.tearDownWithError()
    }

    /// A path inside the test's folder.
    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// The `recur` executable that `swift build` put beside the test bundle.
    static func binary() throws -> URL {
        let bundle = Bundle(for: ClusterBundleAnchor.self).bundleURL
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("recur"),
                          bundle.appendingPathComponent("recur")]
        for url in candidates where FileManager.default.isExecutableFile(atPath: url.path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue { return url }
        }
        throw ClusterTestError("no `recur` executable beside the test bundle (looked at \(candidates.map(\.path))); "
                               + "build with `swift build --build-tests` and the same --scratch-path first")
    }

    /// Starts `recur arguments…`; it is killed in tearDown if still running.
    func start(_ arguments: [String], name: String, environment: [String: String] = [:]) throws -> ClusterProcess {
        let p = try ClusterProcess(binary: Self.binary(), arguments, name: name, directory: work, environment: environment)
        started.append(p)
        return p
    }

    /// Starts `recur arguments…` and waits for it to exit (killing it after `seconds`).
    func runToEnd(_ arguments: [String], name: String, seconds: Double = deadline,
                  environment: [String: String] = [:]) throws -> ClusterProcess {
        let p = try start(arguments, name: name, environment: environment)
        guard p.waitForExit(seconds: seconds) else {
            p.killAndWait()
            throw ClusterTestError("\(name) did not finish within \(Int(seconds)) s\n\(p.summary)")
        }
        return p
    }

    /// `recur ps` on an ephemeral port; returns it and its endpoint.
    func startPS(runID: UInt64, bind: String = "tcp://127.0.0.1:*") throws -> (ClusterProcess, String) {
        let ps = try start(["ps", "--bind", bind, "--run-id", String(runID), "--die-with-parent", "--log-format", "json"], name: "ps")
        return (ps, try ps.endpoint())
    }

    /// `recur coordinator` with `flags`, writing to `runDir`.
    func startCoordinator(_ flags: [String], ps: String, runID: UInt64, runDir: String, leaseTimeout: Double = 2,
                          bind: String = "tcp://127.0.0.1:*") throws -> ClusterProcess {
        try start(["coordinator"] + flags + ["--threads", "1", "--ps", ps, "--bind", bind, "--run-id", String(runID),
                                             "--lease-timeout", String(leaseTimeout), "--run-dir", runDir,
                                             "--die-with-parent", "--log-format", "json"], name: "coordinator")
    }

    /// `recur worker` connecting to `coordinator`.
    func startWorker(_ name: String, coordinator: String, runID: UInt64, extra: [String] = []) throws -> ClusterProcess {
        try start(["worker", "--connect", coordinator, "--run-id", String(runID), "--name", name, "--threads", "1",
                   "--die-with-parent", "--log-format", "json"] + extra, name: name)
    }

    /// Polls `condition` every 20 ms until it holds; throws after `seconds`, showing `processes`.
    func waitUntil(_ what: String, seconds: Double = deadline, showing processes: [ClusterProcess],
                   _ condition: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return }
            usleep(20_000)
        }
        throw ClusterTestError("timed out after \(Int(seconds)) s waiting for \(what)\n"
                               + processes.map(\.summary).joined(separator: "\n"))
    }

    /// Waits for `p` to exit and fails unless it exited with status 0.
    func assertFinishes(_ p: ClusterProcess, seconds: Double = deadline, file: StaticString = #filePath, line: UInt = #line) {
        guard p.waitForExit(seconds: seconds) else {
            XCTFail("\(p.name) still running after \(Int(seconds)) s\n\(p.summary)", file: file, line: line)
            return
        }
        XCTAssertEqual(p.status, 0, "\(p.name) failed\n\(p.summary)", file: file, line: line)
        XCTAssertFalse(p.signaled, "\(p.name) was killed by a signal\n\(p.summary)", file: file, line: line)
    }
}
