// RecurrentLayer: forward and backward of one stacked layer over a whole chunk (T steps, N lanes).
import RecurMath

/// One layer's pass over a chunk, for every cell kind.
///
/// Forward: one GEMM projects the inputs of all T steps ([T·N, in] · W_ihᵀ), then the time loop
/// adds each step's recurrent product (one GEMM, two for the GRU) and runs the fused gate kernel.
/// Backward: the time loop runs the fused kernel and the recurrent GEMM per step; after it, one
/// GEMM per weight gradient over all T steps, and one for the gradient of the inputs.
///
/// Lanes never interact inside the time loop, so it runs on fixed blocks of lanes
/// (`LaneBlocks`), in parallel when the process has two or more threads. The blocks depend on N
/// only, so the arithmetic — and every bit of the result — is the same for any thread count.
enum RecurrentLayer {
    /// Runs layer `k` forward over `t` steps into `a`, one direction's activations;
    /// `a.hs[0]` (and `a.cs[0]`) must hold the initial state.
    static func forward(_ cfg: ModelConfig, layer k: Int, a: LayerActivations, ws: LayerScratch, p: LayerParams,
                        input: LayerInput, steps t: Int) {
        let n = ws.lanes, gh = cfg.cell.gates * cfg.hidden, din = cfg.inputSize(layer: k)
        let gates = a.gates.pointer, tn = t * n
        // Input projection of every step at once, seeded with the summed biases: [T·N, G·H].
        let bias = ws.rowScratch.pointer
        for j in 0..<gh { bias[j] = p.bih[j] + p.bhh[j] }
        switch input {
        case .dense(let x):
            Parallel.halves(tn, minimum: 256) { rows in
                for r in rows { (gates + r * gh).update(from: bias, count: gh) }
            }
            GEMM.sgemmRows(transB: true, m: tn, n: gh, k: din, a: x, lda: din, b: p.wih, ldb: din,
                           beta: 1, c: gates, ldc: gh)
        case .tokens(let ids, let embedding):
            // x·W_ihᵀ of a token is row `token` of E·W_ihᵀ [V, G·H]: one small GEMM, then a gather.
            let table = ws.tokenTable.pointer, v = cfg.vocab
            GEMM.sgemmRows(transB: true, m: v, n: gh, k: din, a: embedding, lda: din, b: p.wih, ldb: din,
                           beta: 0, c: table, ldc: gh)
            Parallel.halves(tn, minimum: 256) { rows in
                for r in rows {
                    let row = gates + r * gh, src = table + Int(ids[r]) * gh
                    for j in 0..<gh { row[j] = bias[j] + src[j] }
                }
            }
        }
        let h = cfg.hidden
        if cfg.cell == .gru {
            a.packForward.pack(transposeOf: p.whh, ldw: h)
            a.packForwardC?.pack(transposeOf: p.whh + 2 * h * h, ldw: h)
        } else {
            a.packForward.pack(transposeOf: p.whh, ldw: h)
        }
        LaneBlocks.run(lanes: n) { lanes in forwardSteps(cfg, a, p: p, n: n, lanes: lanes, steps: t) }
    }

