// WorkerPiecesTests+Events: the worker machine's events and actions around a shard in hand — a piece
// needed before it arrives is handed over on arrival, one that does not come is refused after the
// servers' silence, a gradient slot still read is not reused, heartbeats and the coordinator's
// silence — and the compute thread that reports them.
import Foundation
import XCTest
@testable import RecurRoles
import RecurModel
import RecurWire

extension WorkerPiecesTests {

    /// A worker computing `task(version: 0)` from piece 0 alone (pieces 1...3 not here).
    func computing() throws -> (WorkerMachine, RunConfig, [Range<Int>]) {
        let c = config(), p = try c.parameterPieces.ranges
        let w = try worker(c, startsEarly: true)
        _ = w.handle(.tick(nowMs: 1_000))
        _ = w.handle(.fromCoordinator(task(c, version: 0, lease: 1).1))
        _ = weights(w, p[0], version: 0)
        XCTAssertTrue(w.isComputing)
        return (w, c, p)
    }

    func testAPieceNeededBeforeItArrivesIsHandedOverOnArrival() throws {
        let (w, _, p) = try computing()
        XCTAssertEqual(w.handle(.pieceNeeded(2)), [], "not here yet: the computation waits")
        XCTAssertEqual(w.handle(.pieceNeeded(0)), [], "piece 0 went with the compute")
        XCTAssertEqual(weights(w, p[2], version: 0), [.handPiece(2, frame(p[2], version: 0))])
        XCTAssertEqual(w.handle(.pieceNeeded(2)), [], "handed once")
        XCTAssertEqual(weights(w, p[1], version: 0), [.handPiece(1, frame(p[1], version: 0))],
                       "a piece not yet needed is handed as soon as it is here")
    }

    func testAPieceThatDoesNotComeIsRefusedAfterTheServersSilence() throws {
        let (w, _, p) = try computing()
        let limit = WorkerMachine.pieceTimeoutMs
        XCTAssertEqual(w.handle(.tick(nowMs: 1_500)), [])
        XCTAssertEqual(w.handle(.pieceNeeded(3)), [])
        XCTAssertEqual(withoutBeats(w.handle(.tick(nowMs: 1_500 + limit))), [], "not yet")
        // A server speaks (another piece): the wait starts again.
        XCTAssertEqual(weights(w, p[1], version: 0), [.handPiece(1, frame(p[1], version: 0))])
        XCTAssertEqual(withoutBeats(w.handle(.tick(nowMs: 1_501 + limit))), [])
        XCTAssertEqual(withoutBeats(w.handle(.tick(nowMs: 1_501 + 2 * limit))), [.handPiece(3, nil)], "given up")
        XCTAssertEqual(withoutBeats(w.handle(.tick(nowMs: 1_502 + 3 * limit))), [], "refused once")
    }

    func heartbeat(_ now: Int) -> WireMessage {
        WireMessage(runID: 1, sender: "w", sequence: 0, body: .heartbeat(WireHeartbeat(nowMs: UInt64(now), state: "idle")))
    }

    /// `actions` without the heartbeats a tick may bring.
    func withoutBeats(_ actions: [WorkerMachine.Action]) -> [WorkerMachine.Action] {
        actions.filter { if case .heartbeat = $0 { return false }; return true }
    }

    func testHeartbeatsAtTheIntervalAndTheCoordinatorsSilenceFails() throws {
        let c = config(), w = try worker(c, startsEarly: true)
        XCTAssertEqual(w.handle(.tick(nowMs: 10_000)), [], "the first tick starts the clock")
        XCTAssertEqual(w.handle(.tick(nowMs: 10_999)), [])
        XCTAssertEqual(w.handle(.tick(nowMs: 11_000)), [.heartbeat(heartbeat(11_000))], "welcomed with 1 s between heartbeats")
        XCTAssertEqual(w.handle(.tick(nowMs: 11_500)), [])
        _ = w.handle(.fromCoordinator(WireMessage(runID: 1, sender: "coordinator", sequence: 9, body: .heartbeat(WireHeartbeat(nowMs: 1, state: "running")))))
        XCTAssertFalse(w.handle(.tick(nowMs: 11_500 + w.peerTimeoutMs)).contains { if case .fail = $0 { return true }; return false })
        let late = w.handle(.tick(nowMs: 11_501 + w.peerTimeoutMs))
        XCTAssertEqual(late, [.fail("no word from the coordinator for \(w.peerTimeoutMs) ms")])
        XCTAssertEqual(w.handle(.tick(nowMs: 99_999_999)), [], "gone")
    }

    /// Sync: a slot whose shard was computed on weights v is still read by the server until the
    /// worker holds a newer version; such a slot is refused (the shard uses a private buffer).
    func testAGradientSlotStillReadIsRefusedUntilNewerWeightsFreeIt() throws {
        let c = config(), p = try c.parameterPieces.ranges
        XCTAssertEqual(WorkerMachine.gradientSlots(c), 3)
        let w = try worker(c, startsEarly: false)
        for k in p.indices { _ = weights(w, p[k], version: 0) }
        var slots: [Int?] = []
        for lease in 1...4 {  // four shards on version 0 (one dealt again): three slots
            let t = task(c, shard: (lease - 1) % 3, version: 0, lease: UInt64(lease))
            for case .compute(_, _, _, let slot) in w.handle(.fromCoordinator(t.1)) { slots.append(slot) }
            _ = w.handle(.computed(WorkerMachine.ShardOutcome(task: t.0, gradients: [], state: [], lossSum: 0, tokens: 1, computeMs: 1)))
        }
        XCTAssertEqual(slots, [0, 1, 2, nil])
        for k in p.indices { _ = weights(w, p[k], version: 1) }
        let t = task(c, version: 1, lease: 9)
        XCTAssertTrue(w.handle(.fromCoordinator(t.1)).contains(compute(t, slot: 0)), "weights 1 free the slots of step 0")
        // Without shared memory there are no slots.
        var plain = c
        plain.sharedMemory = false
        let v = try worker(plain, startsEarly: false)
        for k in p.indices { _ = weights(v, p[k], version: 0) }
        let u = task(plain, version: 0, lease: 1)
        XCTAssertTrue(v.handle(.fromCoordinator(u.1)).contains(compute(u, slot: nil)))
    }

