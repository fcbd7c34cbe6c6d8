// GradientStreamTests: lossAndGradient's `finished` ranges are final when reported, and the passes read only what `needs` announced.
@testable import RecurModel
import RecurMath
import XCTest

final class GradientStreamTests: XCTestCase {
    /// One chunk to stream: a model, its lanes and steps, the workspace's step capacity (when it
    /// differs from the chunk's), and whether the first layer must read token ids (V < T·N).
    struct Stream {
        var label: String
        var config: ModelConfig
        var lanes: Int
        var steps: Int
        var wsSteps: Int?
        var dropout: DropoutKey?
        var binary: Bool
        var tokens: Bool
        /// Whether some `ParameterPieces` piece must be final before backpropagation ends.
        var early: Bool
        var seed: UInt64

        init(_ label: String, _ config: ModelConfig, lanes: Int, steps: Int, wsSteps: Int? = nil,
             dropout: DropoutKey? = nil, binary: Bool = false, tokens: Bool, early: Bool = false, seed: UInt64) {
            self.label = label
            self.config = config
            self.lanes = lanes
            self.steps = steps
            self.wsSteps = wsSteps
            self.dropout = dropout
            self.binary = binary
            self.tokens = tokens
            self.early = early
            self.seed = seed
        }
    }

    private static let key = DropoutKey(seed: 31337, step: 9, firstLane: 5)

    private static func cfg(_ cell: CellKind, _ activation: Activation = .tanh, h: Int = 7, l: Int, e: Int = 5, v: Int,
                            peephole: Bool = false, dropout: Float = 0) -> ModelConfig {
        ModelConfig(cell: cell, activation: activation, hidden: h, layers: l, embed: e, vocab: v, peephole: peephole,
                    dropout: dropout)
    }

    /// Tiny models read tokens with V = 6 < T·N = 12 and embed densely with V ≥ T·N = 6.
    private static let cases: [Stream] = [
        Stream("lstm L1 tokens", cfg(.lstm, l: 1, v: 6), lanes: 3, steps: 4, tokens: true, seed: 1),
        Stream("lstm L1 dense", cfg(.lstm, l: 1, v: 16), lanes: 3, steps: 4, tokens: false, seed: 2),
        Stream("lstm L2 tokens", cfg(.lstm, l: 2, v: 6), lanes: 3, steps: 4, tokens: true, seed: 3),
        Stream("lstm L3 dense", cfg(.lstm, l: 3, v: 20), lanes: 2, steps: 3, tokens: false, seed: 4),
        Stream("gru L2 tokens", cfg(.gru, l: 2, v: 6), lanes: 3, steps: 4, tokens: true, seed: 5),
        Stream("gru L3 dense E>H", cfg(.gru, h: 6, l: 3, e: 9, v: 15), lanes: 2, steps: 3, tokens: false, seed: 6),
        Stream("gru-min L1 dense", cfg(.gruMin, l: 1, v: 20), lanes: 2, steps: 3, tokens: false, seed: 7),
        Stream("gru-min L3 tokens", cfg(.gruMin, l: 3, v: 6), lanes: 3, steps: 4, tokens: true, seed: 8),
        Stream("rnn tanh L2 dense binary", cfg(.rnn, l: 2, v: 20), lanes: 2, steps: 3, binary: true, tokens: false, seed: 9),
        Stream("rnn relu L3 tokens", cfg(.rnn, .relu, l: 3, v: 6), lanes: 3, steps: 4, tokens: true, seed: 10),
        Stream("lstm-peephole L2 tokens", cfg(.lstm, l: 2, v: 6, peephole: true), lanes: 3, steps: 4, tokens: true, seed: 11),
        Stream("lstm-peephole L3 dense", cfg(.lstm, l: 3, v: 20, peephole: true), lanes: 2, steps: 3, tokens: false, seed: 12),
        Stream("lstm L3 dropout tokens", cfg(.lstm, l: 3, v: 6, dropout: 0.3), lanes: 3, steps: 4, dropout: key,
               tokens: true, seed: 13),
        Stream("gru L2 dropout dense", cfg(.gru, l: 2, v: 20, dropout: 0.5), lanes: 2, steps: 3, dropout: key,
               tokens: false, seed: 14),
        // The workspace has a token table (V = 10 < 4·3) but this 2-step chunk embeds densely (10 ≥ 2·3).
        Stream("lstm L2 short chunk dense", cfg(.lstm, l: 2, v: 10), lanes: 3, steps: 2, wsSteps: 4, tokens: false, seed: 15),
        // Several norm blocks, so ParameterPieces has pieces to finish early.
        Stream("lstm L2 H32 dense", cfg(.lstm, h: 32, l: 2, e: 32, v: 50), lanes: 2, steps: 3, tokens: false,
               early: true, seed: 16),
        Stream("gru L3 H32 tokens", cfg(.gru, h: 32, l: 3, e: 24, v: 40), lanes: 8, steps: 6, tokens: true,
               early: true, seed: 17),
        // 17 lanes: two lane blocks in the time loop.
        Stream("gru-min L2 H40 dropout tokens", cfg(.gruMin, h: 40, l: 2, e: 40, v: 30, dropout: 0.2), lanes: 17, steps: 3,
               dropout: key, tokens: true, early: true, seed: 18),
        Stream("lstm-peephole L2 H20 tokens", cfg(.lstm, h: 20, l: 2, e: 11, v: 12, peephole: true), lanes: 16, steps: 2,
               tokens: true, seed: 19),
    ]