    /// The time loop of the forward pass for one block of lanes.
    static func forwardSteps(_ cfg: ModelConfig, _ a: LayerActivations, p: LayerParams, n: Int,
                             lanes: Range<Int>, steps t: Int) {
        let h = cfg.hidden, gh = cfg.cell.gates * h, m = lanes.count, j0 = lanes.lowerBound
        let gates = a.gates.pointer, hs = a.hs.pointer, wf = a.packForward
        for s in 0..<t {
            let row = s * n + j0
            let hPrev = hs + row * h, hNext = hs + (row + n) * h, pre = gates + row * gh
            switch cfg.cell {
            case .lstm:
                PackedGEMM.multiply(m: m, a: hPrev, lda: h, b: wf, c: pre, ldc: gh, accumulate: true)
                LSTMKernels.forward(n: m, h: h, gates: pre, cPrev: a.cs.pointer + row * h,
                                    c: a.cs.pointer + (row + n) * h, hOut: hNext, peep: p.peep.map { UnsafePointer($0) })
            case .rnn:
                PackedGEMM.multiply(m: m, a: hPrev, lda: h, b: wf, c: pre, ldc: gh, accumulate: true)
                GRUKernels.rnnForward(count: m * h, relu: cfg.activation == .relu, pre: pre, hOut: hNext)
            case .gruMin:
                PackedGEMM.multiply(m: m, a: hPrev, lda: h, b: wf, c: pre, ldc: gh, accumulate: true)
                GRUKernels.gatedForward(n: m, h: h, stride: gh, u: pre, c: pre + h, hPrev: hPrev, hOut: hNext)
            case .gru:
                let rh = a.aux.pointer + row * h
                PackedGEMM.multiply(m: m, a: hPrev, lda: h, b: wf, c: pre, ldc: gh, accumulate: true)
                GRUKernels.resetForward(n: m, h: h, stride: gh, r: pre, hPrev: hPrev, rh: rh)
                PackedGEMM.multiply(m: m, a: rh, lda: h, b: a.packForwardC!, c: pre + 2 * h, ldc: gh, accumulate: true)
                GRUKernels.gatedForward(n: m, h: h, stride: gh, u: pre + h, c: pre + 2 * h, hPrev: hPrev, hOut: hNext)
            }
        }
    }

    /// Runs layer `k` backward over `t` steps, from the activations `a` its forward pass kept.
    /// - `dY` [T, N, H]: gradient into the layer's outputs h₁…h_T (the state carried out of the
    ///   chunk gets none: truncated BPTT cuts it).
    /// - `g`: gradient pointers, accumulated into.
    /// - `dx` [T, N, in]: written with the gradient of the inputs, when not nil.
    /// With `.tokens` input the embedding's gradient is added to `dEmbedding` [V, E] directly and
    /// `dx` is not written.
    /// - `inputWeightsDone`: called once the gradient of W_ih (and, with `.tokens` input, of the
    ///   embedding) is final, before the rest of the layer's weight gradients are computed.
    /// - `recurrentRowsDone`: told of each block of rows of W_hh [G·H, H] whose gradient is final.
    /// - `boundary`: gradients across the chunk's ends (an encoder's final states, a decoder's
    ///   initial state); nil leaves the truncated-BPTT path untouched.
    static func backward(_ cfg: ModelConfig, layer k: Int, a: LayerActivations, ws: LayerScratch, p: LayerParams, g: LayerParams,
                         input: LayerInput, dY: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         dEmbedding: UnsafeMutablePointer<Float>?, steps t: Int, inputWeightsDone: (() -> Void)? = nil,
                         recurrentRowsDone: ((Range<Int>) -> Void)? = nil, boundary: StateBoundary? = nil) {
        let n = ws.lanes, h = cfg.hidden, gh = cfg.cell.gates * h, din = cfg.inputSize(layer: k)
        let tn = t * n
        // Pre-activation gradients overwrite the gate values in place, step by step: each step's
        // gates are read once, just before its gradients are written.
        let hs = a.hs.pointer, dpre = a.gates.pointer
        if g.peep != nil { ws.peepScratch.zero() }
        a.packBackward.pack(p.whh, ldw: h)  // for the GRU: the (r, u) rows, [2H, H]
        a.packBackwardC?.pack(p.whh + 2 * h * h, ldw: h)
        LaneBlocks.run(lanes: n) { lanes in
            backwardSteps(cfg, a, ws: ws, p: p, n: n, lanes: lanes, dY: dY, steps: t, boundary: boundary)
        }
        if let gp = g.peep {  // per-block peephole sums, added in block order
            for b in 0..<LaneBlocks.count(lanes: n) {
                let part = ws.peepScratch.pointer + b * 3 * h
                for i in 0..<3 * h { gp[i] += part[i] }
            }
        }
        // Weight gradients: one GEMM each over all T·N rows.
        var biasRows = dpre, biasRowCount = tn
        switch input {
        case .dense(let x):
            GEMM.sgemmRows(transA: true, m: gh, n: din, k: tn, a: dpre, lda: gh, b: x, ldb: din, beta: 1, c: g.wih, ldc: din)
            inputWeightsDone?()
            if let dx {
                GEMM.sgemmRows(m: tn, n: din, k: gh, a: dpre, lda: gh, b: p.wih, ldb: din, beta: 0, c: dx, ldc: din)
            }
        case .tokens(let ids, let embedding):
            // Sum the gradient rows of each token (in row order) into S [V, G·H]; then
            // dW_ih += Sᵀ·E and dE += S·W_ih are [V]-sized products instead of [T·N]-sized ones.
            let sums = ws.tokenGrad.pointer, v = cfg.vocab
            sums.update(repeating: 0, count: v * gh)
            // Each half of the columns on its own thread; every element still sums rows in order.
            Parallel.halves(gh, minimum: 64) { cols in
                for r in 0..<tn {
                    let dst = sums + Int(ids[r]) * gh, src = dpre + r * gh
                    for j in cols { dst[j] += src[j] }
                }
            }
            GEMM.sgemmRows(transA: true, m: gh, n: din, k: v, a: sums, lda: gh, b: embedding, ldb: din, beta: 1,
                           c: g.wih, ldc: din)
            if let dEmbedding {
                GEMM.sgemmRows(m: v, n: din, k: gh, a: sums, lda: gh, b: p.wih, ldb: din, beta: 1, c: dEmbedding, ldc: din)
            }
            inputWeightsDone?()
            biasRows = sums
            biasRowCount = v
        }
        if cfg.cell == .gru {
            GEMM.sgemmRows(transA: true, m: 2 * h, n: h, k: tn, a: dpre, lda: gh, b: hs, ldb: h, beta: 1, c: g.whh, ldc: h,
                           rowsDone: recurrentRowsDone)
            GEMM.sgemmRows(transA: true, m: h, n: h, k: tn, a: dpre + 2 * h, lda: gh, b: a.aux.pointer, ldb: h,
                           beta: 1, c: g.whh + 2 * h * h, ldc: h,
                           rowsDone: recurrentRowsDone.map { done in { done(2 * h + $0.lowerBound ..< 2 * h + $0.upperBound) } })
        } else {
            GEMM.sgemmRows(transA: true, m: gh, n: h, k: tn, a: dpre, lda: gh, b: hs, ldb: h, beta: 1, c: g.whh, ldc: h,
                           rowsDone: recurrentRowsDone)
        }
        let colSum = ws.rowScratch.pointer
        Reduce.columnSums(rows: biasRowCount, cols: gh, biasRows, into: colSum)
        for j in 0..<gh {
            g.bih[j] += colSum[j]
            g.bhh[j] += colSum[j]
        }
    }

