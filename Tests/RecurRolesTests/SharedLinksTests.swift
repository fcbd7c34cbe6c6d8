// SharedLinksTests: the shared-memory data path between a server and a worker in this process
// (mapped through /proc/<pid>/fd as a peer would): the handshake inside WeightsRequest and Weights,
// weights and gradients by reference with the same bits as over TCP, torn or unknown references
// refused, slots freed only when the server is done with them, and TCP whenever anything is missing.
import Foundation
import RecurIO
import XCTest
@testable import RecurRoles
import RecurModel
import RecurTrain
import RecurWire

final class SharedLinksTests: XCTestCase {
    /// LSTM H = 24, 1 layer, 4 shards of 2 lanes.
    func config(shared: Bool = true) -> RunConfig {
        var c = RunConfig(model: ModelConfig(cell: .lstm, hidden: 24, layers: 1, vocab: 30), batch: 8, bptt: 4,
                          lanesPerShard: 2, totalSteps: 10, seed: 5, optimizer: OptimizerConfig(kind: .sgd, learningRate: 0.1), clip: 5)
        c.sharedMemory = shared
        return c
    }

    func server(_ c: RunConfig) throws -> ParameterServerMachine {
        let ps = ParameterServerMachine(runID: 1, name: "ps")
        let w = WireWelcome(configJSON: try c.json(), psEndpoints: ["inproc://ps"], heartbeatIntervalMs: 1_000,
                            leaseTimeoutMs: 30_000, currentVersion: 0, psShard: 0)
        _ = ps.handle(.message(from: "coordinator", WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .welcome(w))))
        XCTAssertNotNil(ps.params)
        return ps
    }

    /// `m` through real bytes: encoded, then decoded with `resolver`.
    func wire(_ m: WireMessage, _ resolver: WireSharedResolver?) throws -> WireMessage {
        try WireCodec.decode(WireCodec.encode(m), expectedRun: 1, shared: resolver)
    }

    func request(_ v: UInt64) -> WireMessage {
        WireMessage(runID: 1, sender: "w0", sequence: 1, body: .weightsRequest(WireWeightsRequest(minVersion: v, inPieces: true)))
    }

    /// The weights messages the server sends the worker for a request, through the links, as received.
    func weights(_ ps: ParameterServerMachine, _ links: PSSharedLinks, _ worker: WorkerSharedLinks, version: UInt64) throws -> [WireMessage] {
        let sent = try wire(worker.outgoing(request(version), to: 0), nil)
        _ = links.received(sent, from: "w0", machine: ps)
        return try ps.handle(.message(from: "w0", sent)).compactMap { action -> WireMessage? in
            guard case .send("w0", let m) = action else { return nil }
            return try wire(links.outgoing(m, to: "w0"), worker.inbox)
        }
    }

    func gradient(_ c: RunConfig, values: [Float], offset: Int = 0) throws -> WireMessage {
        let g = WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 4, weightVersion: 0, tokenCount: 8, lossSum: 1)
        return WireMessage(runID: 1, sender: "w0", sequence: 2, body: .gradient(g),
                           frames: [try WireFrame(name: "gradient", shape: [values.count], offset: offset, floats: values)])
    }

    func testHandshakeThenWeightsAndGradientsByReferenceWithTheSameBits() throws {
        let c = config(), ps = try server(c), links = PSSharedLinks(), worker = WorkerSharedLinks()
        XCTAssertNil(worker.configure(c, name: "w0"))
        let gradientToken = try XCTUnwrap(worker.outbox?.token)

        // First round: the worker offers its segment; the server maps it and offers its own, inline.
        let first = try weights(ps, links, worker, version: 0)
        XCTAssertFalse(first.isEmpty)
        for m in first {
            guard case .weights(let w) = m.body else { return XCTFail("\(m.body.kind)") }
            XCTAssertEqual(w.attachedToken, gradientToken, "the server says it mapped the worker's segment")
            XCTAssertNotNil(w.weightsSegment)
            XCTAssertTrue(m.frames.allSatisfy { $0.shared == nil }, "the worker has not mapped the server's segment yet")
            _ = worker.received(m, from: 0)
        }
        XCTAssertEqual(worker.accepting, [0])
        let weightsToken = try XCTUnwrap(links.outbox?.token)
        XCTAssertEqual(worker.mapped[0], weightsToken)

        // Second round: weights by reference, read through the worker's mapping, bit for bit.
        let second = try weights(ps, links, worker, version: 0)
        XCTAssertEqual(second.count, first.count)
        for (a, b) in zip(first, second) {
            let f = try XCTUnwrap(b.frames.first)
            XCTAssertEqual(f.shared?.token, weightsToken)
            XCTAssertEqual(f.shared?.generation, 1, "version 0 lives under generation 1")
            XCTAssertEqual(try f.floats().map(\.bitPattern), try a.frames[0].floats().map(\.bitPattern))
            XCTAssertEqual(WireCodec.encode(links.outgoing(b, to: "w0"))[1], [], "no payload on the wire")
        }

        // A gradient piece by reference: the server reads a private copy with the same bits.
        let values = (0..<500).map { Float($0) * 0.37 - 50 }
        let destination = worker.beginShard(slot: 1)
        XCTAssertEqual(worker.outbox?.current?.slot, 1)
        XCTAssertEqual(destination.map { UnsafeRawPointer($0.0) }, UnsafeRawPointer(try XCTUnwrap(worker.outbox).segment.slot(1)),
                       "the shard computes its gradient in the slot its machine chose")
        let out = worker.outgoing(try gradient(c, values: values, offset: 64), to: 0)
        XCTAssertEqual(out.frames[0].shared?.token, gradientToken)
        XCTAssertEqual(out.frames[0].shared?.byteOffset, 64 * 4)
        let got = try wire(out, links.inbox)
        XCTAssertEqual(try got.frames[0].floats().map(\.bitPattern), values.map(\.bitPattern))
        let mapping = try XCTUnwrap(links.inbox.mappings[gradientToken])
        let inSegment = mapping.bytes(slot: 0, offset: 0, count: mapping.slotBytes).map { UInt(bitPattern: $0) } ?? 0
        let base = UInt(bitPattern: try XCTUnwrap(got.frames[0].payload.base))
        XCTAssertFalse(base >= inSegment && base < inSegment + UInt(mapping.slots * mapping.slotBytes), "a copy, not a view")
    }

    func testTheUpdateWritesStraightIntoTheSegmentAndANewCoordinatorGetsANewOne() throws {
        let c = config(), ps = try server(c), links = PSSharedLinks(), worker = WorkerSharedLinks()
        _ = worker.configure(c, name: "w0")
        for m in try weights(ps, links, worker, version: 0) { _ = worker.received(m, from: 0) }
        let segment = try XCTUnwrap(links.outbox?.segment)
        // The worker waits for version 1; every shard's gradient comes in (as whole slices).
        let waiting = try wire(worker.outgoing(request(1), to: 0), nil)
        _ = links.received(waiting, from: "w0", machine: ps)
        XCTAssertTrue(ps.handle(.message(from: "w0", waiting)).isEmpty)
        let count = try XCTUnwrap(ps.params).count
        var queue: [ParameterServerMachine.Action] = []
        for shard in 0..<c.shardCount {
            let g = WireGradient(leaseID: UInt64(shard + 1), step: 0, shard: UInt32(shard), shardCount: UInt32(c.shardCount),
                                 weightVersion: 0, tokenCount: 8, lossSum: 1)
            let values = (0..<count).map { Float(($0 * 7 + shard * 3) % 19) * 0.01 - 0.09 }
            var frames = [try WireFrame(name: "gradient", shape: [count], offset: 0, floats: values)]
            frames.append(try WireFrame(name: "state", shape: [c.lanesPerShard, c.model.stateFloatsPerLane],
                                        floats: [Float](repeating: 0, count: c.lanesPerShard * c.model.stateFloatsPerLane)))
            queue += ps.handle(.message(from: "w\(shard)", WireMessage(runID: 1, sender: "w", sequence: 1, body: .gradient(g), frames: frames)))
        }
        var sent: [WireMessage] = [], raw: [WireMessage] = []
        while !queue.isEmpty {
            switch queue.removeFirst() {
            case .proceed(let piece): queue += ps.handle(.proceed(into: links.weightsBuffer(for: piece)))
            case .send("w0", let m): raw.append(m); sent.append(links.outgoing(m, to: "w0"))
            default: break
            }
        }
        XCTAssertEqual(ps.version, 1)
        XCTAssertEqual(sent.count, ps.pieces.count, "each updated piece goes to the waiting worker")
        let slot = segment.slot(1)  // version 1 lives in slot 1
        for (m, r) in zip(sent, raw) {
            let f = try XCTUnwrap(m.frames.first)
            XCTAssertEqual(f.shared?.slot, 1)
            XCTAssertEqual(f.shared?.generation, 2)
            XCTAssertEqual(r.frames.first?.payload.base, UnsafeRawPointer(slot + (f.offset * 4)), "written there by the update itself")
            let read = try wire(m, worker.inbox).frames[0].floats()
            let params = try XCTUnwrap(ps.params)
            XCTAssertEqual(read.map(\.bitPattern), (f.offset ..< f.offset + f.elementCount).map { params[$0].bitPattern })
        }
        // A new coordinator (a resume: versions repeat) gets a new segment.
        let token = try XCTUnwrap(links.outbox?.token)
        let w = WireWelcome(configJSON: try c.json(), psEndpoints: ["inproc://ps"], heartbeatIntervalMs: 1_000,
                            leaseTimeoutMs: 30_000, currentVersion: 0, psShard: 0, incarnation: 9)
        _ = ps.handle(.message(from: "coordinator", WireMessage(runID: 1, sender: "coordinator", sequence: 2, body: .welcome(w))))
        _ = links.received(waiting, from: "w0", machine: ps)
        XCTAssertNotEqual(links.outbox?.token, token)
        // The worker maps the new segment and lets the old one go.
        let again = try wire(worker.outgoing(request(0), to: 0), nil)
        _ = links.received(again, from: "w0", machine: ps)
        for case .send("w0", let m) in ps.handle(.message(from: "w0", again)) {
            _ = worker.received(try wire(links.outgoing(m, to: "w0"), worker.inbox), from: 0)
        }
        XCTAssertTrue(worker.inbox.isMapped(try XCTUnwrap(links.outbox?.token)))
        XCTAssertFalse(worker.inbox.isMapped(token))
    }

    func testATornGradientIsRefusedAndItsShardDealtAgainAtOnce() throws {
        let c = config(), ps = try server(c), links = PSSharedLinks(), worker = WorkerSharedLinks()
        _ = worker.configure(c, name: "w0")
        for m in try weights(ps, links, worker, version: 0) { _ = worker.received(m, from: 0) }
        let count = try XCTUnwrap(ps.params).count
        let values = [Float](repeating: 1.5, count: count)
        try XCTUnwrap(worker.outbox).beginShard(slot: 0)
        var old = worker.outgoing(try gradient(c, values: values), to: 0)
        old.frames.append(try WireFrame(name: "state", shape: [c.lanesPerShard, c.model.stateFloatsPerLane],
                                        floats: [Float](repeating: 0, count: c.lanesPerShard * c.model.stateFloatsPerLane)))
        let encoded = WireCodec.encode(old)
        // The worker reuses that slot (its machine frees every slot once it holds weights version 1).
        try XCTUnwrap(worker.outbox).beginShard(slot: 0)
        let got = try WireCodec.decode(encoded, expectedRun: 1, shared: links.inbox)
        XCTAssertEqual(links.inbox.torn, 1)
        XCTAssertEqual(links.unreadable(), 1, "the run loop hears of it once")
        XCTAssertEqual(links.unreadable(), 0)
        XCTAssertTrue(try got.frame(named: "gradient").floats().allSatisfy(\.isNaN), "a torn copy is handed on as unusable")
        // The server refuses it and tells the coordinator, with the lease, so the shard is dealt again now.
        let actions = ps.handle(.message(from: "w0", got))
        XCTAssertTrue(actions.contains { action in
            guard case .send("coordinator", let m) = action, case .reject(let r) = m.body else { return false }
            return r.leaseID == 1 && r.code == .notFinite
        }, "\(actions)")
        XCTAssertEqual(ps.counters.notFinite, 1)
        // A token nobody mapped, and a range outside the slot.
        var forged = old
        forged.frames = [try old.frames[0].sharing(WireSharedRef(token: 12345, slot: 0, byteOffset: 0, generation: 1),
                                                   payload: old.frames[0].payload)]
        XCTAssertThrowsError(try wire(forged, links.inbox))
        let slotBytes = try XCTUnwrap(worker.outbox).segment.slotBytes
        forged.frames = [try old.frames[0].sharing(WireSharedRef(token: worker.outbox!.token, slot: 0, byteOffset: UInt64(slotBytes - 16),
                                                                 generation: 1), payload: old.frames[0].payload)]
        XCTAssertThrowsError(try wire(forged, links.inbox)) { error in
            guard case WireError.sharedUnavailable(_, let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("outside"), why)
        }
    }

    func testAShardWithoutASlotTravelsInline() throws {
        let c = config(), worker = WorkerSharedLinks()
        _ = worker.configure(c, name: "w0")
        let outbox = try XCTUnwrap(worker.outbox)
        XCTAssertEqual(outbox.segment.slots, WorkerMachine.gradientSlots(c), "one slot per shard of a step")
        XCTAssertEqual(outbox.segment.slots, 4)
        outbox.beginShard(slot: 3)
        XCTAssertNotNil(outbox.shareGradient(try gradient(c, values: [1, 2]).frames[0]))
        outbox.beginShard(slot: nil)
        XCTAssertNil(outbox.shareGradient(try gradient(c, values: [1, 2]).frames[0]), "no slot chosen: over TCP")
    }

    func testWeightsSlotsFollowVersionsAndAnOverwrittenOneIsRefused() throws {
        let o = try SharedOutbox(name: "w", slots: 2, floats: 16, firstElement: 100)
        let inbox = SharedInbox(mode: .borrow)
        XCTAssertNil(inbox.attach(o.offer))
        func frame(_ v: Float) throws -> WireFrame { try WireFrame(name: "params", shape: [16], offset: 100, floats: (0..<16).map { v + Float($0) }) }
        let v0 = try XCTUnwrap(o.shareWeights(try frame(0), version: 0))
        XCTAssertEqual(v0.shared?.slot, 0)
        let v1 = try XCTUnwrap(o.shareWeights(try frame(10), version: 1))
        XCTAssertEqual(v1.shared?.slot, 1)
        func read(_ f: WireFrame) throws -> [Float] {
            let m = WireMessage(runID: 1, sender: "ps", sequence: 1, body: .weights(WireWeights(version: 0)), frames: [f])
            return try WireCodec.decode(WireCodec.encode(m), expectedRun: 1, shared: inbox).frames[0].floats()
        }
        XCTAssertEqual(try read(v0), try frame(0).floats())
        XCTAssertEqual(try read(v1), try frame(10).floats())
        _ = o.shareWeights(try frame(20), version: 2)  // slot 0 again
        XCTAssertThrowsError(try read(v0), "version 0's slot now holds version 2")
        XCTAssertEqual(inbox.reused, 1, "counted, so the worker asks again")
        XCTAssertNil(o.shareWeights(try WireFrame(name: "params", shape: [4], offset: 99, floats: [1, 2, 3, 4]), version: 2),
                     "a frame outside the slice travels inline")
    }

    func testWithoutSharedMemoryOrAMappableSegmentEverythingStaysOnTCP() throws {
        let off = config(shared: false), ps = try server(off), links = PSSharedLinks(), worker = WorkerSharedLinks()
        XCTAssertNil(worker.configure(off, name: "w0"))
        XCTAssertNil(worker.outbox)
        for m in try weights(ps, links, worker, version: 0) {
            guard case .weights(let w) = m.body else { return XCTFail() }
            XCTAssertNil(w.weightsSegment)
            XCTAssertEqual(w.attachedToken, 0)
        }
        XCTAssertNil(links.outbox)
        // A worker whose offer cannot be mapped (a forged token) gets no acceptance, so its
        // gradients stay inline.
        let c = config(), ps2 = try server(c), links2 = PSSharedLinks(), w2 = WorkerSharedLinks()
        _ = w2.configure(c, name: "w0")
        var r = try XCTUnwrap(w2.outgoing(request(0), to: 0).body.weightsRequestBody)
        r.gradientSegment?.token ^= 1
        let lines = links2.received(WireMessage(runID: 1, sender: "w0", sequence: 1, body: .weightsRequest(r)), from: "w0", machine: ps2)
        XCTAssertEqual(lines.map(\.event), [.dataPath], "\(lines.map(\.message))")
        XCTAssertEqual(lines.first?.field("shared"), .bool(false), "\(lines.map(\.message))")
        for case .send("w0", let m) in ps2.handle(.message(from: "w0", WireMessage(runID: 1, sender: "w0", sequence: 1, body: .weightsRequest(r)))) {
            _ = w2.received(links2.outgoing(m, to: "w0"), from: 0)
        }
        XCTAssertTrue(w2.accepting.isEmpty)
        XCTAssertNil(w2.beginShard(slot: 0), "no server reads the slot: the worker's own buffer")
        XCTAssertNil(w2.outgoing(try gradient(c, values: [1, 2, 3]), to: 0).frames[0].shared)
    }
}

private extension WireBody {
    var weightsRequestBody: WireWeightsRequest? {
        if case .weightsRequest(let r) = self { return r }
        return nil
    }
}
