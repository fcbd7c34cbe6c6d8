// ClusterResumeTests: a local cluster whose every process is killed with SIGKILL mid-run, then
// resumed, ends with the same weight bytes and per-step losses as an uninterrupted run — and a
// single process can resume a cluster's run.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The run both resume tests use, and how they read it back.
enum ResumeFixture {
    static let flags = ["--hidden", "96", "--layers", "2", "--batch", "16", "--bptt", "32", "--lanes-per-shard", "8",
                 "--synthetic-sentences", "2000", "--steps", "40", "--checkpoint-every", "10", "--log-every", "1",
                 "--dropout", "0.1", "--threads", "1", "--quiet"]

    static func lines(_ dir: String) -> [String] {
        guard let d = FileManager.default.contents(atPath: dir + "/metrics.jsonl") else { return [] }
        return String(decoding: d, as: UTF8.self).split(separator: "\n").map { line in
            let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            return "\(o["step"] ?? "?") \(o["loss"] ?? "?") \(o["val_loss"] ?? "-")"
        }
    }

    static func model(_ dir: String) -> Data? { FileManager.default.contents(atPath: dir + "/checkpoints/latest/model.safetensors") }
}

final class ClusterResumeTests: ClusterTestCase {
    let flags = ResumeFixture.flags
    func lines(_ dir: String) -> [String] { ResumeFixture.lines(dir) }
    func model(_ dir: String) -> Data? { ResumeFixture.model(dir) }

    /// Starts `recur train --workers 2`, and SIGKILLs the launcher and all its children once
    /// `after` metric lines exist.
    func killEverything(_ dir: String, after: Int) throws {
        let launcher = try start(["train", "--workers", "2", "--run-dir", dir] + flags, name: "launcher")
        let end = Date().addingTimeInterval(Self.deadline)
        while launcher.isRunning && lines(dir).count < after && Date() < end { usleep(5_000) }
        let children = ProcessTable.children(of: launcher.pid)
        XCTAssertTrue(launcher.isRunning, "the run ended before the kill: the test tested nothing")
        launcher.send(SIGKILL)
        for c in children { kill(c.pid, SIGKILL) }
        _ = launcher.waitForExit(seconds: 10)
        XCTAssertLessThan(lines(dir).count, 40)
    }

    /// Kills every process after `after` metric lines (checkpoints every 10 steps), resumes with
    /// `--resume` alone (plus the model flags when there is no checkpoint yet), and compares.
    func killAndResume(after: Int) throws {
        let a = path("uninterrupted"), b = path("killed-\(after)")
        if ResumeFixture.model(a) == nil {
            let p = try runToEnd(["train", "--workers", "2", "--run-dir", a] + flags, name: "uninterrupted")
            XCTAssertEqual(p.status, 0, p.summary)
        }
        try killEverything(b, after: after)
        let again = ["train", "--workers", "2", "--resume", b] + (after < 10 ? flags : ["--quiet"])
        let r = try runToEnd(again, name: "resumed after \(after)")
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(model(a), model(b), "weights after the resume (killed after \(after) steps)")
        XCTAssertEqual(lines(a), lines(b), "per-step losses after the resume (killed after \(after) steps)")
    }

    func testKilledBetweenTwoCheckpoints() throws { try killAndResume(after: 25) }
    func testKilledBeforeTheFirstCheckpoint() throws { try killAndResume(after: 5) }
    func testKilledRightAfterACheckpoint() throws { try killAndResume(after: 11) }

    func testSingleProcessResumesAClusterRun() throws {
        let a = path("uninterrupted"), b = path("killed")
        let p = try runToEnd(["train", "--single-process", "--run-dir", a] + flags, name: "single-process")
        XCTAssertEqual(p.status, 0, p.summary)
        try killEverything(b, after: 15)
        let r = try runToEnd(["train", "--single-process", "--resume", b, "--quiet"], name: "resumed in one process")
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(model(a), model(b))
    }
}

/// The launcher notices a dead parameter server and restarts the cluster from the newest
/// checkpoint; the run still ends bit-identical.
final class LauncherRestartTests: ClusterTestCase {
    func testLocalClusterRestartsAfterItsParameterServerIsKilled() throws {
        let helper = ResumeFixture.self
        let flags = helper.flags
        let a = path("uninterrupted"), b = path("restarted")
        let p = try runToEnd(["train", "--workers", "2", "--run-dir", a] + flags, name: "uninterrupted")
        XCTAssertEqual(p.status, 0, p.summary)
        let launcher = try start(["train", "--workers", "2", "--run-dir", b, "--log-format", "json"] + flags, name: "launcher")
        let end = Date().addingTimeInterval(Self.deadline)
        while launcher.isRunning && helper.lines(b).count < 15 && Date() < end { usleep(5_000) }
        let ps = ProcessTable.children(of: launcher.pid).first { $0.commandLine.dropFirst().first == "ps" }
        let psEntry = try XCTUnwrap(ps, "no parameter server among the launcher's children")
        kill(psEntry.pid, SIGKILL)
        XCTAssertTrue(launcher.waitForExit(seconds: Self.deadline), "the launcher must finish after the restart")
        XCTAssertEqual(launcher.status ?? -1, 0, launcher.summary)
        XCTAssertEqual(launcher.events(.processExited).map { $0.field("restart") }, [1], "one restart, the first\n\(launcher.summary)")
        XCTAssertEqual(helper.model(a), helper.model(b), "weights after the restart")
        XCTAssertEqual(helper.lines(a), helper.lines(b), "per-step losses after the restart")
    }
}
