// PeerSizeLimitTests: sizes and offsets a peer declares are checked against the run's parameter
// layout before they drive arithmetic, a copy or an allocation — a gradient or weights frame whose
// offset overflows, weights larger than P, and a shared-memory gradient larger than the slice.
import XCTest
@testable import RecurRoles
import RecurIO
import RecurModel
import RecurWire

extension PSPiecesTests {
    func testAGradientWhoseOffsetOverflowsIsBadShapeNotACrash() throws {
        let c = config(), ps = try server(c), before = ps.params!.array
        let g = WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 3, weightVersion: 0, tokenCount: 7, lossSum: 1)
        for (n, offset) in [(4, Int.max - 1), (1, Int.max)] {
            let f = try WireFrame(name: "gradient", shape: [n], offset: offset, floats: [Float](repeating: 1, count: n))
            let a = ps.handle(.message(from: "w0", WireMessage(runID: 1, sender: "w0", sequence: 1, body: .gradient(g), frames: [f])))
            let codes = a.compactMap { a -> WireRejectCode? in
                if case .send(_, let m) = a, case .reject(let r) = m.body { return r.code }; return nil }
            XCTAssertEqual(codes, [.badShape, .badShape], "offset \(offset)")
        }
        XCTAssertEqual(ps.counters.badShape, 2)
        XCTAssertEqual(ps.params!.array, before, "nothing applied")
    }
}

extension WorkerPiecesTests {
    func testWeightsWhoseOffsetOverflowsOrThatExceedPAreRefused() throws {
        let c = config(), w = try worker(c, startsEarly: false)
        let p = try c.parameterShards.count
        func send(_ f: WireFrame) -> [WorkerMachine.Action] {
            w.handle(.fromPS(WireMessage(runID: 1, sender: "ps-0", sequence: 1, body: .weights(WireWeights(version: 1)), frames: [f])))
        }
        _ = send(try WireFrame(name: "params", shape: [3], offset: Int.max - 1, floats: [1, 2, 3]))
        XCTAssertEqual(w.refusedWeights, 1)
        _ = send(try WireFrame(name: "params", shape: [p + 8], offset: 0, floats: [Float](repeating: 0.5, count: p + 8)))
        XCTAssertEqual(w.refusedWeights, 2)
        XCTAssertNil(w.weightsVersion, "nothing of either message is held")
        XCTAssertNil(w.weightsPiece(0, version: 1))
    }
}

extension SharedLinksTests {
    func testASharedGradientLargerThanTheSliceIsRefusedBeforeItIsCopied() throws {
        var c = config()
        c.psShards = 2  // the worker's gradient slots hold all of P; server 0's slice is about half
        let ps = try server(c), links = PSSharedLinks(), worker = WorkerSharedLinks()
        XCTAssertNil(worker.configure(c, name: "w0"))
        _ = try weights(ps, links, worker, version: 0)  // the server maps the worker's segment
        let token = try XCTUnwrap(worker.outbox?.token)
        XCTAssertTrue(links.inbox.isMapped(token))
        let p = try c.parameterShards.count, slice = ps.slice.range.count
        XCTAssertLessThan(slice, p)
        XCTAssertEqual(links.inbox.maxPayloadBytes, slice * 4)

        // All of P, by reference into slot 0 (inside the segment, so only the layout can refuse it).
        let whole = try WireFrame(name: "gradient", shape: [p], floats: [Float](repeating: 0, count: p))
        let ref = WireSharedRef(token: token, slot: 0, byteOffset: 0, generation: 0)
        var m = try gradient(c, values: [0])
        m.frames = [try whole.sharing(ref, payload: whole.payload)]
        XCTAssertThrowsError(try wire(m, links.inbox)) { error in
            guard case WireError.sharedUnavailable = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(links.inbox.oversized, 1)
        XCTAssertEqual(links.inbox.torn, 0, "nothing was copied")
    }
}
