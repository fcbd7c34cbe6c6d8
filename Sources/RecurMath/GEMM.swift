// GEMM: C = alpha * op(A) * op(B) + beta * C in row-major Float32, through CBLAS, with a naive
// reference beside it for tests.
import COpenBLAS
import Dispatch
import Synchronization

/// Matrix products on row-major Float32 matrices.
///
/// Shapes follow BLAS: `op(A)` is `[M, K]`, `op(B)` is `[K, N]`, `C` is `[M, N]`. `lda`, `ldb`
/// and `ldc` are the row strides of the stored (untransposed) matrices.
public enum GEMM {
    /// C[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · C, through OpenBLAS's `cblas_sgemm`.
    /// - Parameters:
    ///   - transA: use Aᵀ, where A is stored `[K, M]`.
    ///   - transB: use Bᵀ, where B is stored `[N, K]`.
    ///   - m: rows of C.
    ///   - n: columns of C.
    ///   - k: the contracted dimension.
    ///   - alpha: scale of the product.
    ///   - a: A's storage; `lda` is its row stride.
    ///   - b: B's storage; `ldb` is its row stride.
    ///   - beta: scale of the existing C (0 overwrites it).
    ///   - c: C's storage; `ldc` is its row stride.
    @inlinable
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The algorithmic reference for `sgemm`: a plain triple loop accumulating in Double.
    ///
    /// Same arguments as `sgemm`. Slow; used by tests to check the fast path.
    public static func naive(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * acc + old)
            }
        }
    }
}

/// Process-wide thread settings for the math kernels.
///
/// OpenBLAS itself always runs single-threaded: its worker threads spin and yield between
/// calls, which steals the cores our own parallel loops need. Parallelism comes from `Parallel`
/// instead, over splits fixed by the shapes alone, so results do not depend on the thread count.
public enum MathThreads {
    /// Atomic because `set` may run while another thread's `Parallel.run` reads it (tests, a
    /// role that sets its threads after start-up); a relaxed load costs a plain load.
    static let count = Atomic<Int>(1)

    /// Sets the number of threads the kernels may use (BLAS calls stay single-threaded).
    /// - Parameter count: threads, at least 1.
    public static func set(_ count: Int) {
        openblas_set_num_threads(1)
        self.count.store(max(1, count), ordering: .relaxed)
    }

    /// The number of threads the kernels may use.
    public static var current: Int { count.load(ordering: .relaxed) }
}

/// Runs independent parts of a computation, in parallel when the process has two or more
/// threads. The parts are chosen by the caller from shapes alone, never from the thread count.
public enum Parallel {
    /// Runs `body(i)` for i in 0..<parts.
    public static func run(parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 || MathThreads.current < 2 {
            for i in 0..<parts { body(i) }
            return
        }
        withoutActuallyEscaping(body) { f in
            let shared = Parts(body: f)
            DispatchQueue.concurrentPerform(iterations: parts) { shared.body($0) }
        }
    }

    /// The body, handed to several threads at once. Sound because every caller splits its work
    /// into parts that write disjoint memory (rows, lane blocks, element ranges fixed by the
    /// shapes) and read only what no part writes, and `run` returns only after every part has
    /// ended, so the body never outlives the call.
    private struct Parts: @unchecked Sendable {
        let body: (Int) -> Void
    }
}

extension GEMM {
    /// Rows of C below which a product is not split.
    public static let splitMinimumRows = 64

    /// `sgemm` with the rows of C split into two fixed halves (when C has at least
    /// 2·`splitMinimumRows` rows) computed in parallel by single-threaded BLAS. The split depends
    /// on M alone, so the bits are the same for any thread count.
    /// - Parameter rowsDone: told of each half's rows of C once they are final: as each is done
    ///   on one thread, after both when they run in parallel.
    public static func sgemmRows(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                 b: UnsafePointer<Float>, ldb: Int,
                                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                                 rowsDone: ((Range<Int>) -> Void)? = nil) {
        let parts = m >= 2 * splitMinimumRows ? 2 : 1
        func rows(_ p: Int) -> Range<Int> { p * m / parts ..< (p + 1) * m / parts }
        func part(_ p: Int) {
            let r = rows(p)
            let ap = transA ? a + r.lowerBound : a + r.lowerBound * lda
            sgemm(transA: transA, transB: transB, m: r.count, n: n, k: k, alpha: alpha, a: ap, lda: lda,
                  b: b, ldb: ldb, beta: beta, c: c + r.lowerBound * ldc, ldc: ldc)
        }
        if let rowsDone, parts == 1 || MathThreads.current < 2 {
            for p in 0..<parts { part(p); rowsDone(rows(p)) }
            return
        }
        Parallel.run(parts: parts) { part($0) }
        if let rowsDone { for p in 0..<parts { rowsDone(rows(p)) } }
    }
}