    /// The time loop of the backward pass for one block of lanes: replaces these lanes' gate
    /// values with their pre-activation gradients, step by step.
    static func backwardSteps(_ cfg: ModelConfig, _ a: LayerActivations, ws: LayerScratch, p: LayerParams, n: Int,
                              lanes: Range<Int>, dY: UnsafePointer<Float>, steps t: Int, boundary: StateBoundary? = nil) {
        let h = cfg.hidden, gh = cfg.cell.gates * h, m = lanes.count, j0 = lanes.lowerBound, mh = m * h
        let hs = a.hs.pointer, dpre = a.gates.pointer, wb = a.packBackward
        var dh = ws.dh.pointer + j0 * h, other = ws.dhPrev.pointer + j0 * h
        let dc = ws.dc.pointer + j0 * h, drh = ws.scratch.pointer + j0 * h
        let dpeep = p.peep == nil ? nil : ws.peepScratch.pointer + LaneBlocks.index(of: lanes, lanes: n) * 3 * h
        dh.update(repeating: 0, count: mh)
        dc.update(repeating: 0, count: mh)
        // With an initial-state gradient to write, step 0 also runs its recurrent product.
        let first = boundary?.dh0 == nil ? 1 : 0, dcIn = boundary?.dcIn
        for s in stride(from: t - 1, through: 0, by: -1) {
            let row = s * n + j0
            let dys = dY + row * h
            for i in 0..<mh { dh[i] += dys[i] }
            if let dcIn {
                let dcs = dcIn + row * h
                for i in 0..<mh { dc[i] += dcs[i] }
            }
            let act = a.gates.pointer + row * gh, d = dpre + row * gh, hPrev = hs + row * h
            switch cfg.cell {
            case .lstm:
                let c = a.cs.pointer + (row + n) * h  // tanh(c) again, into this block's scratch rows
                for i in 0..<mh { drh[i] = FastMath.tanh(c[i]) }
                LSTMKernels.backward(n: m, h: h, gates: d, cPrev: a.cs.pointer + row * h, tanhC: drh,
                                     dh: dh, dc: dc, peep: p.peep.map { UnsafePointer($0) }, dpeep: dpeep)
                if s >= first { PackedGEMM.multiply(m: m, a: d, lda: gh, b: wb, c: dh, ldc: h, accumulate: false) }
            case .rnn:
                GRUKernels.rnnBackward(count: mh, relu: cfg.activation == .relu, act: act, dh: dh, dpre: d)
                if s >= first { PackedGEMM.multiply(m: m, a: d, lda: gh, b: wb, c: dh, ldc: h, accumulate: false) }
            case .gruMin:
                GRUKernels.gatedBackward(n: m, h: h, stride: gh, u: act, c: act + h, hPrev: hPrev, dh: dh,
                                         du: d, dc: d + h, dhPrev: other)
                if s >= first { PackedGEMM.multiply(m: m, a: d, lda: gh, b: wb, c: other, ldc: h, accumulate: true) }
                swap(&dh, &other)
            case .gru:
                GRUKernels.gatedBackward(n: m, h: h, stride: gh, u: act + h, c: act + 2 * h, hPrev: hPrev, dh: dh,
                                         du: d + h, dc: d + 2 * h, dhPrev: other)
                PackedGEMM.multiply(m: m, a: d + 2 * h, lda: gh, b: a.packBackwardC!, c: drh, ldc: h, accumulate: false)
                GRUKernels.resetBackward(n: m, h: h, stride: gh, r: act, hPrev: hPrev, drh: drh, dr: d, dhPrev: other)
                if s >= first { PackedGEMM.multiply(m: m, a: d, lda: gh, b: wb, c: other, ldc: h, accumulate: true) }
                swap(&dh, &other)
            }
        }
        if let dh0 = boundary?.dh0 { (dh0 + j0 * h).update(from: dh, count: mh) }
        if let dc0 = boundary?.dc0 { (dc0 + j0 * h).update(from: dc, count: mh) }
    }
}

