// LSTMKernels: the fused element-wise part of one LSTM time step, forward and backward.
import RecurMath

/// Fused gate kernels of the LSTM, one time step for `N` lanes.
///
/// Gate blocks follow PyTorch: (i, f, g, o), each `H` wide, so a row of `gates` is `[4H]`.
/// i = σ(·), f = σ(·), g = tanh(·), o = σ(·); c = f ∗ c₋₁ + i ∗ g; h = o ∗ tanh(c).
/// With peepholes, p_i ∗ c₋₁, p_f ∗ c₋₁ and p_o ∗ c₋₁ join the i, f and o pre-activations.
/// Each loop is plain scalar code over one row, which the optimiser vectorises.
enum LSTMKernels {
    /// Forward: activates `gates` [N, 4H] in place and writes c, tanh(c) and h (each [N, H]).
    ///
    /// Each row is processed by short loops that read one or two arrays and write one: the
    /// optimiser vectorises those, where it leaves a single loop over seven arrays scalar.
    static func forward(n: Int, h: Int, gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
                        c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>,
                        hOut: UnsafeMutablePointer<Float>, peep: UnsafePointer<Float>?) {
        for j in 0..<n {
            let gi = gates + j * 4 * h, gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
            let cp = cPrev + j * h, cr = c + j * h, tr = tanhC + j * h, hr = hOut + j * h
            if let p = peep {
                for u in 0..<h { gi[u] += p[u] * cp[u] }
                for u in 0..<h { gf[u] += p[h + u] * cp[u] }
                for u in 0..<h { go[u] += p[2 * h + u] * cp[u] }
            }
            Activations.sigmoidInPlace(gi, 2 * h)  // i and f are adjacent
            Activations.tanhInPlace(gg, h)
            Activations.sigmoidInPlace(go, h)
            for u in 0..<h { cr[u] = gf[u] * cp[u] + gi[u] * gg[u] }
            for u in 0..<h { tr[u] = FastMath.tanh(cr[u]) }
            for u in 0..<h { hr[u] = go[u] * tr[u] }
        }
    }

    /// Backward through the element-wise part of one step.
    ///
    /// - `dh` [N, H]: total gradient into this step's h.
    /// - `dc` [N, H]: on entry the gradient into this step's c from the step after; on exit the
    ///   gradient into c₋₁ (peephole paths included).
    /// - `dpre` [N, 4H]: written with the pre-activation gradients.
    /// - `dpeep` [3, H]: accumulates peephole gradients (summed over lanes in lane order).
    static func backward(n: Int, h: Int, gates: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                         tanhC: UnsafePointer<Float>, dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
                         dpre: UnsafeMutablePointer<Float>, peep: UnsafePointer<Float>?,
                         dpeep: UnsafeMutablePointer<Float>?) {
        for j in 0..<n {
            let gi = gates + j * 4 * h, gf = gi + h, gg = gi + 2 * h, go = gi + 3 * h
            let di = dpre + j * 4 * h, df = di + h, dg = di + 2 * h, dO = di + 3 * h
            let cp = cPrev + j * h, tr = tanhC + j * h, dhr = dh + j * h, dcr = dc + j * h
            for u in 0..<h {
                let i = gi[u], f = gf[u], g = gg[u], o = go[u], t = tr[u], d = dhr[u]
                let dcv = dcr[u] + d * o * (1 - t * t)
                dO[u] = d * t * o * (1 - o)
                di[u] = dcv * g * i * (1 - i)
                dg[u] = dcv * i * (1 - g * g)
                df[u] = dcv * cp[u] * f * (1 - f)
                dcr[u] = dcv * f
            }
            if let p = peep, let dp = dpeep {
                for u in 0..<h {
                    dcr[u] += di[u] * p[u] + df[u] * p[h + u] + dO[u] * p[2 * h + u]
                    dp[u] += di[u] * cp[u]
                    dp[h + u] += df[u] * cp[u]
                    dp[2 * h + u] += dO[u] * cp[u]
                }
            }
        }
    }
}
