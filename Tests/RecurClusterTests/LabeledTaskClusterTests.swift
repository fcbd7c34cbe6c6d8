// LabeledTaskClusterTests: a classifier, a bidirectional tagger and a bidirectional
// encoder–decoder with attention trained on the built-in data by a cluster — 1 or 3 workers, 2 parameter-server shards, a worker SIGKILLed holding a
// lease, a resume from a mid-run checkpoint — end with the single process's weights bit for bit.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The two labelled runs: tiny shapes, four shards a step (B=8, two lanes each), a checkpoint
/// every 10 of 30 steps.
enum LabeledRuns {
    static let steps = 30
    static let common = ["--hidden", "16", "--batch", "8", "--lanes-per-shard", "2", "--synthetic-sentences", "400",
                         "--steps", String(steps), "--checkpoint-every", "10", "--val-fraction", "0.1",
                         "--log-every", "1", "--seed", "11"]
    /// A classifier of the built-in sentiment reviews.
    static let classify = ["--task", "classify", "--layers", "1"] + common
    /// A two-layer bidirectional tagger of the built-in names, with dropout between the layers.
    static let tag = ["--task", "tag", "--bidirectional", "--layers", "2", "--dropout", "0.1"] + common

    /// A two-layer encoder–decoder of the built-in dates: a bidirectional encoder (so the bridge
    /// is trained too), general attention, dropout between the layers.
    static let seq2seq = ["--task", "seq2seq", "--bidirectional", "--layers", "2", "--dropout", "0.1",
                          "--attention", "general"] + common

    /// The metric a run's last line must carry for `flags`' task.
    static func validationMetric(_ flags: [String]) -> String {
        flags.contains("seq2seq") ? "val_exact_match" : flags.contains("tag") ? "val_f1" : "val_accuracy"
    }
}

final class LabeledTaskClusterTests: ClusterTestCase {
    private let runID: UInt64 = 19

    /// The single-process reference of `flags`, checked to log every step and its validation metric.
    private func reference(_ flags: [String]) throws -> RunRecord {
        let r = try ReferenceRuns.singleProcess(flags, in: self)
        XCTAssertEqual(r.losses.map(\.step), Array(1...LabeledRuns.steps), "the single-process run must log every step")
        return r
    }

