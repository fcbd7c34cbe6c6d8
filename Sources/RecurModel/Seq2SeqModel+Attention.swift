// Seq2SeqModel+Attention: Luong attention of the decoder's top outputs over the encoder's
// outputs, forward and backward, one example at a time over the time-major buffers.
import RecurMath

extension Seq2SeqModel {
    /// Writes h̃ [T, N, H] into `ws.decoder.features` from the decoder's top outputs o and the
    /// encoder's outputs ē: o itself without attention; otherwise keys K = ē (dot) or ē·W_inᵀ
    /// (general), per example j the scores o_t·K_s over its real positions s < len_j, a = their
    /// softmax (exactly 0 at padding), c_t = Σ_s a_{t,s} ē_s, and h̃_t = tanh(W_out [c_t ; o_t]).
    ///
    /// Each example's products are strided GEMMs over the time-major buffers (row stride N·width),
    /// so nothing is copied per example, and the order of every sum is fixed by the shapes.
    func attend(params: UnsafePointer<Float>, ws: Seq2SeqWorkspace, lengths: UnsafePointer<Int32>,
                sourceSteps s: Int, targetSteps t: Int) {
        let n = ws.lanes, h = config.hidden, w = config.directions * h, cw = w + h, tn = t * n
        let ebar = UnsafePointer(ws.encoder.features.pointer), o = UnsafePointer(topOutputs(ws))
        let out = ws.decoder.features.pointer
        guard let kind = config.attention, kind != .none else {
            out.update(from: o, count: tn * h)
            return
        }
        let (keys, kw) = attentionKeys(params: params, ws: ws, sourceSteps: s)
        let cat = ws.concat.pointer, weights = ws.weights.pointer
        // Examples never interact here: fixed lane blocks, in parallel when threads allow.
        LaneBlocks.run(lanes: n) { lanes in
            for j in lanes {
                let len = Int(lengths[j]), a = weights + j * t * s
                // scores [T, len] = o_j [T, H] · K_j[0..<len]ᵀ
                GEMM.sgemm(transB: true, m: t, n: len, k: h, a: o + j * h, lda: n * h, b: keys + j * kw, ldb: n * kw,
                           beta: 0, c: a, ldc: s)
                for q in 0..<t {
                    let row = a + q * s
                    var mx = -Float.infinity
                    for p in 0..<len { mx = max(mx, row[p]) }
                    var sum: Float = 0
                    for p in 0..<len { row[p] = FastMath.exp(row[p] - mx); sum += row[p] }
                    let inv = 1 / sum
                    for p in 0..<len { row[p] *= inv }
                    for p in len..<s { row[p] = 0 }
                }
                // c_j [T, D·H] = a [T, len] · ē_j[0..<len], into the first D·H columns of [c ; o]
                GEMM.sgemm(m: t, n: w, k: len, a: a, lda: s, b: ebar + j * w, ldb: n * w, beta: 0, c: cat + j * cw,
                           ldc: n * cw)
            }
        }
        for r in 0..<tn { (cat + r * cw + w).update(from: o + r * h, count: h) }
        GEMM.sgemmRows(transB: true, m: tn, n: h, k: cw, a: cat, lda: cw, b: params + layout.offset("attention.linear_out.weight"),
                       ldb: cw, beta: 0, c: out, ldc: h)
        Activations.tanhInPlace(out, tn * h)
    }

    /// The decoder's top outputs o [T, N, H] (after its initial-state row block).
    func topOutputs(_ ws: Seq2SeqWorkspace) -> UnsafeMutablePointer<Float> {
        ws.decoder.layers[config.layers - 1][0].hs.pointer + ws.lanes * config.hidden
    }

    /// The attention keys [S, N, kw] and their width: ē itself (dot), or ē·W_inᵀ written to
    /// `ws.keys` (general).
    func attentionKeys(params: UnsafePointer<Float>, ws: Seq2SeqWorkspace, sourceSteps s: Int) -> (UnsafePointer<Float>, Int) {
        let h = config.hidden, w = config.directions * h, ebar = ws.encoder.features.pointer
        guard config.attention == .general else { return (UnsafePointer(ebar), w) }
        GEMM.sgemmRows(transB: true, m: s * ws.lanes, n: h, k: w, a: ebar, lda: w,
                       b: params + layout.offset("attention.linear_in.weight"), ldb: w, beta: 0, c: ws.keys.pointer, ldc: h)
        return (UnsafePointer(ws.keys.pointer), h)
    }

