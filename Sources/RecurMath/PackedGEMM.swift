// PackedGEMM: C[M, N] (+)= A[M, K] · B[K, N] with B packed once into 16-column panels — the
// recurrent product of every time step, where a general GEMM would repack the weights each call.
// GEMM.naive is its reference (see the math tests).
import CCPUFeatures

/// B[K, N] laid out for `PackedGEMM`: panel q holds columns 16q ..< 16q+16 of every row of B,
/// row after row ([panels, K, 16]), zero-padded past column N.
public final class PackedPanels {
    /// Rows of B, `K`.
    public let k: Int
    /// Columns of B, `N`.
    public let n: Int
    /// Panels, ⌈N / 16⌉.
    public let panels: Int
    let data: FloatBuffer

    /// Allocates panels for a [K, N] matrix.
    public init(k: Int, n: Int) {
        self.k = k
        self.n = n
        panels = (n + 15) / 16
        data = FloatBuffer(count: panels * k * 16)
    }

    /// Packs B = Wᵀ, where W is [N, K] row-major with row stride `ldw` (a weight matrix as
    /// PyTorch stores it, used as x · Wᵀ).
    public func pack(transposeOf w: UnsafePointer<Float>, ldw: Int) {
        let d = data.pointer
        for q in 0..<panels {
            let base = d + q * k * 16, width = min(16, n - q * 16)
            let src = w + q * 16 * ldw
            for p in 0..<k {  // gather one row of the panel from 16 rows of W
                let dst = base + p * 16
                for col in 0..<width { dst[col] = src[col * ldw + p] }
                for col in width..<16 { dst[col] = 0 }
            }
        }
    }

    /// Packs B = W, where W is [K, N] row-major with row stride `ldw`.
    public func pack(_ w: UnsafePointer<Float>, ldw: Int) {
        let d = data.pointer
        for q in 0..<panels {
            let base = d + q * k * 16, width = min(16, n - q * 16)
            for p in 0..<k {
                let src = w + p * ldw + q * 16, dst = base + p * 16
                for col in 0..<width { dst[col] = src[col] }
                for col in width..<16 { dst[col] = 0 }
            }
        }
    }
}

/// The product with packed panels, register-blocked as 4 rows × 16 columns of C held in eight
/// 8-lane accumulators; each element is a multiply–add chain over K in order (`madd`), so its
/// bits do not depend on M, on how rows are split, or on the thread count.
public enum PackedGEMM {
    typealias V8 = SIMD8<Float>

    /// C = A · B (`accumulate` false) or C += A · B (true). A is [M, K] with row stride `lda`,
    /// C is [M, N] with row stride `ldc`.
    public static func multiply(m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedPanels,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let k = b.k
        for q in 0..<b.panels {
            let panel = UnsafeRawPointer(b.data.pointer + q * k * 16)
            let col0 = q * 16, width = min(16, b.n - col0)
            var i = 0
            while i + 4 <= m {
                var acc = (V8(), V8(), V8(), V8(), V8(), V8(), V8(), V8())
                let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
                for p in 0..<k {
                    let b0 = panel.load(fromByteOffset: p * 64, as: V8.self)
                    let b1 = panel.load(fromByteOffset: p * 64 + 32, as: V8.self)
                    let x0 = V8(repeating: a0[p]), x1 = V8(repeating: a1[p])
                    let x2 = V8(repeating: a2[p]), x3 = V8(repeating: a3[p])
                    acc.0 = madd(acc.0, x0, b0); acc.1 = madd(acc.1, x0, b1)
                    acc.2 = madd(acc.2, x1, b0); acc.3 = madd(acc.3, x1, b1)
                    acc.4 = madd(acc.4, x2, b0); acc.5 = madd(acc.5, x2, b1)
                    acc.6 = madd(acc.6, x3, b0); acc.7 = madd(acc.7, x3, b1)
                }
                store(acc.0, acc.1, c + i * ldc + col0, width, accumulate)
                store(acc.2, acc.3, c + (i + 1) * ldc + col0, width, accumulate)
                store(acc.4, acc.5, c + (i + 2) * ldc + col0, width, accumulate)
                store(acc.6, acc.7, c + (i + 3) * ldc + col0, width, accumulate)
                i += 4
            }
            while i < m {  // remaining rows one at a time, same chain per element
                var s0 = V8(), s1 = V8()
                let ar = a + i * lda
                for p in 0..<k {
                    let x = V8(repeating: ar[p])
                    s0 = madd(s0, x, panel.load(fromByteOffset: p * 64, as: V8.self))
                    s1 = madd(s1, x, panel.load(fromByteOffset: p * 64 + 32, as: V8.self))
                }
                store(s0, s1, c + i * ldc + col0, width, accumulate)
                i += 1
            }
        }
    }

    /// acc + x · b: fused where the build targets FMA (x86-64 as shipped, arm64), a multiply then
    /// an add in a build for baseline x86-64, where a fused one would become eight calls to
    /// libm's `fmaf` (bench/cpu_flags.sh measured that build some 30 times slower). The choice
    /// is fixed at compile time, so every process of one build computes the same bits.
    @inline(__always)
    static func madd(_ acc: V8, _ x: V8, _ b: V8) -> V8 {
        fused ? acc.addingProduct(x, b) : acc + x * b
    }

    /// Whether `madd` fuses (a property, so the constant branch is folded without a warning).
    @inline(__always)
    static var fused: Bool { RECUR_BUILT_WITH_FMA != 0 }

    /// Writes (or adds) 16 accumulated columns, or only the first `width` of them.
    @inline(__always)
    static func store(_ lo: V8, _ hi: V8, _ c: UnsafeMutablePointer<Float>, _ width: Int, _ accumulate: Bool) {
        if width == 16 {
            let p = UnsafeMutableRawPointer(c)
            if accumulate {
                p.storeBytes(of: p.loadUnaligned(as: V8.self) + lo, as: V8.self)
                p.storeBytes(of: p.loadUnaligned(fromByteOffset: 32, as: V8.self) + hi, toByteOffset: 32, as: V8.self)
            } else {
                p.storeBytes(of: lo, as: V8.self)
                p.storeBytes(of: hi, toByteOffset: 32, as: V8.self)
            }
            return
        }
        for j in 0..<width {
            let v = j < 8 ? lo[j] : hi[j - 8]
            c[j] = accumulate ? c[j] + v : v
        }
    }
}
