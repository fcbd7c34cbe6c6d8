// PSPiecesTests: the parameter server takes gradients piece by piece, in any order, once each, and
// updates and sends weights piece by piece — with the bits of whole slices and of the direct update.
import Foundation
import XCTest
@testable import RecurRoles
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

final class PSPiecesTests: XCTestCase {
    typealias Sent = (to: String, m: WireMessage, proceed: Int)
    static let shards = 3

    /// LSTM H = 48, 2 layers: P = 42 482, four pieces [0, 11264, 21504, 29696, P); 3 shards of 2 lanes.
    /// Momentum with a step as large as the weights, so an ulp of the summed gradient shows in them
    /// (Adam's first step, about lr·sign(g), would hide a sum taken in another order).
    func config(psShards: Int = 1) -> RunConfig {
        var c = RunConfig(model: ModelConfig(cell: .lstm, hidden: 48, layers: 2, vocab: 50), batch: 6, bptt: 4,
                          lanesPerShard: 2, totalSteps: 10, seed: 11,
                          optimizer: OptimizerConfig(kind: .momentum, learningRate: 4), clip: 5)
        c.psShards = psShards
        return c
    }

    /// The gradient of `shard` at `step`, reproducible, with a norm the clip acts on.
    func grads(_ c: RunConfig, step: Int, shard: Int) -> [Float] {
        var rng = SplitMix64(seed: UInt64(1_000 * step + shard + 1))
        return (0..<ParameterLayout(c.model).count).map { _ in  // full mantissas, so the order of a sum shows
            Float((rng.nextDouble() * 2 - 1) * Foundation.exp(rng.nextDouble() * 3 - 1.5))
        }
    }

    func tokens(step: Int, shard: Int) -> UInt64 { UInt64(7 + shard + step) }

    func stateFrame(_ c: RunConfig, shard: Int) -> WireFrame {
        let per = c.model.stateFloatsPerLane
        return try! WireFrame(name: "state", shape: [c.lanesPerShard, per],
                              floats: (0..<(c.lanesPerShard * per)).map { Float($0 % 17) * 0.125 - Float(shard) })
    }

    /// The direct computation: shards summed in shard order, `UpdateRule.apply` on the initial weights.
    func reference(_ c: RunConfig, steps: Int) -> [Float] {
        let count = ParameterLayout(c.model).count
        let params = FloatBuffer(count: count), optimizer = Optimizer(config: c.optimizer, count: count)
        ParameterInit.fill(params, config: c.model, seed: c.seed)
        for t in 0..<steps {
            let sum = FloatBuffer(count: count)
            for s in 0..<Self.shards { let g = grads(c, step: t, shard: s); for i in 0..<count { sum[i] += g[i] } }
            let n = (0..<Self.shards).reduce(0) { $0 + Int(tokens(step: t, shard: $1)) }
            UpdateRule.apply(params: params, grads: sum, tokens: n, clip: c.clip, optimizer: optimizer)
        }
        return params.array
    }

