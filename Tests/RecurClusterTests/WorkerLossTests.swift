// WorkerLossTests: a worker SIGKILLed or SIGTERMed mid-run costs time, never correctness (roles started by hand).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class WorkerLossTests: ClusterTestCase {
    private let runID: UInt64 = 7
    private let steps = slowSteps

    /// Checks that metrics.jsonl logs steps 1…steps, each once, ending at exactly `steps`.
    private func assertEveryStepOnce(_ record: RunRecord, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(record.losses.map(\.step), Array(1...steps), "each step must be logged exactly once", file: file, line: line)
        XCTAssertEqual(record.losses.last?.step, steps, "the final step must be exactly --steps", file: file, line: line)
    }

    func testKilledWorkerLeaseExpiresAndTheRunStaysExact() throws {
        let reference = try ReferenceRuns.singleProcess(Self.slowFlags, in: self)
        let (ps, psEndpoint) = try startPS(runID: runID)
        let dir = path("run")
        let coordinator = try startCoordinator(Self.slowFlags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 2)
        let endpoint = try coordinator.endpoint()
        let workers = try (0..<3).map { try startWorker("worker-\($0)", coordinator: endpoint, runID: runID) }
        try waitUntil("3 logged steps", showing: [coordinator, ps] + workers) { RunRecord.loggedSteps(dir) >= 3 }

        workers[1].send(SIGKILL)
        XCTAssertTrue(workers[1].waitForExit(seconds: 10), "SIGKILL did not end worker-1")
        XCTAssertLessThan(RunRecord.loggedSteps(dir), steps - 5, "the run was nearly over when the worker died; slow it down")

        assertFinishes(coordinator)
        assertFinishes(ps, seconds: 15)
        for w in [workers[0], workers[2]] { assertFinishes(w, seconds: 15) }
        XCTAssertFalse(coordinator.events(.leaseExpired).filter { $0.field("worker") == .string("worker-1") }.isEmpty,
                       "the coordinator must log the dead worker's expired lease\n\(coordinator.summary)")
        let closed = coordinator.events(.coordinatorClosed)
        XCTAssertEqual(closed.count, 1, coordinator.summary)
        XCTAssertGreaterThanOrEqual(closed.first?.field("expired")?.integer ?? 0, 1, "the closing counters count the expired lease")
        let closing = ps.events(.serverClosed)
        XCTAssertEqual(closing.map { $0.field("version") }, [.int(steps)], "the PS must close once, at version \(steps)\n\(ps.summary)")
        for counter in ["duplicates", "stale", "bad_shape", "not_finite"] {
            XCTAssertNotNil(closing.first?.field(counter)?.integer, "the closing line must report \(counter): \(closing)")
        }
        XCTAssertEqual(closing.first?.field("not_finite"), .int(0), "no worker sent a non-finite gradient")
        let record = try RunRecord.read(dir)
        assertEveryStepOnce(record)
        assertSameRun(record, reference, "3 workers, one SIGKILLed at step 3+")
    }

    func testWorkerStoppedBySIGTERMLeavesAndTheRunCompletes() throws {
        let reference = try ReferenceRuns.singleProcess(Self.slowFlags, in: self)
        let (ps, psEndpoint) = try startPS(runID: runID)
        let dir = path("run")
        // A short lease: whatever the leaving worker fails to hand over costs seconds, not the test's
        // deadline (WorkerStopDeliveryTests checks that nothing is lost).
        let coordinator = try startCoordinator(Self.slowFlags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 3)
        let endpoint = try coordinator.endpoint()
        let workers = try (0..<2).map { try startWorker("worker-\($0)", coordinator: endpoint, runID: runID) }
        try waitUntil("3 logged steps", showing: [coordinator, ps] + workers) { RunRecord.loggedSteps(dir) >= 3 }

        workers[1].send(SIGTERM)
        assertFinishes(workers[1], seconds: 10)
        XCTAssertLessThan(RunRecord.loggedSteps(dir), steps - 5, "the run was nearly over when the worker left; slow it down")

        assertFinishes(coordinator)
        assertFinishes(ps, seconds: 15)
        assertFinishes(workers[0], seconds: 15)
        XCTAssertEqual(coordinator.events(.workerLeft).filter { $0.field("worker") == .string("worker-1") }.count, 1,
                       "the coordinator must log that worker-1 left\n\(coordinator.summary)")
        let record = try RunRecord.read(dir)
        assertEveryStepOnce(record)
        assertSameRun(record, reference, "2 workers, one stopped by SIGTERM")
    }
}
