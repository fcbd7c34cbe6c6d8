// RecurrentLayer: forward and backward of one stacked layer over a whole chunk (T steps, N lanes).
import RecurMath

/// One layer's pass over a chunk, for every cell kind.
///
/// Forward: one GEMM projects the inputs of all T steps ([T·N, in] · W_ihᵀ), then each step adds
/// the recurrent product (one GEMM, two for the GRU) and runs the fused gate kernel.
/// Backward: per step the fused kernel and the recurrent GEMM; after the loop one GEMM per
/// weight gradient over all T steps, and one for the gradient of the inputs.
enum RecurrentLayer {
    /// Runs layer `k` forward over `t` steps. `x` is [T, N, in]; `hs[0]` (and `cs[0]`) must hold
    /// the initial state.
    static func forward(_ cfg: ModelConfig, layer k: Int, ws: Workspace, p: LayerParams,
                        x: UnsafePointer<Float>, steps t: Int) {
        let n = ws.lanes, h = cfg.hidden, gh = cfg.cell.gates * h, din = cfg.inputSize(layer: k)
        let a = ws.layers[k], tn = t * n
        let gates = a.gates.pointer, hs = a.hs.pointer
        GEMM.sgemm(transB: true, m: tn, n: gh, k: din, a: x, lda: din, b: p.wih, ldb: din,
                   beta: 0, c: gates, ldc: gh)
        let bias = ws.rowScratch.pointer
        for j in 0..<gh { bias[j] = p.bih[j] + p.bhh[j] }
        for r in 0..<tn {
            let row = gates + r * gh
            for j in 0..<gh { row[j] += bias[j] }
        }
        for s in 0..<t {
            let hPrev = hs + s * n * h, hNext = hs + (s + 1) * n * h, pre = gates + s * n * gh
            switch cfg.cell {
            case .lstm:
                GEMM.sgemm(transB: true, m: n, n: gh, k: h, a: hPrev, lda: h, b: p.whh, ldb: h, beta: 1, c: pre, ldc: gh)
                LSTMKernels.forward(n: n, h: h, gates: pre, cPrev: a.cs.pointer + s * n * h,
                                    c: a.cs.pointer + (s + 1) * n * h, tanhC: a.aux.pointer + s * n * h,
                                    hOut: hNext, peep: p.peep.map { UnsafePointer($0) })
            case .rnn:
                GEMM.sgemm(transB: true, m: n, n: gh, k: h, a: hPrev, lda: h, b: p.whh, ldb: h, beta: 1, c: pre, ldc: gh)
                GRUKernels.rnnForward(count: n * h, relu: cfg.activation == .relu, pre: pre, hOut: hNext)
            case .gruMin:
                GEMM.sgemm(transB: true, m: n, n: gh, k: h, a: hPrev, lda: h, b: p.whh, ldb: h, beta: 1, c: pre, ldc: gh)
                GRUKernels.gatedForward(n: n, h: h, stride: gh, u: pre, c: pre + h, hPrev: hPrev, hOut: hNext)
            case .gru:
                let rh = a.aux.pointer + s * n * h
                GEMM.sgemm(transB: true, m: n, n: 2 * h, k: h, a: hPrev, lda: h, b: p.whh, ldb: h, beta: 1, c: pre, ldc: gh)
                GRUKernels.resetForward(n: n, h: h, stride: gh, r: pre, hPrev: hPrev, rh: rh)
                GEMM.sgemm(transB: true, m: n, n: h, k: h, a: rh, lda: h, b: p.whh + 2 * h * h, ldb: h,
                           beta: 1, c: pre + 2 * h, ldc: gh)
                GRUKernels.gatedForward(n: n, h: h, stride: gh, u: pre + h, c: pre + 2 * h, hPrev: hPrev, hOut: hNext)
            }
        }
    }