    func server(_ c: RunConfig, slice k: Int = 0) throws -> ParameterServerMachine {
        let ps = ParameterServerMachine(runID: 1, name: "ps-\(k)")
        let w = WireWelcome(configJSON: try c.json(), psEndpoints: (0..<c.psShards).map { "inproc://ps-\($0)" },
                            heartbeatIntervalMs: 1_000, leaseTimeoutMs: 30_000, currentVersion: 0, psShard: UInt32(k))
        let a = ps.handle(.message(from: "coordinator", WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .welcome(w))))
        guard case .send("coordinator", let m)? = a.last, case .stepApplied(let s) = m.body, s.version == 0 else {
            throw RoleError.failed("not configured: \(a)")
        }
        return ps
    }

    /// Shard `shard`'s gradient of `step` over `range` (a piece, or the slice), sent from `peer`;
    /// with the state when the range starts at 0, and `poison` values replaced with NaN.
    func feed(_ ps: ParameterServerMachine, _ c: RunConfig, step: Int, shard: Int, range r: Range<Int>, peer: String? = nil,
              tokens n: UInt64? = nil, lease: UInt64? = nil, nan: Bool = false) -> [ParameterServerMachine.Action] {
        var values = Array(grads(c, step: step, shard: shard)[r])
        if nan { values[values.count / 2] = .nan }
        let g = WireGradient(leaseID: lease ?? UInt64(100 * step + shard + 1), step: UInt64(step), shard: UInt32(shard),
                             shardCount: UInt32(Self.shards), weightVersion: UInt64(step),
                             tokenCount: n ?? tokens(step: step, shard: shard), lossSum: 2.5 * Double(shard + 1))
        let frames = [try! WireFrame(name: "gradient", shape: [r.count], offset: r.lowerBound, floats: values)]
            + (r.lowerBound == 0 ? [stateFrame(c, shard: shard)] : [])
        return ps.handle(.message(from: peer ?? "w\(shard)", WireMessage(runID: 1, sender: "w", sequence: 1, body: .gradient(g),
                                                                          frames: frames)))
    }

    /// Every send of `first`, then of each `.proceed` until none is returned (`between` runs before each).
    func drain(_ ps: ParameterServerMachine, _ first: [ParameterServerMachine.Action], between: (Int) -> Void = { _ in }) -> [Sent] {
        var actions = first, sent: [Sent] = [], n = 0
        while true {
            for case .send(let to, let m) in actions { sent.append((to, m, n)) }
            XCTAssertFalse(actions.dropLast().contains { if case .proceed = $0 { return true }; return false },
                           ".proceed is always the last action")
            guard case .proceed? = actions.last else { return sent }
            between(n)
            n += 1
            actions = ps.handle(.proceed(into: nil))
        }
    }

    func pieces(_ c: RunConfig, _ ps: ParameterServerMachine) -> [Range<Int>] { (try! c.parameterPieces).pieces(in: ps.slice.range) }

    /// One step: every (shard, piece) in `order`, then the `.proceed` chain; returns the chain's sends.
    @discardableResult
    func step(_ ps: ParameterServerMachine, _ c: RunConfig, _ t: Int, order: [(Int, Range<Int>)]) -> [Sent] {
        var sent: [Sent] = []
        for (s, r) in order { sent = drain(ps, feed(ps, c, step: t, shard: s, range: r)) }
        XCTAssertEqual(ps.version, UInt64(t + 1), "step \(t) applied")
        return sent
    }

    func shuffled(_ c: RunConfig, _ ps: ParameterServerMachine, seed: UInt64) -> [(Int, Range<Int>)] {
        var rng = SplitMix64(seed: seed)
        return (0..<Self.shards).flatMap { s in pieces(c, ps).map { (s, $0) } }.shuffled(using: &rng)
    }

    func assertBits(_ a: [Float], _ b: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        if let i = a.indices.first(where: { $0 < b.count && a[$0].bitPattern != b[$0].bitPattern }) {
            XCTFail("\(what): first differs at \(i): \(a[i]) vs \(b[i])", line: line)
        }
    }

    func results(_ sent: [Sent]) -> [WireResult] {
        sent.compactMap { if $0.to == "coordinator", case .result(let r) = $0.m.body { return r }; return nil }
    }

    func testPiecesInAnyOrderGiveTheBitsOfWholeSlicesAndOfTheDirectUpdate() throws {
        let c = config(), expected = reference(c, steps: 2)
        let whole = try server(c)
        XCTAssertEqual(pieces(c, whole), [0..<11_264, 11_264..<21_504, 21_504..<29_696, 29_696..<42_482])
        for t in 0..<2 {
            let chain = step(whole, c, t, order: (0..<Self.shards).map { ($0, whole.slice.range) })
            XCTAssertEqual(chain.last?.proceed, 0, "no peer waits: nothing sent during the chain")
        }
        assertBits(whole.params!.array, expected, "whole slices vs direct")
        for seed: UInt64 in [1, 2, 3, 4] {
            let ps = try server(c)
            for t in 0..<2 { step(ps, c, t, order: shuffled(c, ps, seed: seed &* 31 &+ UInt64(t))) }
            assertBits(ps.params!.array, expected, "pieces shuffled with seed \(seed)")
            XCTAssertEqual(ps.counters, ParameterServerMachine.Counters())
        }
    }

    func testRepeatedPieceIsDroppedAndNaNPieceIsRefusedThenTakenFromTheRedealtShard() throws {
        let c = config(), ps = try server(c), p = pieces(c, ps)
        for r in p { _ = feed(ps, c, step: 0, shard: 0, range: r) }
        let repeated = feed(ps, c, step: 0, shard: 0, range: p[1])
        XCTAssertTrue(repeated.allSatisfy { if case .log = $0 { return true }; return false }, "\(repeated)")
        XCTAssertEqual(ps.counters.duplicates, 1)
        var sent: [Sent] = []
        for (i, r) in p.enumerated() { sent += drain(ps, feed(ps, c, step: 0, shard: 1, range: r, nan: i == 2)) }
        XCTAssertEqual(ps.counters.notFinite, 1)
        let rejects = sent.compactMap { s -> (String, WireReject)? in if case .reject(let r) = s.m.body { return (s.to, r) }; return nil }
        XCTAssertEqual(rejects.map(\.0), ["w1", "coordinator"])
        XCTAssertEqual(rejects.map(\.1.code), [.notFinite, .notFinite])
        XCTAssertEqual(rejects.last?.1.leaseID, 2, "the lease goes to the coordinator")
        XCTAssertTrue(results(sent).isEmpty, "shard 1 is not whole")
        // The shard dealt again sends every piece again: only the refused one is new.
        sent = []
        for r in p { sent += drain(ps, feed(ps, c, step: 0, shard: 1, range: r, peer: "w9", lease: 9)) }
        XCTAssertEqual(ps.counters.duplicates, 1 + p.count - 1)
        XCTAssertEqual(results(sent).map(\.leaseID), [9])
        for r in p { _ = drain(ps, feed(ps, c, step: 0, shard: 2, range: r)) }
        XCTAssertEqual(ps.version, 1)
        assertBits(ps.params!.array, reference(c, steps: 1), "after a repeat and a NaN piece")
        XCTAssertEqual(ps.counters.notFinite, 1)
    }

    func testWrongOffsetLengthOrTokenCountIsBadShapeAndChangesNothing() throws {
        let c = config(), ps = try server(c), p = pieces(c, ps), before = ps.params!.array
        func refused(_ a: [ParameterServerMachine.Action], _ n: Int, line: UInt = #line) {
            let codes = a.compactMap { a -> WireRejectCode? in
                if case .send(_, let m) = a, case .reject(let r) = m.body { return r.code }; return nil }
            XCTAssertEqual(codes, [.badShape, .badShape], line: line)
            XCTAssertTrue(a.contains { if case .send("coordinator", let m) = $0, case .reject(let r) = m.body { return r.leaseID == 1 }; return false },
                          "the lease is refused to the coordinator", line: line)
            XCTAssertEqual(ps.counters.badShape, n, line: line)
        }
        func frame(_ r: Range<Int>, at offset: Int) -> [ParameterServerMachine.Action] {
            let g = WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 3, weightVersion: 0, tokenCount: 7, lossSum: 1)
            let f = try! WireFrame(name: "gradient", shape: [r.count], offset: offset, floats: Array(grads(c, step: 0, shard: 0)[r]))
            return ps.handle(.message(from: "w0", WireMessage(runID: 1, sender: "w0", sequence: 1, body: .gradient(g), frames: [f])))
        }
        refused(frame(p[1], at: p[1].lowerBound + 1), 1)  // a piece's length at the wrong offset
        refused(frame(p[1].dropLast(), at: p[1].lowerBound), 2)  // the right offset, one value short
        refused(frame(p[2].lowerBound ..< p[3].upperBound, at: p[2].lowerBound), 3)  // two pieces in one frame
        XCTAssertEqual(feed(ps, c, step: 0, shard: 0, range: p[0]).filter { if case .send = $0 { return true }; return false }.count, 0)
        refused(feed(ps, c, step: 0, shard: 0, range: p[1], tokens: 8), 4)  // disagrees with piece 0's 7 tokens
        assertBits(ps.params!.array, before, "nothing applied")
        XCTAssertEqual(ps.version, 0)
        XCTAssertEqual(ps.serving?.shardPieces[0], [0])
        XCTAssertEqual(ps.serving?.shardTokens[0], 7)
        for s in 0..<Self.shards { for r in p where s > 0 || r != p[0] { _ = drain(ps, feed(ps, c, step: 0, shard: s, range: r)) } }
        assertBits(ps.params!.array, reference(c, steps: 1), "the refused frames were not summed")
        XCTAssertEqual(ps.counters, ParameterServerMachine.Counters(duplicates: 0, stale: 0, badShape: 4, notFinite: 0))
    }

    func testWeightsGoOutPieceByPieceDuringTheChainAndResultsOnlyForWholeShards() throws {
        let c = config(), ps = try server(c), p = pieces(c, ps)
        func ask(_ peer: String, _ r: WireWeightsRequest) -> [ParameterServerMachine.Action] {
            ps.handle(.message(from: peer, WireMessage(runID: 1, sender: peer, sequence: 1, body: .weightsRequest(r))))
        }
        XCTAssertEqual(ask("early", WireWeightsRequest(minVersion: 1, inPieces: true)), [])
        let order = shuffled(c, ps, seed: 5)
        var sent: [Sent] = [], resultAt: [Int: Int] = [:]
        for (i, (s, r)) in order.enumerated() {
            if i == order.count / 2 { XCTAssertEqual(ask("whole", WireWeightsRequest(minVersion: 1)), []) }
            let out = drain(ps, feed(ps, c, step: 0, shard: s, range: r)) { n in
                if n == 1 { XCTAssertEqual(ask("late", WireWeightsRequest(minVersion: 1, inPieces: true)), []) }
            }
            for r in results(out) { XCTAssertNil(resultAt[Int(r.shard)], "one Result per shard"); resultAt[Int(r.shard)] = i }
            sent += out
        }
        for s in 0..<Self.shards {  // each shard's Result comes with its last piece
            XCTAssertEqual(resultAt[s], order.lastIndex { $0.0 == s }, "Result of shard \(s)")
        }
        let rs = results(sent).sorted { $0.shard < $1.shard }
        XCTAssertEqual(rs.map(\.tokenCount), [7, 8, 9])
        XCTAssertEqual(rs.map(\.lossSum), [2.5, 5, 7.5])
        XCTAssertEqual(rs.map(\.leaseID), [1, 2, 3])
        for m in sent.map(\.m) { if case .result(let r) = m.body { XCTAssertEqual(m.frames, [stateFrame(c, shard: Int(r.shard))]) } }
        let finalParams = ps.params!.array
        let applied = sent.firstIndex { if case .stepApplied(let a) = $0.m.body { return a.version == 1 && a.step == 0 }; return false }
        if case .stepApplied(let a)? = applied.map({ sent[$0].m.body }) { XCTAssertGreaterThan(a.gradNorm, c.clip, "the clip acts") }
        let early = sent.indices.filter { sent[$0].to == "early" }
        XCTAssertEqual(early.count, p.count, "one Weights per piece")
        XCTAssertLessThan(try XCTUnwrap(applied), try XCTUnwrap(early.first), "StepApplied first")
        var next = 0
        for (k, i) in early.enumerated() {
            guard case .weights(let w) = sent[i].m.body, sent[i].m.frames.count == 1 else { XCTFail("not weights"); continue }
            let f = sent[i].m.frames[0]
            XCTAssertEqual(w.version, 1)
            XCTAssertEqual(sent[i].proceed, k + 1, "piece \(k) is sent by the chain's \(k + 1)th proceed")
            XCTAssertEqual(f.name, "params")
            XCTAssertEqual(f.offset, next, "in parameter order, tiling the slice")
            next = f.offset + f.elementCount
            assertBits(try f.floats(), Array(finalParams[p[k]]), "piece \(k) sent")
        }
        XCTAssertEqual(next, ps.slice.range.upperBound)
        let whole = sent.indices.filter { sent[$0].to == "whole" }, late = sent.indices.filter { sent[$0].to == "late" }
        XCTAssertEqual(whole.count, 1)
        XCTAssertEqual(late.count, p.count)
        XCTAssertGreaterThan(try XCTUnwrap(whole.first), early.last!, "after the chain")
        XCTAssertGreaterThan(try XCTUnwrap(late.first), early.last!, "after the chain")
        let w = try XCTUnwrap(whole.first.map { sent[$0].m })
        XCTAssertEqual(w.body, .weights(WireWeights(version: 1)))
        XCTAssertEqual(w.frames.map(\.offset), [0])
        assertBits(try w.frames[0].floats(), finalParams, "whole slice sent")
        XCTAssertEqual(late.map { sent[$0].m.frames[0].offset }, p.map(\.lowerBound))
        XCTAssertEqual(ps.serving?.pendingRequests.isEmpty, true)
    }

    func testTwoSlicesWithPiecesGiveTheOneSliceBits() throws {
        let c = config(psShards: 2), shards = try c.parameterShards
        let servers = try [server(c, slice: 0), server(c, slice: 1)]
        XCTAssertEqual(servers.map { pieces(c, $0).count }, [2, 2])
        for t in 0..<2 {
            var partials: [WireNormPartial] = []
            for (k, ps) in servers.enumerated() {
                for (s, r) in shuffled(c, ps, seed: UInt64(10 * t + k)) {
                    let out = drain(ps, feed(ps, c, step: t, shard: s, range: r))
                    for case .normPartial(let n) in out.map(\.m.body) { partials.append(n) }
                    XCTAssertFalse(out.contains { if case .stepApplied = $0.m.body { return true }; return false }, "waits for the norm")
                }
            }
            XCTAssertEqual(partials.map(\.psShard), [0, 1])
            XCTAssertEqual(partials.map(\.step), [UInt64(t), UInt64(t)])
            XCTAssertEqual(partials.map(\.firstBlock), [0, UInt64(shards.firstBlock(1))])
            XCTAssertEqual(partials.map(\.blockSums.count), shards.ranges.map { NormBlocks.blockCount($0.count) })
            let total = NormBlocks.total(partials.flatMap(\.blockSums))
            for ps in servers {
                let m = WireMessage(runID: 1, sender: "coordinator", sequence: 2, body: .normTotal(WireNormTotal(step: UInt64(t), sumOfSquares: total)))
                let out = drain(ps, ps.handle(.message(from: "coordinator", m)))
                XCTAssertTrue(out.contains { if case .stepApplied(let a) = $0.m.body { return a.version == UInt64(t + 1) }; return false })
                XCTAssertEqual(ps.version, UInt64(t + 1))
            }
        }
        assertBits(servers.flatMap { $0.params!.array }, reference(c, steps: 2), "two slices vs the one-slice update")
    }

    func testARequestMadeMidUpdateWaitsForTheNewVersion() throws {
        let c = config(), ps = try server(c)
        let order = (0..<Self.shards).flatMap { s in pieces(c, ps).map { (s, $0) } }
        for (s, r) in order.dropLast() { _ = drain(ps, feed(ps, c, step: 0, shard: s, range: r)) }
        let (s, r) = order.last!
        let request = WireMessage(runID: 1, sender: "late", sequence: 1, body: .weightsRequest(WireWeightsRequest(minVersion: 0)))
        let sent = drain(ps, feed(ps, c, step: 0, shard: s, range: r)) { n in
            // Half the pieces are updated: version 0 is held, but its weights are part old, part new.
            if n == 1 { XCTAssertEqual(ps.handle(.message(from: "late", request)), [], "answered mid-update") }
        }
        let replies = sent.filter { $0.to == "late" }
        XCTAssertEqual(replies.count, 1)
        guard case .weights(let w)? = replies.first?.m.body else { return XCTFail("no weights for the late request") }
        XCTAssertEqual(w.version, 1)
        assertBits(try replies[0].m.frame(named: "params").floats(), ps.params!.array, "the late request's weights")
    }
}
