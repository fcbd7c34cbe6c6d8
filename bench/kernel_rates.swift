// kernel_rates.swift: GFLOP/s of the products of one LSTM H=128 L=2 B=50 T=50 step, on one core
// and on two: recur's PackedGEMM (the recurrent product of one time step, for one 25-lane block)
// and OpenBLAS's sgemm on the chunk-wide products, whole and cut in two row halves run at once.
// bench/kernel_rates.sh compiles it with Sources/RecurMath/PackedGEMM.swift and FloatBuffer.swift.
import Dispatch
import Foundation

@_silgen_name("cblas_sgemm")
func cblas_sgemm(_ order: Int32, _ transA: Int32, _ transB: Int32, _ m: Int32, _ n: Int32, _ k: Int32,
                 _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                 _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32)
@_silgen_name("openblas_set_num_threads")
func openblas_set_num_threads(_ n: Int32)

func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Best of 7 timings of `reps` calls of `body`, in seconds per call.
func best(reps: Int, _ body: () -> Void) -> Double {
    for _ in 0..<max(1, reps / 10) { body() }
    var fastest = Double.infinity
    for _ in 0..<7 {
        let t0 = seconds()
        for _ in 0..<reps { body() }
        fastest = min(fastest, (seconds() - t0) / Double(reps))
    }
    return fastest
}

func filled(_ count: Int, _ value: Float) -> FloatBuffer {
    let b = FloatBuffer(count: count)
    for i in 0..<count { b.pointer[i] = value * Float(i % 7 + 1) }
    return b
}

func report(_ name: String, _ shape: String, flops: Double, _ secondsPerCall: Double) {
    print("| \(name) | \(shape) | \(String(format: "%.0f", flops / secondsPerCall / 1e9)) |")
}

/// PackedGEMM C[M, N] += A[M, K] · B[K, N].
func packed(m: Int, k: Int, n: Int) -> Double {
    let a = filled(m * k, 0.01), c = FloatBuffer(count: m * n), w = filled(k * n, 0.02)
    let p = PackedPanels(k: k, n: n)
    p.pack(w.pointer, ldw: n)
    return best(reps: 2_000) { PackedGEMM.multiply(m: m, a: a.pointer, lda: k, b: p, c: c.pointer, ldc: n, accumulate: true) }
}

/// OpenBLAS C[M, N] += op(A) · op(B), row-major, its rows cut into `parts` halves run at once.
func blas(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, parts: Int) -> Double {
    let a = filled(m * k, 0.01), b = filled(n * k, 0.02), c = FloatBuffer(count: m * n)
    let lda = transA ? m : k, ldb = transB ? k : n
    nonisolated(unsafe) let ap = a.pointer, bp = b.pointer, cp = c.pointer
    return best(reps: 20) {
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let r0 = part * m / parts, r1 = (part + 1) * m / parts
            cblas_sgemm(101, transA ? 112 : 111, transB ? 112 : 111, Int32(r1 - r0), Int32(n), Int32(k), 1,
                        transA ? ap + r0 : ap + r0 * lda, Int32(lda), bp, Int32(ldb), 1, cp + r0 * n, Int32(n))
        }
    }
}

openblas_set_num_threads(1)
let rows = 2_500, h = 128, g = 4 * 128, v = 66
print("| kernel | shape | GFLOP/s |")
print("|---|---|---|")
report("PackedGEMM, recurrent product of one 25-lane block (blocks of 5 and 4 rows)", "[25, 128] · [128, 512]",
       flops: 2.0 * 25 * Double(h * g), packed(m: 25, k: h, n: g))
report("PackedGEMM, backward recurrent product", "[25, 512] · [512, 128]",
       flops: 2.0 * 25 * Double(h * g), packed(m: 25, k: g, n: h))
for parts in [1, 2] {
    let on = parts == 1 ? "one core" : "two halves on two cores"
    report("OpenBLAS sgemm, input product, \(on)", "[2,500, 128] · [512, 128]ᵀ", flops: 2.0 * Double(rows * h * g),
           blas(transA: false, transB: true, m: rows, n: g, k: h, parts: parts))
    report("OpenBLAS sgemm, weight gradient, \(on)", "[512, 2,500] · [2,500, 128]", flops: 2.0 * Double(rows * h * g),
           blas(transA: true, transB: false, m: g, n: h, k: rows, parts: parts))
    report("OpenBLAS sgemm, input gradient, \(on)", "[2,500, 512] · [512, 128]", flops: 2.0 * Double(rows * h * g),
           blas(transA: false, transB: false, m: rows, n: h, k: g, parts: parts))
    report("OpenBLAS sgemm, head, \(on)", "[2,500, 128] · [66, 128]ᵀ", flops: 2.0 * Double(rows * h * v),
           blas(transA: false, transB: true, m: rows, n: v, k: h, parts: parts))
}