    /// The last metrics line's validation metric of `flags`' task (fails the test when absent).
    private func finalMetric(_ dir: String, _ flags: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Double? {
        let key = LabeledRuns.validationMetric(flags)
        let value = (try RunRecord.metricsObjects(dir).last?[key] as? NSNumber)?.doubleValue
        XCTAssertNotNil(value, "\(dir)/metrics.jsonl: the last line has no \(key)", file: file, line: line)
        return value
    }

    /// `recur train` with `cluster` flags (workers, servers) plus `flags`; compares with one
    /// process and returns the run folder.
    @discardableResult
    private func assertClusterMatches(_ flags: [String], _ cluster: [String], _ what: String,
                                      file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let want = try reference(flags)
        let dir = path("run-\(UUID().uuidString)")
        let p = try runToEnd(["train", "--threads", "1", "--quiet", "--run-dir", dir] + cluster + flags, name: "train \(what)")
        XCTAssertEqual(p.status, 0, p.summary, file: file, line: line)
        guard p.status == 0 else { return dir }
        assertSameRun(try RunRecord.read(dir), want, what, file: file, line: line)
        return dir
    }

    /// One and three workers, then two parameter-server shards under two workers.
    private func checkWorkerCountsAndShards(_ flags: [String]) throws {
        try assertClusterMatches(flags, ["--workers", "1"], "--workers 1")
        let three = try assertClusterMatches(flags, ["--workers", "3"], "--workers 3")
        let metric = try finalMetric(three, flags)
        XCTAssertTrue(metric.map { (0...1).contains($0) } ?? false, "\(LabeledRuns.validationMetric(flags)) \(metric as Any) outside [0, 1]")
        try assertClusterMatches(flags, ["--workers", "2", "--ps-shards", "2"], "--workers 2 --ps-shards 2")
    }

    /// Roles started by hand. A lone worker trains until 2 steps are logged and is SIGKILLed
    /// (the run cannot have ended: nobody else computes); two workers then join, and the dead
    /// worker's shard comes back to them only when its lease expires.
    private func checkKilledWorker(_ flags: [String]) throws {
        let want = try reference(flags)
        let (ps, psEndpoint) = try startPS(runID: runID)
        let dir = path("run")
        let coordinator = try startCoordinator(flags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 1)
        let endpoint = try coordinator.endpoint()
        let victim = try startWorker("victim", coordinator: endpoint, runID: runID)
        try waitUntil("2 logged steps", showing: [coordinator, ps, victim]) { RunRecord.loggedSteps(dir) >= 2 }
        victim.send(SIGKILL)
        XCTAssertTrue(victim.waitForExit(seconds: 10), "SIGKILL did not end the victim")
        XCTAssertLessThan(RunRecord.loggedSteps(dir), LabeledRuns.steps, "the lone worker finished the run before its kill")

        let survivors = try (0..<2).map { try startWorker("worker-\($0)", coordinator: endpoint, runID: runID) }
        assertFinishes(coordinator)
        assertFinishes(ps, seconds: 15)
        for w in survivors { assertFinishes(w, seconds: 15) }
        XCTAssertFalse(coordinator.events(.leaseExpired).filter { $0.field("worker") == .string("victim") }.isEmpty,
                       "the victim was killed holding a shard, so its lease must expire\n\(coordinator.summary)")
        let closed = coordinator.events(.coordinatorClosed)
        XCTAssertEqual(closed.count, 1, coordinator.summary)
        XCTAssertGreaterThanOrEqual(closed.first?.field("expired")?.integer ?? 0, 1, "the closing counters count the expired lease")
        let record = try RunRecord.read(dir)
        XCTAssertEqual(record.losses.map(\.step), Array(1...LabeledRuns.steps), "each step logged exactly once")
        assertSameRun(record, want, "a worker SIGKILLed after step 2")
    }

    /// A two-worker run whose checkpoints after step 10 are then forgotten, resumed by three
    /// workers from step 10.
    private func checkResume(_ flags: [String]) throws {
        let want = try reference(flags)
        let dir = path("resumed")
        let first = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--run-dir", dir] + flags, name: "train --workers 2")
        XCTAssertEqual(first.status, 0, first.summary)
        guard first.status == 0 else { return }
        let checkpoints = URL(fileURLWithPath: dir).appendingPathComponent("checkpoints")
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints.path).sorted()
        XCTAssertEqual(names, ["latest", "step-00000010", "step-00000020", "step-00000030"], "checkpoints of the first run")
        for name in ["latest", "step-00000020", "step-00000030"] {
            try FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
        }
        try FileManager.default.createSymbolicLink(atPath: checkpoints.appendingPathComponent("latest").path,
                                                   withDestinationPath: "step-00000010")
        let resumed = try runToEnd(["train", "--workers", "3", "--threads", "1", "--quiet", "--log-format", "json",
                                    "--resume", dir], name: "train --workers 3 --resume")
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        let resumedAt = resumed.events(.resumed)
        XCTAssertFalse(resumedAt.isEmpty, "no resumed event\n\(resumed.summary)")
        XCTAssertTrue(resumedAt.allSatisfy { $0.field("step") == 10 }, resumed.summary)
        guard resumed.status == 0 else { return }
        assertSameRun(try RunRecord.read(dir), want, "resumed at step 10 by three workers")
    }

    func testClassifierOneAndThreeWorkersAndTwoServersMatchOneProcess() throws {
        try checkWorkerCountsAndShards(LabeledRuns.classify)
    }

    func testBidirectionalTaggerOneAndThreeWorkersAndTwoServersMatchOneProcess() throws {
        try checkWorkerCountsAndShards(LabeledRuns.tag)
    }

    func testClassifierSurvivesAKilledWorkerExactly() throws { try checkKilledWorker(LabeledRuns.classify) }

    func testBidirectionalTaggerSurvivesAKilledWorkerExactly() throws { try checkKilledWorker(LabeledRuns.tag) }

    func testClassifierResumesExactlyFromAMidRunCheckpoint() throws { try checkResume(LabeledRuns.classify) }

    func testBidirectionalTaggerResumesExactlyFromAMidRunCheckpoint() throws { try checkResume(LabeledRuns.tag) }

    func testEncoderDecoderOneAndThreeWorkersAndTwoServersMatchOneProcess() throws {
        try checkWorkerCountsAndShards(LabeledRuns.seq2seq)
    }

    func testEncoderDecoderSurvivesAKilledWorkerExactly() throws { try checkKilledWorker(LabeledRuns.seq2seq) }

    func testEncoderDecoderResumesExactlyFromAMidRunCheckpoint() throws { try checkResume(LabeledRuns.seq2seq) }
}
