// DivergenceTests: a NaN gradient injected through the hidden fault flag is refused; the run rolls back
// to its newest checkpoint with the learning rate halved and finishes — or stops, when asked to.
import Foundation
import RecurIO
import XCTest

final class DivergenceTests: CLITestCase {
    let flags = ["train", "--single-process", "--hidden", "16", "--layers", "1", "--batch", "4", "--bptt", "8",
                 "--synthetic-sentences", "300", "--steps", "20", "--checkpoint-every", "5", "--log-every", "1",
                 "--lr", "0.004", "--threads", "1", "--quiet", "--log-format", "json"]

    /// Runs recur with the hidden fault flag (step 12 is the 13th step, after checkpoint 10).
    func runWithNaN(_ extra: [String]) throws -> (status: Int32, stderr: String, events: (LogEvent) -> [LogRecord]) {
        let p = Process()
        p.executableURL = try CLIRunner.binary()
        p.arguments = flags + ["--fault-nan-at-step", "12"] + extra
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return (p.terminationStatus, text, { LogRecord.read($0, in: text.split(separator: "\n")) })
    }

    func testNaNIsRolledBackWithTheLearningRateHalved() throws {
        let dir = path("rollback")
        let r = try runWithNaN(["--run-dir", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rollbacks = r.events(.rolledBack)
        XCTAssertEqual(rollbacks.map { $0.field("step") }, [.int(10)], r.stderr)
        XCTAssertEqual(rollbacks.first?.field("lr")?.number, 0.002, r.stderr)
        let lines = String(decoding: FileManager.default.contents(atPath: dir + "/metrics.jsonl") ?? Data(), as: UTF8.self)
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.compactMap { $0["step"] as? Int }, Array(1...20), "every step logged once, none twice")
        XCTAssertTrue(lines.allSatisfy { ($0["loss"] as? Double)?.isFinite ?? false }, "no NaN reached the metrics")
        let info = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: dir + "/checkpoints/latest/trainer.json")!)
            as? [String: Any]
        XCTAssertEqual(info?["lr"] as? Double, 0.002, "the learning rate is halved from 0.004")
        XCTAssertEqual(lines.last?["lr"] as? Double, 0.002)
    }

    func testStopPolicyStopsWithAClearError() throws {
        let r = try runWithNaN(["--run-dir", path("stop"), "--on-divergence", "stop"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.events(.divergenceStopped).map { $0.field("step") }, [.int(13)], r.stderr)
        XCTAssertEqual(r.events(.rolledBack).count, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: ") && r.stderr.contains("--on-divergence stop"), "the error names the flag\n\(r.stderr)")
    }
}