    private func makeCase(_ s: Stream) -> ModelCase {
        ModelCase.random(s.config, lanes: s.lanes, steps: s.steps, seed: 0x5EED + s.seed, binary: s.binary, dropout: s.dropout)
    }

    private func withTargets<R>(_ c: ModelCase, _ body: (LossTargets) -> R) -> R {
        if let b = c.binary { return b.withUnsafeBufferPointer { body(.binary($0.baseAddress!)) } }
        return c.targets.withUnsafeBufferPointer { body(.classes($0.baseAddress!)) }
    }

    /// First index where two float vectors differ in bits, or nil when they are identical.
    private func firstBitDifference(_ a: [Float], _ b: [Float]) -> Int? {
        if a.count != b.count { return min(a.count, b.count) }
        return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
    }

    private func assertBits(_ got: [Float], _ want: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        if let i = firstBitDifference(got, want) {
            let g = i < got.count ? "\(got[i])" : "none", w = i < want.count ? "\(want[i])" : "none"
            XCTFail("\(what): differs at [\(i)] (got \(g), want \(w); counts \(got.count)/\(want.count))", file: file, line: line)
        }
    }

    /// The end of what layer k reads: the first parameter of layer k + 1, or of the head.
    private func layerEnd(_ layout: ParameterLayout, _ k: Int, layers: Int) -> Int {
        k + 1 < layers ? layout.offset("rnn.weight_ih_l\(k + 1)") : layout.offset("head.weight")
    }

    // MARK: finished

    func testFinishedRangesAreFinal() {
        for s in Self.cases { checkFinished(s) }
    }

    private func checkFinished(_ s: Stream) {
        let c = makeCase(s), layout = c.layout, p = layout.count, layers = s.config.layers, tag = s.label
        let ws = Workspace(config: s.config, steps: s.wsSteps ?? s.steps, lanes: s.lanes)
        XCTAssertEqual(ws.readsTokens(steps: s.steps), s.tokens, "\(tag): whether the first layer reads tokens")
        var rng = TestRNG(seed: 0xF1 + s.seed)
        let initial = (0..<p).map { _ in rng.float(-0.25, 0.25) }  // gradients are added to what is there
        let params = FloatBuffer(c.params), grads = FloatBuffer(initial), state = FloatBuffer(c.state)
        var reports: [(range: Range<Int>, loss: ChunkLoss, snapshot: [Float])] = []
        let loss = withTargets(c) { t in
            c.inputs.withUnsafeBufferPointer { x in
                c.model.lossAndGradient(params: params.pointer, grads: grads.pointer, ws: ws, inputs: x.baseAddress!,
                                        targets: t, steps: s.steps, state: state.pointer, dropout: s.dropout,
                                        finished: { range, l in reports.append((range, l, grads.array)) })
            }
        }
        let final = grads.array

        // The same chunk without callbacks gives the same bits.
        let plainGrads = FloatBuffer(initial), plainState = FloatBuffer(c.state)
        let plainWs = Workspace(config: s.config, steps: s.wsSteps ?? s.steps, lanes: s.lanes)
        let plainLoss = withTargets(c) { t in
            c.inputs.withUnsafeBufferPointer { x in
                c.model.lossAndGradient(params: params.pointer, grads: plainGrads.pointer, ws: plainWs, inputs: x.baseAddress!,
                                        targets: t, steps: s.steps, state: plainState.pointer, dropout: s.dropout)
            }
        }
        XCTAssertEqual(loss, plainLoss, "\(tag): loss with and without callbacks")
        assertBits(final, plainGrads.array, "\(tag): gradient with and without callbacks")
        assertBits(state.array, plainState.array, "\(tag): state with and without callbacks")

        // Each range, copied when reported, already held its final bits, and had received gradient.
        for (i, r) in reports.enumerated() {
            XCTAssertEqual(r.loss, loss, "\(tag): loss passed with report \(i)")
            guard r.range.lowerBound >= 0, r.range.upperBound <= p else {
                XCTFail("\(tag): report \(i) range \(r.range) outside [0, \(p))")
                continue
            }
            assertBits(Array(r.snapshot[r.range]), Array(final[r.range]), "\(tag): range \(r.range) changed after it was reported")
            XCTAssertNotNil(firstBitDifference(Array(final[r.range]), Array(initial[r.range])),
                            "\(tag): range \(r.range) received no gradient")
        }

        // Disjoint, covering [0, P) exactly, streamed (more than one call, the head first).
        let ranges = reports.map(\.range)
        XCTAssertGreaterThan(ranges.count, 1, "\(tag): one call is no stream")
        XCTAssertEqual(ranges.first, layout.offset("head.weight")..<p, "\(tag): the head's range comes first")
        XCTAssertFalse(ranges.contains { $0.isEmpty }, "\(tag): empty range reported")
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        XCTAssertEqual(sorted.first?.lowerBound, 0, "\(tag): cover starts at 0")
        XCTAssertEqual(sorted.last?.upperBound, p, "\(tag): cover ends at P")
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            XCTAssertEqual(a.upperBound, b.lowerBound, "\(tag): \(a) and \(b) overlap or leave a gap")
        }