    /// Runs layer `k` backward over `t` steps.
    /// - `dY` [T, N, H]: gradient into the layer's outputs h₁…h_T (the state carried out of the
    ///   chunk gets none: truncated BPTT cuts it).
    /// - `g`: gradient pointers, accumulated into.
    /// - `dx` [T, N, in]: written with the gradient of the inputs, when not nil.
    static func backward(_ cfg: ModelConfig, layer k: Int, ws: Workspace, p: LayerParams, g: LayerParams,
                         x: UnsafePointer<Float>, dY: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         steps t: Int) {
        let n = ws.lanes, h = cfg.hidden, gh = cfg.cell.gates * h, din = cfg.inputSize(layer: k)
        let a = ws.layers[k], tn = t * n, nh = n * h
        let hs = a.hs.pointer, dpre = ws.dpre.pointer
        var dh = ws.dh.pointer, other = ws.dhPrev.pointer
        dh.update(repeating: 0, count: nh)
        ws.dc.pointer.update(repeating: 0, count: nh)
        for s in stride(from: t - 1, through: 0, by: -1) {
            let dys = dY + s * nh
            for i in 0..<nh { dh[i] += dys[i] }
            let act = a.gates.pointer + s * n * gh, d = dpre + s * n * gh, hPrev = hs + s * nh
            switch cfg.cell {
            case .lstm:
                LSTMKernels.backward(n: n, h: h, gates: act, cPrev: a.cs.pointer + s * nh, tanhC: a.aux.pointer + s * nh,
                                     dh: dh, dc: ws.dc.pointer, dpre: d, peep: p.peep.map { UnsafePointer($0) },
                                     dpeep: g.peep)
                if s > 0 { GEMM.sgemm(m: n, n: h, k: gh, a: d, lda: gh, b: p.whh, ldb: h, beta: 0, c: dh, ldc: h) }
            case .rnn:
                GRUKernels.rnnBackward(count: nh, relu: cfg.activation == .relu, act: act, dh: dh, dpre: d)
                if s > 0 { GEMM.sgemm(m: n, n: h, k: gh, a: d, lda: gh, b: p.whh, ldb: h, beta: 0, c: dh, ldc: h) }
            case .gruMin:
                GRUKernels.gatedBackward(n: n, h: h, stride: gh, u: act, c: act + h, hPrev: hPrev, dh: dh,
                                         du: d, dc: d + h, dhPrev: other)
                if s > 0 { GEMM.sgemm(m: n, n: h, k: gh, a: d, lda: gh, b: p.whh, ldb: h, beta: 1, c: other, ldc: h) }
                swap(&dh, &other)
            case .gru:
                GRUKernels.gatedBackward(n: n, h: h, stride: gh, u: act + h, c: act + 2 * h, hPrev: hPrev, dh: dh,
                                         du: d + h, dc: d + 2 * h, dhPrev: other)
                let drh = ws.scratch.pointer
                GEMM.sgemm(m: n, n: h, k: h, a: d + 2 * h, lda: gh, b: p.whh + 2 * h * h, ldb: h, beta: 0, c: drh, ldc: h)
                GRUKernels.resetBackward(n: n, h: h, stride: gh, r: act, hPrev: hPrev, drh: drh, dr: d, dhPrev: other)
                if s > 0 { GEMM.sgemm(m: n, n: h, k: 2 * h, a: d, lda: gh, b: p.whh, ldb: h, beta: 1, c: other, ldc: h) }
                swap(&dh, &other)
            }
        }
        // Weight gradients: one GEMM each over all T·N rows.
        GEMM.sgemm(transA: true, m: gh, n: din, k: tn, a: dpre, lda: gh, b: x, ldb: din, beta: 1, c: g.wih, ldc: din)
        if cfg.cell == .gru {
            GEMM.sgemm(transA: true, m: 2 * h, n: h, k: tn, a: dpre, lda: gh, b: hs, ldb: h, beta: 1, c: g.whh, ldc: h)
            GEMM.sgemm(transA: true, m: h, n: h, k: tn, a: dpre + 2 * h, lda: gh, b: a.aux.pointer, ldb: h,
                       beta: 1, c: g.whh + 2 * h * h, ldc: h)
        } else {
            GEMM.sgemm(transA: true, m: gh, n: h, k: tn, a: dpre, lda: gh, b: hs, ldb: h, beta: 1, c: g.whh, ldc: h)
        }
        let colSum = ws.rowScratch.pointer
        Reduce.columnSums(rows: tn, cols: gh, dpre, into: colSum)
        for j in 0..<gh {
            g.bih[j] += colSum[j]
            g.bhh[j] += colSum[j]
        }
        if let dx {
            GEMM.sgemm(m: tn, n: din, k: gh, a: dpre, lda: gh, b: p.wih, ldb: din, beta: 0, c: dx, ldc: din)
        }
    }
}

/// Deterministic reductions.
enum Reduce {
    /// out[c] = Σ_r x[r, c], summing rows in order (independent of thread count).
    static func columnSums(rows: Int, cols: Int, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: cols)
        for r in 0..<rows {
            let row = x + r * cols
            for c in 0..<cols { out[c] += row[c] }
        }
    }
}
