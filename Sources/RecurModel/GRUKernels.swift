// GRUKernels: fused element-wise parts of the vanilla RNN, the minimal GRU and the full GRU steps.
import RecurMath

/// Fused kernels of the simpler cells, one time step for `N` lanes.
///
/// - RNN: h = act(pre); the pre-activation row is `[H]`.
/// - Minimal GRU, blocks (u, c̃): u = σ, c̃ = tanh, h = u ∗ c̃ + (1 − u) ∗ h₋₁.
/// - Full GRU, blocks (r, u, c̃): r = σ, u = σ, c̃ = tanh(W_ic·x + W_hc·(r ∗ h₋₁) + b), and
///   h = u ∗ c̃ + (1 − u) ∗ h₋₁. Its step is split in two around the second recurrent product.
/// Gate rows are `stride` floats apart (2H or 3H); `u` and `c` point at a block's first row.
enum GRUKernels {
    /// RNN forward: activates `pre` [N, H] in place and copies it to `hOut` [N, H].
    static func rnnForward(count: Int, relu: Bool, pre: UnsafeMutablePointer<Float>, hOut: UnsafeMutablePointer<Float>) {
        if relu { Kernels.relu(count, pre, pre) } else { Kernels.tanh(count, pre, pre) }
        hOut.update(from: pre, count: count)
    }

    /// RNN backward: dpre = dh ∗ act′, from the activated values `act` [N, H].
    static func rnnBackward(count: Int, relu: Bool, act: UnsafePointer<Float>, dh: UnsafePointer<Float>,
                            dpre: UnsafeMutablePointer<Float>) {
        if relu {
            for i in 0..<count { dpre[i] = act[i] > 0 ? dh[i] : 0 }
        } else {
            for i in 0..<count { dpre[i] = dh[i] * (1 - act[i] * act[i]) }
        }
    }

    /// Activates u (σ) and c̃ (tanh) in place and writes h = u ∗ c̃ + (1 − u) ∗ h₋₁ [N, H].
    static func gatedForward(n: Int, h: Int, stride: Int, u uBlock: UnsafeMutablePointer<Float>,
                             c cBlock: UnsafeMutablePointer<Float>, hPrev: UnsafePointer<Float>,
                             hOut: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let ur = uBlock + j * stride, cr = cBlock + j * stride, hp = hPrev + j * h, ho = hOut + j * h
            Activations.sigmoidInPlace(ur, h)
            Activations.tanhInPlace(cr, h)
            for q in 0..<h { ho[q] = ur[q] * cr[q] + (1 - ur[q]) * hp[q] }
        }
    }

    /// Backward of the interpolation: writes dpre of the u and c̃ blocks and sets
    /// `dhPrev` = dh ∗ (1 − u) (the direct path only).
    static func gatedBackward(n: Int, h: Int, stride: Int, u uBlock: UnsafePointer<Float>,
                              c cBlock: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                              dh: UnsafePointer<Float>, du: UnsafeMutablePointer<Float>,
                              dc: UnsafeMutablePointer<Float>, dhPrev: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let ur = uBlock + j * stride, cr = cBlock + j * stride, hp = hPrev + j * h, d = dh + j * h
            let dur = du + j * stride, dcr = dc + j * stride, dhp = dhPrev + j * h
            for q in 0..<h {
                let uv = ur[q], cv = cr[q], dv = d[q]
                dur[q] = dv * (cv - hp[q]) * uv * (1 - uv)
                dcr[q] = dv * uv * (1 - cv * cv)
                dhp[q] = dv * (1 - uv)
            }
        }
    }

    /// GRU reset gate: activates r (σ) in place and writes rh = r ∗ h₋₁ [N, H].
    static func resetForward(n: Int, h: Int, stride: Int, r rBlock: UnsafeMutablePointer<Float>,
                             hPrev: UnsafePointer<Float>, rh: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let rr = rBlock + j * stride, hp = hPrev + j * h, o = rh + j * h
            Activations.sigmoidInPlace(rr, h)
            for q in 0..<h { o[q] = rr[q] * hp[q] }
        }
    }

    /// GRU reset backward: from d(rh) [N, H], writes dpre of r and adds d(rh) ∗ r to `dhPrev`.
    static func resetBackward(n: Int, h: Int, stride: Int, r rBlock: UnsafePointer<Float>,
                              hPrev: UnsafePointer<Float>, drh: UnsafePointer<Float>,
                              dr: UnsafeMutablePointer<Float>, dhPrev: UnsafeMutablePointer<Float>) {
        for j in 0..<n {
            let rr = rBlock + j * stride, hp = hPrev + j * h, d = drh + j * h
            let drr = dr + j * stride, dhp = dhPrev + j * h
            for q in 0..<h {
                let rv = rr[q]
                drr[q] = d[q] * hp[q] * rv * (1 - rv)
                dhp[q] += d[q] * rv
            }
        }
    }
}