        // The documented order: head; per layer from the top, its input weights (with the
        // embedding for a token-reading first layer), its recurrent weights (in blocks of rows, in
        // order: merged here), then the rest; the dense embedding last.
        var want = [layout.offset("head.weight")..<p], recurrent: [Range<Int>] = []
        for k in stride(from: layers - 1, through: 0, by: -1) {
            let ih = layout.offset("rnn.weight_ih_l\(k)"), hh = layout.offset("rnn.weight_hh_l\(k)")
            let rows = hh ..< hh + s.config.cell.gates * s.config.hidden * s.config.hidden
            recurrent.append(rows)
            want.append((k == 0 && s.tokens ? 0 : ih)..<hh)
            want += [rows, rows.upperBound..<layerEnd(layout, k, layers: layers)]
        }
        if !s.tokens { want.append(0..<layout.offset("rnn.weight_ih_l0")) }
        var merged: [Range<Int>] = []
        for r in ranges {
            if let last = merged.last, last.upperBound == r.lowerBound,
               recurrent.contains(where: { $0.contains(last.lowerBound) && $0.contains(r.lowerBound) }) {
                merged[merged.count - 1] = last.lowerBound..<r.upperBound
            } else {
                merged.append(r)
            }
        }
        XCTAssertEqual(merged, want, "\(tag): order of the finished ranges")
        if s.config.cell == .gru || s.config.cell.gates * s.config.hidden >= 2 * GEMM.splitMinimumRows {
            XCTAssertGreaterThan(ranges.count, merged.count, "\(tag): the recurrent weights must come in blocks")
        }

