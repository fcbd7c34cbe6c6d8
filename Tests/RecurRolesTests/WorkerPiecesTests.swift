// WorkerPiecesTests: the worker gathers weights piece by piece (starting a sync task on piece 0 when
// allowed, handing each later piece to the computation as it arrives), asks for the next version
// before computing, and sends each gradient piece to its slice.
import XCTest
@testable import RecurRoles
import RecurIO
import RecurMath
import RecurModel
import RecurWire

final class WorkerPiecesTests: XCTestCase {
    /// LSTM H = 48, 2 layers: four pieces [0, 11264, 21504, 29696, 42482); with 2 slices, 2 in each.
    func config(psShards: Int = 1) -> RunConfig {
        var c = RunConfig(model: ModelConfig(cell: .lstm, hidden: 48, layers: 2, vocab: 50), batch: 6, bptt: 4,
                          lanesPerShard: 2, totalSteps: 10, seed: 11,
                          optimizer: OptimizerConfig(kind: .adam, learningRate: 0.01), clip: 0.5)
        c.psShards = psShards
        return c
    }

    func worker(_ c: RunConfig, startsEarly: Bool) throws -> WorkerMachine {
        let w = WorkerMachine(runID: 1, name: "w", pid: 1, hostname: "test", threads: 1, startsEarly: startsEarly)
        _ = w.handle(.start)
        let endpoints = (0..<c.psShards).map { "inproc://ps-\($0)" }
        let welcome = WireWelcome(configJSON: try c.json(), psEndpoints: endpoints, heartbeatIntervalMs: 1_000,
                                  leaseTimeoutMs: 30_000, currentVersion: 0)
        XCTAssertEqual(w.handle(.fromCoordinator(WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .welcome(welcome)))),
                       [.configure(c), .connectPS(endpoints: endpoints)])
        return w
    }

    /// A Task as the coordinator's `taskMessage` builds it.
    func task(_ c: RunConfig, shard: Int = 1, version: UInt64, lease: UInt64) -> (WireTask, WireMessage) {
        let n = c.lanesPerShard, t = c.bptt, per = c.model.stateFloatsPerLane
        let task = WireTask(step: version, shard: UInt32(shard), shardCount: UInt32(c.shardCount), firstLane: UInt32(shard * n),
                            laneCount: UInt32(n), steps: UInt32(t), weightVersion: version, leaseID: lease)
        let frames = [try! WireFrame(name: "inputs", shape: [t, n], int32s: (0..<(t * n)).map { Int32($0 % 50) }),
                      try! WireFrame(name: "targets", shape: [t, n], int32s: (0..<(t * n)).map { Int32(($0 + 1) % 50) }),
                      try! WireFrame(name: "state", shape: [n, per], floats: [Float](repeating: 0.25, count: n * per))]
        return (task, WireMessage(runID: 1, sender: "coordinator", sequence: lease, body: .task(task), frames: frames))
    }

    func compute(_ t: (WireTask, WireMessage), slot: Int? = 0) -> WorkerMachine.Action {
        let (shard, state) = try! WorkerMachine.readShard(t.0, t.1, config())
        return .compute(task: t.0, shard: shard, state: state, gradientSlot: slot)
    }

    /// Weights values of `version` over `r`, reproducible.
    func frame(_ r: Range<Int>, version: UInt64) -> WireFrame {
        try! WireFrame(name: "params", shape: [r.count], offset: r.lowerBound,
                       floats: r.map { Float($0 % 97) * 0.01 + Float(version) })
    }

    func weights(_ w: WorkerMachine, _ r: Range<Int>, version: UInt64) -> [WorkerMachine.Action] {
        w.handle(.fromPS(WireMessage(runID: 1, sender: "ps-0", sequence: 1, body: .weights(WireWeights(version: version)),
                                     frames: [frame(r, version: version)])))
    }

    /// The action asking slice `k` for `minVersion` in pieces.
    func ask(_ a: WorkerMachine.Action, slice k: Int = 0, minVersion: UInt64, line: UInt = #line) {
        guard case .toPS(k, let m) = a, case .weightsRequest(let r) = m.body else { return XCTFail("not a request: \(a)", line: line) }
        XCTAssertEqual(r, WireWeightsRequest(minVersion: minVersion, inPieces: true), line: line)
    }

    func testStartsEarlyComputesOnPieceZeroAfterAskingForTheNextVersion() throws {
        let c = config(), p = try c.parameterPieces.ranges
        XCTAssertEqual(p.count, 4)
        // The task first: piece 1 alone does not start it, piece 0 does.
        let w = try worker(c, startsEarly: true), t = task(c, version: 0, lease: 1)
        let first = w.handle(.fromCoordinator(t.1))
        XCTAssertEqual(first.count, 1)
        ask(first[0], minVersion: 0)
        XCTAssertEqual(weights(w, p[1], version: 0), [])
        XCTAssertEqual(w.weightsPiece(1, version: 0), frame(p[1], version: 0))
        XCTAssertNil(w.weightsPiece(0, version: 0))
        let started = weights(w, p[0], version: 0)
        XCTAssertEqual(started.count, 4)
        ask(started[0], minVersion: 1)
        XCTAssertEqual(started[1], compute(t))
        XCTAssertEqual(Array(started[2...]), [.handPiece(0, frame(p[0], version: 0)), .handPiece(1, frame(p[1], version: 0))],
                       "every piece already here goes with the compute")
        XCTAssertNil(w.weightsVersion)
        for k in [3, 2] {  // the rest arrives while computing: each handed over at once, no second compute
            XCTAssertEqual(weights(w, p[k], version: 0), [.handPiece(k, frame(p[k], version: 0))])
        }
        XCTAssertEqual(w.weightsVersion, 0)
        XCTAssertEqual(w.weights, p.map { frame($0, version: 0) })
        XCTAssertTrue(w.mayStillReceive(version: 0))
        XCTAssertEqual(weights(w, p[2], version: 1), [])  // the next version begins
        XCTAssertFalse(w.mayStillReceive(version: 0))
        XCTAssertTrue(w.mayStillReceive(version: 1))
        XCTAssertEqual(w.weightsPiece(2, version: 1), frame(p[2], version: 1))
        XCTAssertNil(w.weightsPiece(0, version: 1))
        // Piece 0 before the task: nothing until the task comes, which then starts at once.
        let v = try worker(c, startsEarly: true)
        XCTAssertEqual(weights(v, p[0], version: 0), [])
        let now = v.handle(.fromCoordinator(t.1))
        XCTAssertEqual(now.count, 3)
        ask(now[0], minVersion: 1)
        XCTAssertEqual(now[1], compute(t))
        XCTAssertEqual(now[2], .handPiece(0, frame(p[0], version: 0)))
    }

    func testWithoutStartingEarlyComputesOnceAllPiecesAreIn() throws {
        let c = config(), p = try c.parameterPieces.ranges
        let w = try worker(c, startsEarly: false), t = task(c, version: 0, lease: 1)
        ask(try XCTUnwrap(w.handle(.fromCoordinator(t.1)).first), minVersion: 0)
        for k in [0, 2, 1] {
            XCTAssertEqual(weights(w, p[k], version: 0), [], "piece \(k) of 4")
            XCTAssertEqual(w.weightsPiece(k, version: 0), frame(p[k], version: 0))
        }
        let started = weights(w, p[3], version: 0)
        XCTAssertEqual(started.count, 6)
        ask(started[0], minVersion: 1)
        XCTAssertEqual(started[1], compute(t))
        XCTAssertEqual(Array(started[2...]), p.indices.map { .handPiece($0, frame(p[$0], version: 0)) })
        XCTAssertEqual(w.weights, p.map { frame($0, version: 0) })
    }

    func testAbandonedFreesTheWorkerForTheNextTask() throws {
        let c = config(), p = try c.parameterPieces.ranges
        let w = try worker(c, startsEarly: true), t0 = task(c, version: 0, lease: 1)
        _ = w.handle(.fromCoordinator(t0.1))
        XCTAssertEqual(weights(w, p[0], version: 0).dropLast().last, compute(t0))
        XCTAssertEqual(w.handle(.pieceNeeded(1)), [], "piece 1 may still come")
        XCTAssertEqual(weights(w, p[0], version: 1), [.handPiece(1, nil)], "busy: no second compute; piece 1 of version 0 will not come")
        XCTAssertFalse(w.mayStillReceive(version: 0), "the rest of version 0 will not come")
        let given = w.handle(.abandoned("piece 1 of version 0 did not come"))
        XCTAssertEqual(given.count, 2)
        guard case .event(let r) = given.first, r.event == .shardAbandoned, r.field("lease") == .int(1) else { return XCTFail("\(given)") }
        guard case .toCoordinator(let m) = given.last, case .reject(let r) = m.body else { return XCTFail("\(given)") }
        XCTAssertEqual(r.leaseID, 1, "the shard is handed back at once")
        let t1 = task(c, version: 1, lease: 2)
        let next = w.handle(.fromCoordinator(t1.1))
        XCTAssertEqual(next.count, 3)
        ask(next[0], minVersion: 2)
        XCTAssertEqual(next[1], compute(t1), "a task on version 1 frees the slot of a shard on version 0")
        XCTAssertEqual(next[2], .handPiece(0, frame(p[0], version: 1)))
    }

    /// Each gradient piece goes to the slice holding it the moment the computation says it is done
    /// (nothing waits for the rest of the shard), with the state only when given.
    func testGradientPieceIsSentToItsSliceAsSoonAsItIsDone() throws {
        let c = config(psShards: 2), p = try c.parameterPieces.ranges, shards = try c.parameterShards
        XCTAssertEqual(shards.ranges[0].upperBound, p[2].lowerBound)
        let w = try worker(c, startsEarly: true), tm = task(c, shard: 2, version: 3, lease: 7)
        XCTAssertEqual(w.handle(.gradientPieceDone(frame(p[0], version: 0), lossSum: 0, tokens: 1, state: nil)).count, 1)
        XCTAssertFalse(w.handle(.gradientPieceDone(frame(p[0], version: 0), lossSum: 0, tokens: 1, state: nil)).contains {
            if case .toPS = $0 { return true }; return false
        }, "no shard in hand: nothing is sent")
        _ = w.handle(.fromCoordinator(tm.1))
        for k in 0..<2 {
            _ = w.handle(.fromPS(WireMessage(runID: 1, sender: "ps-\(k)", sequence: 1, body: .weights(WireWeights(version: 3)),
                                             frames: [frame(shards.ranges[k], version: 3)])))
        }
        XCTAssertTrue(w.isComputing)
        let state = (0..<(c.lanesPerShard * c.model.stateFloatsPerLane)).map { Float($0) / 8 }
        for (k, slice) in [(3, 1), (2, 1), (1, 0), (0, 0)] {  // backpropagation finishes the last piece first
            let g = try WireFrame(name: "gradient", shape: [p[k].count], offset: p[k].lowerBound,
                                  floats: [Float](repeating: Float(k), count: p[k].count))
            let a = w.handle(.gradientPieceDone(g, lossSum: 3.5, tokens: 8, state: k == 0 ? state : nil))
            XCTAssertEqual(a.count, 1)
            guard case .toPS(let to, let m)? = a.first else { XCTFail("\(a)"); continue }
            XCTAssertEqual(to, slice, "piece \(k)")
            XCTAssertEqual(m.body, .gradient(WireGradient(leaseID: 7, step: 3, shard: 2, shardCount: 3, weightVersion: 3,
                                                          tokenCount: 8, lossSum: 3.5)))
            let s = try WireFrame(name: "state", shape: [c.lanesPerShard, c.model.stateFloatsPerLane], floats: state)
            XCTAssertEqual(m.frames, k == 0 ? [g, s] : [g], "piece \(k)")
        }
        let outside = try WireFrame(name: "gradient", shape: [4], offset: shards.count, floats: [1, 2, 3, 4])
        let a = w.handle(.gradientPieceDone(outside, lossSum: 0, tokens: 8, state: nil))
        XCTAssertTrue(a.allSatisfy { if case .log = $0 { return true }; return false }, "\(a)")
    }

    func testWholeSliceFrameStandsForEachOfItsPieces() throws {
        let c = config(psShards: 2), p = try c.parameterPieces.ranges, shards = try c.parameterShards
        let w = try worker(c, startsEarly: false), t = task(c, version: 0, lease: 1)
        let asks = w.handle(.fromCoordinator(t.1))
        XCTAssertEqual(asks.count, 2)
        for (k, a) in asks.enumerated() { ask(a, slice: k, minVersion: 0) }
        let misfit = frame(p[0].lowerBound ..< p[0].upperBound + 1, version: 0)
        let dropped = w.handle(.fromPS(WireMessage(runID: 1, sender: "ps-0", sequence: 1, body: .weights(WireWeights(version: 0)),
                                                   frames: [misfit])))
        XCTAssertTrue(dropped.allSatisfy { if case .log = $0 { return true }; return false }, "\(dropped)")
        XCTAssertNil(w.weightsPiece(0, version: 0))
        XCTAssertEqual(weights(w, shards.ranges[0], version: 0), [])
        let slice0 = frame(shards.ranges[0], version: 0)
        XCTAssertEqual(w.weightsPiece(0, version: 0), slice0)
        XCTAssertEqual(w.weightsPiece(1, version: 0), slice0)
        XCTAssertNil(w.weightsPiece(2, version: 0))
        XCTAssertEqual(weights(w, p[3], version: 0), [])
        let started = weights(w, p[2], version: 0)
        XCTAssertTrue(started.contains(compute(t)))
        XCTAssertEqual(w.weights, [slice0, slice0, frame(p[2], version: 0), frame(p[3], version: 0)])
        // The compute reads each piece out of the slice frame: the same gradient as from four pieces.
        let compute = try WorkerCompute(config: c)
        let (shard, state) = try WorkerMachine.readShard(t.0, t.1, c)
        let outcome = try compute.run(task: t.0, shard: shard, state: state, weights: w.weights!, version: 0)
        let again = try WorkerCompute(config: c).run(task: t.0, shard: shard, state: state,
                                                     weights: p.map { frame($0, version: 0) }, version: 0)
        XCTAssertEqual(outcome.gradients.map(\.offset), shards.ranges.map(\.lowerBound))
        XCTAssertEqual(outcome.gradients, again.gradients)
        XCTAssertEqual(outcome.lossSum.bitPattern, again.lossSum.bitPattern)
        XCTAssertGreaterThan(outcome.tokens, 0)
    }
}