    /// The backward pass of `attend`: from dh̃ in `ws.decoder.dFeatures` (overwritten), writes
    /// the top outputs' gradient dO into `ws.decoder.dY[0]` and ē's into `ws.encoder.dFeatures`
    /// (zero at padding), and adds the gradients of W_in and W_out into `grads`.
    func attendBackward(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, ws: Seq2SeqWorkspace,
                        lengths: UnsafePointer<Int32>, sourceSteps s: Int, targetSteps t: Int) {
        let n = ws.lanes, h = config.hidden, w = config.directions * h, cw = w + h, tn = t * n
        let ebar = UnsafePointer(ws.encoder.features.pointer), o = UnsafePointer(topOutputs(ws))
        let dOut = ws.decoder.dFeatures.pointer, dO = ws.decoder.dY[0].pointer, dE = ws.encoder.dFeatures.pointer
        dE.update(repeating: 0, count: s * n * w)
        guard let kind = config.attention, kind != .none else {
            dO.update(from: dOut, count: tn * h)
            return
        }
        let out = ws.decoder.features.pointer, cat = ws.concat.pointer, dcat = ws.dConcat.pointer
        let wOut = layout.offset("attention.linear_out.weight")
        for i in 0..<tn * h { dOut[i] *= 1 - out[i] * out[i] }  // through tanh
        GEMM.sgemmRows(transA: true, m: h, n: cw, k: tn, a: dOut, lda: h, b: cat, ldb: cw, beta: 1, c: grads + wOut, ldc: cw)
        GEMM.sgemmRows(m: tn, n: cw, k: h, a: dOut, lda: h, b: params + wOut, ldb: cw, beta: 0, c: dcat, ldc: cw)
        for r in 0..<tn { (dO + r * h).update(from: dcat + r * cw + w, count: h) }
        let general = kind == .general
        let keys = general ? UnsafePointer(ws.keys.pointer) : ebar, kw = general ? h : w
        let dK = general ? ws.dKeys.pointer : dE
        if general { dK.update(repeating: 0, count: s * n * h) }
        let weights = ws.weights.pointer, scores = ws.dScores.pointer
        LaneBlocks.run(lanes: n) { lanes in
            let ds = scores + LaneBlocks.index(of: lanes, lanes: n) * t * s  // this block's scratch
            for j in lanes {
                let len = Int(lengths[j]), a = UnsafePointer(weights + j * t * s)
                // da [T, len] = dc_j · ē_jᵀ; dē_j += aᵀ · dc_j
                GEMM.sgemm(transB: true, m: t, n: len, k: w, a: dcat + j * cw, lda: n * cw, b: ebar + j * w, ldb: n * w,
                           beta: 0, c: ds, ldc: len)
                GEMM.sgemm(transA: true, m: len, n: w, k: t, a: a, lda: s, b: dcat + j * cw, ldb: n * cw, beta: 1,
                           c: dE + j * w, ldc: n * w)
                for q in 0..<t {  // through the softmax: ds = a ∗ (da − Σ a·da)
                    let ar = a + q * s, dr = ds + q * len
                    var dot: Float = 0
                    for p in 0..<len { dot += ar[p] * dr[p] }
                    for p in 0..<len { dr[p] = ar[p] * (dr[p] - dot) }
                }
                // dO_j += ds · K_j; dK_j += dsᵀ · o_j
                GEMM.sgemm(m: t, n: h, k: len, a: ds, lda: len, b: keys + j * kw, ldb: n * kw, beta: 1, c: dO + j * h, ldc: n * h)
                GEMM.sgemm(transA: true, m: len, n: h, k: t, a: ds, lda: len, b: o + j * h, ldb: n * h, beta: 1,
                           c: dK + j * kw, ldc: n * kw)
            }
        }
        guard general else { return }
        let wIn = layout.offset("attention.linear_in.weight")
        GEMM.sgemmRows(transA: true, m: h, n: w, k: s * n, a: dK, lda: h, b: ebar, ldb: w, beta: 1, c: grads + wIn, ldc: w)
        GEMM.sgemmRows(m: s * n, n: w, k: h, a: dK, lda: h, b: params + wIn, ldb: w, beta: 1, c: dE, ldc: w)
    }
}
