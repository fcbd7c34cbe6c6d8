// LSTMKernels: the fused element-wise part of one LSTM time step, forward and backward.
import RecurMath

/// Fused gate kernels of the LSTM, one time step for `N` lanes.
///
/// Gate blocks follow PyTorch: (i, f, g, o), each `H` wide, so a row of `gates` is `[4H]`.
/// i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c = f ∗ c₋₁ + i ∗ g; h = o ∗ tanh(c).
/// With peepholes, p_i ∗ c₋₁, p_f ∗ c₋₁ and p_o ∗ c₋₁ join the i, f and o pre-activations.
/// Each loop is plain scalar code over one row, which the optimiser vectorises.
enum LSTMKernels {
    /// Forward: activates `gates` [N, 4H] in place and writes c and h (each [N, H]).
    ///
    /// Each row is processed by short loops that read one or two arrays and write one: the
    /// optimiser vectorises those, where it leaves a single loop over seven arrays scalar.
    static func forward(n: Int, h: Int, gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                        c: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>,
                        peep: UnsafePointer<Float>?) {
        for j in 0..<n {
            let gi = gates + j * 4 * h, gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
            let cp = cPrev + j * h, cr = c + j * h, hr = hOut + j * h
            if let p = peep {
                for u in 0..<h { gi[u] += p[u] * cp[u] }
                for u in 0..<h { gf[u] += p[h + u] * cp[u] }
                for u in 0..<h { go[u] += p[2 * h + u] * cp[u] }
            }
            Activations.sigmoidInPlace(gi, 2 * h)  // i and f are adjacent
            Activations.tanhInPlace(gg, h)
            Activations.sigmoidInPlace(go, h)
            for u in 0..<h { cr[u] = gf[u] * cp[u] + gi[u] * gg[u] }
            for u in 0..<h { hr[u] = go[u] * FastMath.tanh(cr[u]) }
        }
    }

    /// Backward through the element-wise part of one step, in place: the gate values in `gates`
    /// [N, 4H] are replaced by their pre-activation gradients.
    ///
    /// - `tanhC` [N, H]: tanh of this step's c (recomputed by the caller rather than stored).
    /// - `dh` [N, H]: total gradient into this step's h.
    /// - `dc` [N, H]: on entry the gradient into this step's c from the step after; on exit the
    ///   gradient into c₋₁ (peephole paths included).
    /// - `dpeep` [3, H]: accumulates peephole gradients (summed over lanes in lane order).
    /// Short loops over few arrays, ordered so every value is read before it is overwritten.
    static func backward(n: Int, h: Int, gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                         tanhC: UnsafePointer<Float>, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
                         peep: UnsafePointer<Float>?, dpeep: UnsafeMutablePointer<Float>?) {
        for j in 0..<n {
            let gi = gates + j * 4 * h, gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
            let cp = cPrev + j * h, tr = tanhC + j * h, dhr = dh + j * h, dcr = dc + j * h
            for u in 0..<h { dcr[u] += dhr[u] * go[u] * (1 - tr[u] * tr[u]) }        // dc, total
            for u in 0..<h { go[u] = dhr[u] * tr[u] * go[u] * (1 - go[u]) }          // o → d pre-o
            for u in 0..<h {                                                          // i, g → d pre-i, d pre-g
                let i = gi[u], g = gg[u], d = dcr[u]
                gi[u] = d * g * i * (1 - i)
                gg[u] = d * i * (1 - g * g)
            }
            for u in 0..<h {                                                          // f → d pre-f; dc → dc₋₁
                let f = gf[u], d = dcr[u]
                gf[u] = d * cp[u] * f * (1 - f)
                dcr[u] = d * f
            }
            if let p = peep, let dp = dpeep {
                for u in 0..<h { dcr[u] += gi[u] * p[u] + gf[u] * p[h + u] + go[u] * p[2 * h + u] }
                for u in 0..<h { dp[u] += gi[u] * cp[u] }
                for u in 0..<h { dp[h + u] += gf[u] * cp[u] }
                for u in 0..<h { dp[2 * h + u] += go[u] * cp[u] }
            }
        }
    }
}
