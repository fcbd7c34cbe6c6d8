// ClusterResumeTests: a local cluster whose every process is killed with SIGKILL mid-run, then
// resumed, ends with the same weight bytes and per-step losses as an uninterrupted run — and a
// single process can resume a cluster's run.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ClusterResumeTests: ClusterTestCase {
    let flags = ["--hidden", "96", "--layers", "2", "--batch", "16", "--bptt", "32", "--lanes-per-shard", "8",
                 "--synthetic-sentences", "2000", "--steps", "40", "--checkpoint-every", "10", "--log-every", "1",
                 "--dropout", "0.1", "--threads", "1", "--quiet"]

    func lines(_ dir: String) -> [String] {
        guard let d = FileManager.default.contents(atPath: dir + "/metrics.jsonl") else { return [] }
        return String(decoding: d, as: UTF8.self).split(separator: "\n").map { line in
            let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            return "\(o["step"] ?? "?") \(o["loss"] ?? "?") \(o["val_loss"] ?? "-")"
        }
    }

    func model(_ dir: String) -> Data? { FileManager.default.contents(atPath: dir + "/checkpoints/latest/model.safetensors") }

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

    func testEveryProcessKilledThenResumedEqualsUninterrupted() throws {
        let a = path("uninterrupted"), b = path("killed")
        let p = try runToEnd(["train", "--workers", "2", "--run-dir", a] + flags, name: "uninterrupted")
        XCTAssertEqual(p.status, 0, p.summary)
        try killEverything(b, after: 25)
        let r = try runToEnd(["train", "--workers", "2", "--resume", b, "--quiet"], name: "resumed")
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(model(a), model(b), "weights after the resume")
        XCTAssertEqual(lines(a), lines(b), "per-step losses after the resume")
    }

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