        // A ParameterPieces piece inside the ranges reported so far is final too.
        for shards in 1...3 {
            guard let sh = try? ParameterShards(count: p, shards: shards) else { continue }
            let pieces = ParameterPieces(layout: layout, layers: layers, shards: sh)
            var early = 0
            for i in reports.indices {
                let done = pieces.covered(by: Array(ranges[0...i]))
                for j in done {
                    let r = pieces.ranges[j]
                    assertBits(Array(reports[i].snapshot[r]), Array(final[r]),
                               "\(tag) S=\(shards): piece \(r) changed after report \(i) covered it")
                }
                if i < reports.count - 1 { early += done.count }
            }
            XCTAssertEqual(pieces.covered(by: ranges), Array(pieces.ranges.indices), "\(tag) S=\(shards): all pieces covered")
            if s.early { XCTAssertGreaterThan(early, 0, "\(tag) S=\(shards): no piece final before the last report") }
        }
    }

    // MARK: needs

    func testNeedsIsHonestForward() {
        for s in Self.cases { checkNeeds(s, gradient: false) }
    }

    func testNeedsIsHonestGradient() {
        for s in Self.cases { checkNeeds(s, gradient: true) }
    }

    private struct Outcome {
        var logits: [Float]
        var state: [Float]
        var grads: [Float]
        var loss: ChunkLoss?
    }

    /// One pass (forward, or loss and gradient) from fresh buffers.
    private func run(_ s: Stream, _ c: ModelCase, params: UnsafePointer<Float>, state: FloatBuffer, gradient: Bool,
                     needs: ((Int) -> Void)?) -> Outcome {
        let ws = Workspace(config: s.config, steps: s.wsSteps ?? s.steps, lanes: s.lanes)
        let grads = FloatBuffer(count: c.layout.count)
        var loss: ChunkLoss?
        c.inputs.withUnsafeBufferPointer { x in
            if gradient {
                loss = withTargets(c) { t in
                    c.model.lossAndGradient(params: params, grads: grads.pointer, ws: ws, inputs: x.baseAddress!, targets: t,
                                            steps: s.steps, state: state.pointer, dropout: s.dropout, needs: needs)
                }
            } else {
                c.model.forward(params: params, ws: ws, inputs: x.baseAddress!, steps: s.steps, state: state.pointer,
                                dropout: s.dropout, needs: needs)
            }
        }
        let used = s.steps * s.lanes * s.config.vocab
        return Outcome(logits: Array(ws.logits.array[0..<used]), state: state.array, grads: grads.array, loss: loss)
    }

    private func checkNeeds(_ s: Stream, gradient: Bool) {
        let c = makeCase(s), layout = c.layout, p = layout.count, layers = s.config.layers
        let tag = "\(s.label) \(gradient ? "lossAndGradient" : "forward")"
        let real = FloatBuffer(c.params)
        let want = run(s, c, params: real.pointer, state: FloatBuffer(c.state), gradient: gradient, needs: nil)

        // Parameters arrive only when asked for; the rest stays NaN.
        let arriving = FloatBuffer([Float](repeating: .nan, count: p))
        let state = FloatBuffer(c.state)
        var filled = 0, ends: [Int] = [], statesAtNeeds: [[Float]] = []
        let got = run(s, c, params: arriving.pointer, state: state, gradient: gradient, needs: { end in
            ends.append(end)
            statesAtNeeds.append(state.array)
            let upTo = min(max(end, 0), p)
            if upTo > filled {
                (arriving.pointer + filled).update(from: real.pointer + filled, count: upTo - filled)
                filled = upTo
            }
        })
        assertBits(got.logits, want.logits, "\(tag): logits\(gradient ? " gradient" : "")")
        assertBits(got.state, want.state, "\(tag): final state")
        if gradient {
            XCTAssertEqual(got.loss?.count, want.loss?.count, "\(tag): scored targets")
            XCTAssertEqual(got.loss?.sum.bitPattern, want.loss?.sum.bitPattern, "\(tag): loss \(String(describing: got.loss))")
            assertBits(got.grads, want.grads, "\(tag): gradient")
        }
        assertBits(arriving.array, c.params, "\(tag): parameters after the pass")
        // The reference is finite, so a NaN leaking into the streamed run cannot match it.
        XCTAssertTrue(want.logits.allSatisfy { $0.isFinite }, "\(tag): reference logits finite")

        // Ends: non-decreasing, the first before P for a stacked model, the last P; exactly the
        // end of each layer, then P for the head.
        XCTAssertEqual(ends, (0..<layers).map { layerEnd(layout, $0, layers: layers) } + [p], "\(tag): needs ends")
        XCTAssertTrue(zip(ends, ends.dropFirst()).allSatisfy { $0 <= $1 }, "\(tag): ends decrease: \(ends)")
        XCTAssertEqual(ends.last, p, "\(tag): last end")
        if layers >= 2 { XCTAssertLessThan(ends.first ?? p, p, "\(tag): first end") }

        // The layers really run as parameters arrive: at the i-th call, layers below i have
        // written their final state and the others have not run yet.
        let slots = s.config.stateSlots, h = s.config.hidden, per = s.config.stateFloatsPerLane
        let width = slots * h
        func layerState(_ st: [Float], _ k: Int) -> [Float] {
            var out: [Float] = []
            for j in 0..<s.lanes {
                let lo: Int = j * per + k * width
                out += st[lo..<(lo + width)]
            }
            return out
        }
        for (i, st) in statesAtNeeds.enumerated() {
            for k in 0..<layers {
                let moved = firstBitDifference(layerState(st, k), layerState(c.state, k)) != nil
                XCTAssertEqual(moved, k < i, "\(tag): layer \(k)'s state at needs call \(i)")
            }
        }
    }

    /// The NaN check above can fail: a `needs` that stops one float short of the announced end
    /// leaves a NaN that reaches the logits.
    func testShortDeliveryLeaksNaN() {
        let s = Self.cases[3]  // lstm L3 dense
        let c = makeCase(s), p = c.layout.count
        let real = FloatBuffer(c.params), arriving = FloatBuffer([Float](repeating: .nan, count: p))
        var filled = 0
        let got = run(s, c, params: arriving.pointer, state: FloatBuffer(c.state), gradient: false, needs: { end in
            let upTo = end == p ? p : end - 1  // withhold the last float of each layer (a bias)
            if upTo > filled {
                (arriving.pointer + filled).update(from: real.pointer + filled, count: upTo - filled)
                filled = upTo
            }
        })
        XCTAssertTrue(got.logits.contains { $0.isNaN }, "withholding a bias must poison the logits")
    }
}
