// ResumeTests: a single-process run killed with SIGKILL and resumed ends with the same weight
// bytes and the same per-step losses as an uninterrupted run; bad checkpoints fall back; a flag
// that would change the model is refused.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ResumeTests: CLITestCase {
    /// Slow enough (in a debug build) that a kill lands mid-run; dropout on, so the random
    /// streams are exercised too.
    let flags = ["--single-process", "--hidden", "128", "--layers", "2", "--batch", "32", "--bptt", "64",
                 "--synthetic-sentences", "2000", "--steps", "40", "--checkpoint-every", "10", "--log-every", "1",
                 "--dropout", "0.1", "--threads", "1", "--quiet"]

    func metricLines(_ dir: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: dir + "/metrics.jsonl") else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func modelBytes(_ dir: String) -> Data? { FileManager.default.contents(atPath: dir + "/checkpoints/latest/model.safetensors") }

    /// Starts a run and SIGKILLs it once `lines` metric lines exist (or it ends on its own).
    func killMidRun(_ dir: String, afterLines lines: Int) throws {
        let p = Process()
        p.executableURL = try CLIRunner.binary()
        p.arguments = ["train"] + flags + ["--run-dir", dir]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let end = Date().addingTimeInterval(60)
        while p.isRunning && metricLines(dir).count < lines && Date() < end { usleep(5_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "the run ended before the kill: the test tested nothing")
        XCTAssertLessThan(metricLines(dir).count, 40)
    }

    func assertResumedEqualsUninterrupted(killAfter lines: Int) throws {
        let a = path("uninterrupted"), b = path("killed-\(lines)")
        _ = try recurOK(["train"] + flags + ["--run-dir", a])
        try killMidRun(b, afterLines: lines)
        let r = try recurOK(["train", "--single-process", "--resume", b, "--quiet"])
        XCTAssertEqual(modelBytes(a), modelBytes(b), "weights after resume (killed after \(lines) lines)\n\(r.summary)")
        XCTAssertEqual(metricLines(a).map(stepAndLoss), metricLines(b).map(stepAndLoss), "per-step losses after resume")
    }

    func stepAndLoss(_ line: String) -> String {
        let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return "\(o["step"] ?? "?") \(o["loss"] ?? "?") \(o["val_loss"] ?? "-")"
    }

    func testKilledBetweenCheckpoints() throws { try assertResumedEqualsUninterrupted(killAfter: 25) }

    func testKilledRightAfterACheckpoint() throws { try assertResumedEqualsUninterrupted(killAfter: 11) }

    func testKilledBeforeTheFirstCheckpoint() throws {
        let a = path("uninterrupted"), b = path("early")
        _ = try recurOK(["train"] + flags + ["--run-dir", a])
        try killMidRun(b, afterLines: 4)
        // No checkpoint yet: the run starts again from step 0 with the flags given.
        let r = try recurOK(["train"] + flags + ["--resume", b])
        XCTAssertEqual(modelBytes(a), modelBytes(b), r.summary)
        XCTAssertEqual(metricLines(a).map(stepAndLoss), metricLines(b).map(stepAndLoss))
    }

    func testCorruptNewestCheckpointFallsBackToThePreviousOne() throws {
        let a = path("uninterrupted"), b = path("corrupt")
        _ = try recurOK(["train"] + flags + ["--run-dir", a])
        try killMidRun(b, afterLines: 25)
        let newest = b + "/checkpoints/step-00000020/model.safetensors"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: newest))
        bytes[bytes.count - 5] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: newest))
        let r = try recurOK(["train", "--single-process", "--resume", b, "--quiet", "--log-format", "json"])
        XCTAssertEqual(r.events(.checkpointSkipped).map { $0.field("step") }, [.int(20)], "names the skipped checkpoint\n\(r.summary)")
        XCTAssertEqual(r.events(.resumed).map { $0.field("step") }, [.int(10)], "resumes from the previous one\n\(r.summary)")
        XCTAssertEqual(modelBytes(a), modelBytes(b))
    }

    func testFlagThatChangesTheModelIsRefused() throws {
        let b = path("run")
        _ = try recurOK(["train"] + flags + ["--steps", "10", "--run-dir", b])
        assertOneLineError(try recur(["train", "--single-process", "--resume", b, "--hidden", "99"]),
                           mentions: ["--hidden", "99", "128"])
        assertOneLineError(try recur(["train", "--single-process", "--resume", b, "--bptt", "8"]),
                           mentions: ["--bptt", "8", "64"])
    }
}