/// Gradients crossing a layer's chunk boundaries, for models whose states flow between stacks
/// (the encoder's final states into the decoder's initial state).
struct StateBoundary {
    /// [T, N, H]: gradient added into each step's cell state c (LSTM), as `dY` is into h; or nil.
    var dcIn: UnsafePointer<Float>?
    /// [N, H]: written with the gradient of the initial h, or nil.
    var dh0: UnsafeMutablePointer<Float>?
    /// [N, H]: written with the gradient of the initial c (LSTM), or nil.
    var dc0: UnsafeMutablePointer<Float>?
}

/// What a layer reads: dense vectors [T, N, in], or, for the first layer of a model whose
/// vocabulary is smaller than the chunk, token ids and the embedding table they index.
enum LayerInput {
    /// Inputs [T, N, in].
    case dense(UnsafePointer<Float>)
    /// Token ids [T, N] and the embedding matrix E [V, E].
    case tokens(UnsafePointer<Int32>, embedding: UnsafePointer<Float>)
}

/// Deterministic reductions.
enum Reduce {
    /// out[c] = Σ_r x[r, c], summing rows in order (independent of thread count); each half of
    /// the columns on its own thread.
    static func columnSums(rows: Int, cols: Int, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: cols)
        Parallel.halves(cols, minimum: rows >= 256 ? 64 : cols) { range in
            for r in 0..<rows {
                let row = x + r * cols
                for c in range { out[c] += row[c] }
            }
        }
    }
}
