// MembershipTests: workers joining mid-run or starting before the coordinator are welcomed; bits still match.
import Foundation
import RecurIO
import XCTest

final class MembershipTests: ClusterTestCase {
    private let runID: UInt64 = 7

    func testWorkerJoiningMidRunIsWelcomedAndBitsMatch() throws {
        let flags = Self.slowFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        let (ps, psEndpoint) = try startPS(runID: runID)
        let dir = path("run")
        let coordinator = try startCoordinator(flags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 30)
        let endpoint = try coordinator.endpoint()
        let first = try startWorker("worker-0", coordinator: endpoint, runID: runID)
        try waitUntil("3 logged steps", showing: [coordinator, ps, first]) { RunRecord.loggedSteps(dir) >= 3 }

        let late = try startWorker("worker-1", coordinator: endpoint, runID: runID)
        let joined: [String: JSONValue] = ["worker": "worker-1", "alive": 2, "welcomed": true]
        try waitUntil("worker-1 to be welcomed", showing: [coordinator, late]) {
            !coordinator.events(.workerJoined, where: joined).isEmpty || !coordinator.isRunning
        }
        XCTAssertEqual(coordinator.events(.workerJoined, where: joined).count, 1,
                       "the coordinator must log worker-1 joining with 2 alive\n\(coordinator.summary)")
        XCTAssertTrue(coordinator.isRunning, "the run ended before worker-1 could join; slow it down")

        assertFinishes(coordinator)
        assertFinishes(ps, seconds: 15)
        assertFinishes(first, seconds: 15)
        assertFinishes(late, seconds: 15)
        let workersPerStep = try RunRecord.metricsObjects(dir).compactMap { ($0["workers"] as? NSNumber)?.intValue }
        XCTAssertEqual(workersPerStep.first, 1, "the run starts with one worker")
        XCTAssertTrue(workersPerStep.contains(2), "later steps must count 2 workers: \(workersPerStep)")
        assertSameRun(try RunRecord.read(dir), reference, "1 worker, then a second joining mid-run")
    }

    func testWorkerStartedBeforeTheCoordinatorAndPSStillRuns() throws {
        let flags = Self.tinyFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        let held = try HeldPort()
        let fixed = "tcp://127.0.0.1:\(held.port)"
        let early = try startWorker("worker-early", coordinator: fixed, runID: runID)
        // Its connection reaches the port while no coordinator is there; then the port is freed.
        XCTAssertTrue(held.waitForConnection(seconds: 30), "the early worker never tried to connect\n\(early.summary)")
        held.close()
        XCTAssertTrue(early.isRunning, "a worker must wait for its coordinator, not give up at once\n\(early.summary)")

        let (ps, psEndpoint) = try startPS(runID: runID)
        let dir = path("run")
        let coordinator = try startCoordinator(flags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 30, bind: fixed)
        XCTAssertEqual(try coordinator.endpoint(), fixed)
        assertFinishes(coordinator)
        assertFinishes(ps, seconds: 15)
        assertFinishes(early, seconds: 15)
        XCTAssertEqual(coordinator.events(.workerJoined).compactMap { $0.field("worker")?.text }, ["worker-early"], coordinator.summary)
        assertSameRun(try RunRecord.read(dir), reference, "a worker started before the coordinator")
    }
}
