// ShardHandBackTests: a worker computes on the weights its task was started with even when newer
// ones arrive first (async), and a shard it gives up goes back to the coordinator at once, not when
// its lease expires.
import XCTest
@testable import RecurRoles
import RecurData
import RecurModel
import RecurTrain
import RecurWire

final class ShardHandBackTests: XCTestCase {
    let asyncConfig: RunConfig = {
        var c = RunConfig(model: ModelConfig(cell: .lstm, hidden: 8, layers: 1, vocab: 20), batch: 4, bptt: 3,
                          lanesPerShard: 2, totalSteps: 5, seed: 1, optimizer: OptimizerConfig(kind: .sgd, learningRate: 0.1), clip: 0)
        c.mode = .async
        c.staleness = 2
        return c
    }()

    func worker(_ c: RunConfig) throws -> WorkerMachine {
        let w = WorkerMachine(runID: 1, name: "w", pid: 1, hostname: "test", threads: 1)
        _ = w.handle(.start)
        _ = w.handle(.fromCoordinator(WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .welcome(WireWelcome(
            configJSON: try c.json(), psEndpoints: ["inproc://ps"], heartbeatIntervalMs: 1_000, leaseTimeoutMs: 30_000,
            currentVersion: 0)))))
        return w
    }

    func weights(_ c: RunConfig, version: UInt64) throws -> WireMessage {
        let n = try c.parameterShards.ranges[0].count
        return WireMessage(runID: 1, sender: "ps-0", sequence: version, body: .weights(WireWeights(version: version)),
                           frames: [try WireFrame(name: "params", shape: [n], floats: [Float](repeating: Float(version), count: n))])
    }

    func task(_ c: RunConfig, version: UInt64, lease: UInt64) throws -> WireMessage {
        let n = c.lanesPerShard, t = c.bptt
        return WireMessage(runID: 1, sender: "coordinator", sequence: lease, body: .task(WireTask(
            step: 0, shard: 0, shardCount: UInt32(c.shardCount), firstLane: 0, laneCount: UInt32(n), steps: UInt32(t),
            weightVersion: version, leaseID: lease)), frames: [
                try WireFrame(name: "inputs", shape: [t, n], int32s: [Int32](repeating: 1, count: t * n)),
                try WireFrame(name: "targets", shape: [t, n], int32s: [Int32](repeating: 2, count: t * n)),
                try WireFrame(name: "state", shape: [n, c.model.stateFloatsPerLane],
                              floats: [Float](repeating: 0, count: n * c.model.stateFloatsPerLane))])
    }

    func testAsyncTaskKeepsItsWeightsWhenANewerVersionArrivesFirst() throws {
        let c = asyncConfig, w = try worker(c)
        _ = w.handle(.fromPS(try weights(c, version: 1)))
        let started = w.handle(.fromCoordinator(try task(c, version: 1, lease: 7)))
        guard case .compute(let t, _, _, _)? = started.first(where: { if case .compute = $0 { return true }; return false })
        else { return XCTFail("no compute: \(started)") }
        XCTAssertEqual(t.weightVersion, 1)
        // The computation is handed the task's own weights at once, so a newer version landing
        // before it reads them changes nothing.
        guard case .handPiece(0, let f)? = started.last else { return XCTFail("no piece handed: \(started)") }
        XCTAssertEqual(try f?.floats().first, 1)
        XCTAssertEqual(w.handle(.fromPS(try weights(c, version: 2))), [])
        XCTAssertEqual(w.weightsVersion, 2)
        XCTAssertEqual(w.handle(.pieceNeeded(0)), [], "piece 0 was handed already")
        _ = w.handle(.computed(WorkerMachine.ShardOutcome(task: t, gradients: [], state: [], lossSum: 0, tokens: 1, computeMs: 1)))
        XCTAssertFalse(w.isComputing)
    }

    /// A weights answer that could not be read (its shared-memory slot already held a newer
    /// version) is asked for again; without that, the request counts as still waiting and the
    /// task waits until its lease expires.
    func testWeightsLostBeforeTheyWereReadAreAskedForAgain() throws {
        let c = asyncConfig, w = try worker(c)
        let first = w.handle(.fromCoordinator(try task(c, version: 3, lease: 9)))
        XCTAssertEqual(requests(first), [3], "the task asks for its weights")
        XCTAssertEqual(requests(w.handle(.fromCoordinator(try task(c, version: 3, lease: 9)))), [], "asked once while waiting")
        let again = w.handle(.weightsLost("weights from ps 0 were replaced before they were read"))
        XCTAssertEqual(requests(again), [3], "the lost answer is asked for again")
        // Once they come, the task computes.
        XCTAssertTrue(w.handle(.fromPS(try weights(c, version: 5))).contains { if case .compute = $0 { return true }; return false })
    }

    func requests(_ actions: [WorkerMachine.Action]) -> [UInt64] {
        actions.compactMap { a in
            guard case .toPS(_, let m) = a, case .weightsRequest(let r) = m.body else { return nil }
            return r.minVersion
        }
    }

    func testAnAbandonedShardIsHandedBackToTheCoordinator() throws {
        let c = asyncConfig, w = try worker(c)
        _ = w.handle(.fromPS(try weights(c, version: 1)))
        _ = w.handle(.fromCoordinator(try task(c, version: 1, lease: 9)))
        let actions = w.handle(.abandoned("piece 0 did not come"))
        let refusals = actions.compactMap { a -> WireReject? in
            if case .toCoordinator(let m) = a, case .reject(let r) = m.body { return r }
            return nil
        }
        XCTAssertEqual(refusals.map(\.leaseID), [9])
        XCTAssertTrue(refusals[0].detail.contains("piece 0 did not come"))
        XCTAssertNil(w.pending)
    }

    func coordinator() throws -> CoordinatorMachine { try CoordinatorStopTests.oneSlice() }

    func leases(_ actions: [CoordinatorMachine.Action]) -> [(worker: String, shard: UInt32, lease: UInt64)] {
        actions.compactMap { a in
            if case .toWorker(let id, let m) = a, case .task(let t) = m.body { return (id, t.shard, t.leaseID) }
            return nil
        }
    }

    func testTheCoordinatorDealsAHandedBackShardAtOnce() throws {
        let c = try coordinator()
        _ = c.handle(.start(nowMs: 0))
        _ = c.handle(.fromPS(0, WireMessage(runID: 1, sender: "ps-0", sequence: 1, body: .stepApplied(WireStepApplied(
            version: 0, step: 0, gradNorm: 0, staleness: 0))), nowMs: 1))
        func from(_ id: String, _ body: WireBody) -> WireMessage { WireMessage(runID: 1, sender: id, sequence: 1, body: body) }
        let first = leases(c.handle(.fromWorker(id: "w0", from("w0", .hello(WireHello(workerID: "w0", pid: 1, hostname: "h", threads: 1))), nowMs: 2)))
        let second = leases(c.handle(.fromWorker(id: "w1", from("w1", .hello(WireHello(workerID: "w1", pid: 2, hostname: "h", threads: 1))), nowMs: 3)))
        XCTAssertEqual(first.map(\.shard) + second.map(\.shard), [0, 1])
        let lease = first[0].lease
        // A refusal of a lease the worker does not hold changes nothing.
        XCTAssertTrue(leases(c.handle(.fromWorker(id: "w1", from("w1", .reject(WireReject(code: .unspecified, detail: "x", leaseID: lease))), nowMs: 4))).isEmpty)
        let again = leases(c.handle(.fromWorker(id: "w0", from("w0", .reject(WireReject(code: .unspecified, detail: "gave up", leaseID: lease))), nowMs: 5)))
        XCTAssertEqual(again.count, 1, "dealt again at once")
        XCTAssertEqual(again.first?.shard, 0)
        XCTAssertEqual(again.first?.worker, "w0", "to the worker now idle")
        XCTAssertNotEqual(again.first?.lease, lease, "under a new lease")
        XCTAssertTrue(leases(c.handle(.fromWorker(id: "w0", from("w0", .reject(WireReject(code: .unspecified, detail: "late", leaseID: lease))), nowMs: 6))).isEmpty,
                      "the old lease is not handed back twice")
    }

    func testStopBeforeAnyWelcomeExitsWithoutALeave() throws {
        // The coordinator may already be gone; a queued Leave would hold the exit for the linger.
        let lone = WorkerMachine(runID: 1, name: "late", pid: 1, hostname: "test", threads: 1)
        _ = lone.handle(.start)
        XCTAssertEqual(lone.handle(.stop), [.exit])
        // A welcomed worker says goodbye, handing back the task it holds.
        let c = asyncConfig, w = try worker(c)
        _ = w.handle(.fromCoordinator(try task(c, version: 3, lease: 5)))  // waits for weights: not busy
        let actions = w.handle(.stop)
        XCTAssertEqual(actions.last, .exit)
        guard case .toCoordinator(let m)? = actions.first, case .leave(let l) = m.body else { return XCTFail("\(actions)") }
        XCTAssertEqual(l.leaseID, 5)
    }
}
