// LinearHead: the head y = x·Wᵀ + b over rows of features, and its backward pass, shared by the
// language model and the example models.
import RecurMath

/// The affine head of every model, over R rows of `In` features and `C` outputs.
///
/// Kept in one place so that the language model and the example models compute their logits
/// and head gradients with the same GEMMs in the same order.
enum LinearHead {
    /// y [R, C] = x [R, In] · Wᵀ + b, with W [C, In] and b [C].
    static func forward(rows: Int, inputs: Int, classes: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                        b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        GEMM.sgemmRows(transB: true, m: rows, n: classes, k: inputs, a: x, lda: inputs, b: w, ldb: inputs,
                       beta: 0, c: y, ldc: classes)
        for r in 0..<rows {
            let row = y + r * classes
            for j in 0..<classes { row[j] += b[j] }
        }
    }

    /// dW [C, In] += dyᵀ · x and db [C] += Σ_r dy[r], summing rows in order through `scratch` [C].
    static func weightGradients(rows: Int, inputs: Int, classes: Int, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
                                scratch: UnsafeMutablePointer<Float>) {
        GEMM.sgemmRows(transA: true, m: classes, n: inputs, k: rows, a: dy, lda: classes, b: x, ldb: inputs, beta: 1,
                       c: dw, ldc: inputs)
        Reduce.columnSums(rows: rows, cols: classes, dy, into: scratch)
        for j in 0..<classes { db[j] += scratch[j] }
    }

    /// dx [R, In] = dy [R, C] · W (overwritten).
    static func inputGradient(rows: Int, inputs: Int, classes: Int, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                              dx: UnsafeMutablePointer<Float>) {
        GEMM.sgemmRows(m: rows, n: inputs, k: classes, a: dy, lda: classes, b: w, ldb: inputs, beta: 0, c: dx, ldc: inputs)
    }
}

/// Inverted-dropout masks keyed by position, not by batch layout.
enum DropoutMask {
    /// Fills `mask` [T, N, H] for layer `k`, direction `d`: 0 with probability p, else 1/(1−p).
    ///
    /// The uniform of unit u at step s of global lane (or example) ℓ is
    /// `CounterRandom.uniform(seed, step, k << 40 | ℓ, d << 63 | s << 24 | u)`, so a mask depends on
    /// the run, the step and the lane alone, never on how lanes are split into shards; direction 0
    /// gives the language model's masks.
    static func fill(_ mask: UnsafeMutablePointer<Float>, hidden h: Int, probability p: Float, lanes n: Int,
                     layer k: Int, direction d: Int = 0, steps: Int, key: DropoutKey) {
        let keep = 1 / (1 - p), dir = UInt64(d) << 63
        for s in 0..<steps {
            for j in 0..<n {
                let lane = UInt64(key.firstLane + j)
                for u in 0..<h {
                    let r = CounterRandom.uniform(seed: key.seed, key.step, UInt64(k) << 40 | lane,
                                                  dir | UInt64(s) << 24 | UInt64(u))
                    mask[(s * n + j) * h + u] = r < p ? 0 : keep
                }
            }
        }
    }
}