    /// Async with staleness 2: a shard on weights 4 holds its slot until the worker holds weights 7.
    func testAsyncSlotsWaitForTheStalenessLimit() throws {
        var c = config()
        c.mode = .async
        c.staleness = 2
        let p = try c.parameterPieces.ranges, w = try worker(c, startsEarly: false)
        var slots: [Int?] = []
        for (version, lease) in [(4, 1), (4, 2), (4, 3), (6, 4), (7, 5)] as [(UInt64, UInt64)] {
            for k in p.indices { _ = weights(w, p[k], version: version) }
            let t = task(c, version: version, lease: lease)
            for case .compute(_, _, _, let slot) in w.handle(.fromCoordinator(t.1)) { slots.append(slot) }
            _ = w.handle(.computed(WorkerMachine.ShardOutcome(task: t.0, gradients: [], state: [], lossSum: 0, tokens: 1, computeMs: 1)))
        }
        XCTAssertEqual(slots, [0, 1, 2, nil, 0])
    }

    /// The compute thread asks for the pieces it lacks, reports every gradient piece before the
    /// outcome, and gives the same bits as computing in one go.
    func testTheComputeThreadReportsPiecesInOrderWithTheSameBits() throws {
        let c = config(), p = try c.parameterPieces.ranges
        let t = task(c, version: 0, lease: 1)
        let (shard, state) = try WorkerMachine.readShard(t.0, t.1, c)
        let weights = p.map { frame($0, version: 0) }
        var direct: [WireFrame] = []
        let expected = try WorkerCompute(config: c).run(task: t.0, shard: shard, state: state, weights: weights,
                                                        version: 0, send: { f, _, _ in direct.append(f) })
        let thread = WorkerComputeThread()
        thread.start(try WorkerCompute(config: c), task: t.0, shard: shard, state: state)
        thread.hand(0, weights[0])
        var events: [WorkerMachine.Event] = [], asked: [Int] = []
        while true {
            XCTAssertTrue(thread.wait(timeout: 30), "the computation must report")
            let got = thread.take()
            events += got
            for case .pieceNeeded(let k) in got {
                asked.append(k)
                thread.hand(k, weights[k])
            }
            if case .computed? = events.last { break }
        }
        XCTAssertEqual(asked.filter { $0 != 0 }, [1, 2, 3], "each piece asked for as the forward pass reaches it")
        XCTAssertLessThanOrEqual(asked.count, 4, "piece 0 may be asked for before it is handed, once")
        var sent: [WireFrame] = []
        for case .gradientPieceDone(let f, _, _, _) in events { sent.append(f) }
        XCTAssertEqual(sent.map { try! $0.floats().map(\.bitPattern) }, direct.map { try! $0.floats().map(\.bitPattern) })
        guard case .computed(let o)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(o.lossSum.bitPattern, expected.lossSum.bitPattern)
        XCTAssertEqual(o.state.map(\.bitPattern), expected.state.map(\.bitPattern))
        XCTAssertFalse(thread.isRunning)
        // A piece refused: the shard is given up.
        thread.start(try WorkerCompute(config: c), task: t.0, shard: shard, state: state)
        thread.hand(0, nil)
        XCTAssertTrue(thread.wait(timeout: 30))
        var last: WorkerMachine.Event?
        while thread.isRunning || last == nil {
            _ = thread.wait(timeout: 1)
            if let e = thread.take().last { last = e }
        }
        guard case .abandoned? = last else { return XCTFail("\(String(describing: last))") }
    }

    /// A worker leaving mid-shard waits for the computation to end: a computation still in BLAS
    /// when the process exits crashes in OpenBLAS's torn-down tables (ThreadSanitizer's SIGSEGV in
    /// `cblas_sgemm` from workers dismissed mid-shard).
    func testCancelAndWaitReturnsOnlyAfterTheShardsLastEvent() throws {
        let c = config(), p = try c.parameterPieces.ranges
        let t = task(c, version: 0, lease: 1)
        let (shard, state) = try WorkerMachine.readShard(t.0, t.1, c)
        let thread = WorkerComputeThread()
        thread.start(try WorkerCompute(config: c), task: t.0, shard: shard, state: state)
        for k in p.indices { thread.hand(k, frame(p[k], version: 0)) }
        XCTAssertTrue(thread.cancelAndWait(seconds: 30), "the computation must end")
        XCTAssertFalse(thread.isRunning)
        switch thread.take().last {
        case .computed?, .abandoned?: break
        case let other: XCTFail("the shard's last event must be posted before cancelAndWait returns: \(String(describing: other))")
        }
        XCTAssertTrue(thread.cancelAndWait(seconds: 0), "an idle thread does not wait")
    }
}
