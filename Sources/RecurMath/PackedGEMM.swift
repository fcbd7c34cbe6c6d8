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

/// The product with packed panels, register-blocked as up to 6 rows × 16 columns of C held in
/// 8-lane accumulators (two per row); each element is a multiply–add chain over K in order
/// (`madd`), so its bits do not depend on M, on how rows are blocked or split, or on the thread
/// count.
///
/// An FMA has a latency of four cycles and two issue each cycle, so a block needs at least eight
/// independent accumulators (four rows) to keep both units busy. Rows are therefore taken in
/// blocks of four to six: 25 rows are a block of five and five of four, where blocks of four and
/// a single row would run that row at a quarter of the speed.
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
            while i < m {
                let rows = blockRows(left: m - i)
                block(rows, k: k, a: a + i * lda, lda: lda, panel: panel, c: c + i * ldc + col0, ldc: ldc,
                      width: width, accumulate: accumulate)
                i += rows
            }
        }
    }

    /// Rows of the next block when `left` rows remain (public so the tests can check the cover):
    /// all of them up to six; otherwise four, five or six, so that what remains is a multiple of
    /// four (at seven, four then three).
    @inline(__always)
    public static func blockRows(left: Int) -> Int {
        if left <= 6 { return left }
        if left == 7 { return 4 }
        switch left % 4 {
        case 0: return 4
        case 2: return 6
        default: return 5
        }
    }

    /// One block of `r` (1…6) rows × 16 columns: one loop for every size, which tests `r` at each k
    /// (predicted branches beside the multiply–adds).
    @inline(__always)
    static func block(_ r: Int, k: Int, a: UnsafePointer<Float>, lda: Int, panel: UnsafeRawPointer,
                      c: UnsafeMutablePointer<Float>, ldc: Int, width: Int, accumulate: Bool) {
        var s0 = V8(), s1 = V8(), s2 = V8(), s3 = V8(), s4 = V8(), s5 = V8()
        var s6 = V8(), s7 = V8(), s8 = V8(), s9 = V8(), s10 = V8(), s11 = V8()
        // Rows past `r` alias row 0; they are never read.
        let a0 = a, a1 = r > 1 ? a + lda : a, a2 = r > 2 ? a + 2 * lda : a
        let a3 = r > 3 ? a + 3 * lda : a, a4 = r > 4 ? a + 4 * lda : a, a5 = r > 5 ? a + 5 * lda : a
        for p in 0..<k {
            let b0 = panel.load(fromByteOffset: p * 64, as: V8.self)
            let b1 = panel.load(fromByteOffset: p * 64 + 32, as: V8.self)
            let x0 = V8(repeating: a0[p])
            s0 = madd(s0, x0, b0); s1 = madd(s1, x0, b1)
            if r > 1 { let x = V8(repeating: a1[p]); s2 = madd(s2, x, b0); s3 = madd(s3, x, b1) }
            if r > 2 { let x = V8(repeating: a2[p]); s4 = madd(s4, x, b0); s5 = madd(s5, x, b1) }
            if r > 3 { let x = V8(repeating: a3[p]); s6 = madd(s6, x, b0); s7 = madd(s7, x, b1) }
            if r > 4 { let x = V8(repeating: a4[p]); s8 = madd(s8, x, b0); s9 = madd(s9, x, b1) }
            if r > 5 { let x = V8(repeating: a5[p]); s10 = madd(s10, x, b0); s11 = madd(s11, x, b1) }
        }
        store(s0, s1, c, width, accumulate)
        if r > 1 { store(s2, s3, c + ldc, width, accumulate) }
        if r > 2 { store(s4, s5, c + 2 * ldc, width, accumulate) }
        if r > 3 { store(s6, s7, c + 3 * ldc, width, accumulate) }
        if r > 4 { store(s8, s9, c + 4 * ldc, width, accumulate) }
        if r > 5 { store(s10, s11, c + 5 * ldc, width, accumulate) }
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
