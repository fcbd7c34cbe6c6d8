// MathTests: GEMM (fast vs naive vs hand values) and the element-wise kernels against Foundation's Double math.
import Foundation
import RecurMath
import XCTest

final class MathTests: XCTestCase {
    // MARK: GEMM

    /// C = alpha·op(A)·op(B) + beta·C with padded strides; sgemm and naive against a Double triple loop,
    /// |err| ≤ 1e-5 · (|alpha| Σ|a||b| + |beta c|).
    func testSGEMMAndNaiveAllTransposesOddSizes() {
        var rng = TestRNG(seed: 11)
        var worst = 0.0
        for (m, n, k) in [(1, 1, 1), (7, 13, 5), (17, 3, 33), (31, 29, 19), (2, 40, 1)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.75, 1.5), (-2, 1)] {
                        let aRows = transA ? k : m, aCols = transA ? m : k, lda = aCols + 2
                        let bRows = transB ? n : k, bCols = transB ? k : n, ldb = bCols + 3
                        let ldc = n + 1
                        let a = (0..<(aRows * lda)).map { _ in rng.float(-1, 1) }
                        let b = (0..<(bRows * ldb)).map { _ in rng.float(-1, 1) }
                        let c0 = (0..<(m * ldc)).map { _ in rng.float(-1, 1) }
                        var fast = c0, slow = c0
                        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                   b: b, ldb: ldb, beta: beta, c: &fast, ldc: ldc)
                        GEMM.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                   b: b, ldb: ldb, beta: beta, c: &slow, ldc: ldc)
                        for i in 0..<m {
                            for j in 0..<n {
                                var want = 0.0, mag = 0.0
                                for p in 0..<k {
                                    let av = Double(transA ? a[p * lda + i] : a[i * lda + p])
                                    let bv = Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                                    want += av * bv
                                    mag += abs(av * bv)
                                }
                                want = Double(alpha) * want + Double(beta) * Double(c0[i * ldc + j])
                                mag = abs(Double(alpha)) * mag + abs(Double(beta) * Double(c0[i * ldc + j])) + 1e-30
                                let ef = abs(Double(fast[i * ldc + j]) - want) / mag
                                let en = abs(Double(slow[i * ldc + j]) - want) / mag
                                worst = max(worst, ef)
                                let label = "m\(m) n\(n) k\(k) tA \(transA) tB \(transB) alpha \(alpha) beta \(beta) (\(i),\(j))"
                                XCTAssertLessThan(ef, 1e-5, "sgemm " + label)
                                XCTAssertLessThan(en, 1e-5, "naive " + label)
                            }
                            // The padding column of C is not written.
                            XCTAssertEqual(fast[i * ldc + n], c0[i * ldc + n])
                            XCTAssertEqual(slow[i * ldc + n], c0[i * ldc + n])
                        }
                    }
                }
            }
        }
        print("[gemm] sgemm worst error / magnitude: \(worst)")
    }

    /// A hand-computed product pins down the storage convention of both paths.
    func testGEMMHandValues() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // [2, 3]
        let b: [Float] = [7, 8, 9, 10, 11, 12]  // [3, 2]
        typealias Product = (Bool, Bool, Int, Int, Int, Float, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int,
                             Float, UnsafeMutablePointer<Float>, Int) -> Void
        let paths: [Product] = [GEMM.sgemm, GEMM.naive]
        for f in paths {
            var c: [Float] = [1, 1, 1, 1]
            f(false, false, 2, 2, 3, 1, a, 3, b, 2, 1, &c, 2)
            XCTAssertEqual(c, [59, 65, 140, 155])
            var ct: [Float] = [0, 0, 0, 0]  // Aᵀ (A stored [3, 2] = b) times Bᵀ (B stored [2, 3] = a)
            f(true, true, 2, 2, 3, 2, b, 2, a, 3, 0, &ct, 2)
            XCTAssertEqual(ct, [116, 278, 128, 308])
        }
    }

    /// k = 0: C = beta·C, and beta = 0 clears even non-finite values.
    func testGEMMEmptyInnerDimension() {
        let a: [Float] = [1], b: [Float] = [1]
        var c: [Float] = [2, .nan, 4]
        GEMM.sgemm(m: 1, n: 3, k: 0, a: a, lda: 1, b: b, ldb: 3, beta: 0, c: &c, ldc: 3)
        XCTAssertEqual(c, [0, 0, 0])
        var d: [Float] = [2, -3, 4]
        GEMM.sgemm(m: 1, n: 3, k: 0, a: a, lda: 1, b: b, ldb: 3, beta: 0.5, c: &d, ldc: 3)
        XCTAssertEqual(d, [1, -1.5, 2])
    }

    // MARK: Element-wise kernels

    /// Points from −100 to 100 (541 of them, not a multiple of 16) plus tiny and boundary values.
    static let sweep: [Float] = {
        var xs = (0..<541).map { Float(-100 + Double($0) * 0.37) }
        for s in [0, 1e-38, 1e-30, 1e-20, 1e-10, 1e-7, 1e-4, 1e-3, 0.1, 0.3465, 0.3466, 0.5, 1, 2, 9, 10, 15, 20, 44, 80, 87] as [Double] {
            xs.append(Float(s))
            xs.append(Float(-s))
        }
        return xs
    }()

    /// |got − want| ≤ rel·|want| + abs, worst reported in units of rel·|want|.
    private func checkMap(_ name: String, _ xs: [Float], rel: Double, abs absTol: Double,
                          kernel: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                          want f: (Double) -> Double) {
        var ys = [Float](repeating: .nan, count: xs.count)
        xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { kernel(xs.count, x.baseAddress!, $0.baseAddress!) } }
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let w = f(Double(x)), err = Swift.abs(Double(y) - w)
            XCTAssertLessThanOrEqual(err, rel * Swift.abs(w) + absTol, "\(name)(\(x)) = \(y), want \(w)")
            if Swift.abs(w) > 1e-30 { worst = max(worst, err / Swift.abs(w)) }
        }
        print("[kernels] \(name): worst relative error \(worst) (\(worst / 0x1p-24) half-ulps) over \(xs.count) points")
    }

    func testSigmoid() {
        checkMap("sigmoid", Self.sweep, rel: 1e-6, abs: 1e-37, kernel: Kernels.sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
    }

    func testTanh() {
        checkMap("tanh", Self.sweep, rel: 1e-6, abs: 1e-37, kernel: Kernels.tanh) { Foundation.tanh($0) }
    }

    func testRelu() {
        checkMap("relu", Self.sweep, rel: 0, abs: 0, kernel: Kernels.relu) { max($0, 0) }
    }

    /// exp over its finite range, relative 1e-6. Below −87.3 the kernel clamps its input (documented
    /// in FastMath.reduce), so there it returns e^−87.3 ≈ 1.22e-38 instead of a subnormal or 0:
    /// only an absolute bound of e^−87.3 holds.
    func testExp() {
        let inRange = Self.sweep.filter { $0 >= -87.3 && $0 <= 88.3 }
        checkMap("exp", inRange, rel: 1e-6, abs: 0, kernel: Kernels.exp) { Foundation.exp($0) }
        let below = Self.sweep.filter { $0 < -87.3 }
        checkMap("exp (underflow)", below, rel: 0, abs: Foundation.exp(-87.3) * (1 + 1e-6), kernel: Kernels.exp) { Foundation.exp($0) }
    }

    /// eˣ is finite up to ln(Float.greatestFiniteMagnitude) ≈ 88.7228; the kernel must not overflow early.
    /// (Fails: for x ≥ 88.3763 the reduction picks n = 128 and builds 2ⁿ as exponent bits 255 = +inf.)
    func testExpFiniteUpToLogFloatMax() {
        let xs: [Float] = [88.3, 88.38, 88.45, 88.5, 88.6, 88.7, 88.72]
        checkMap("exp (near overflow)", xs, rel: 1e-6, abs: 0, kernel: Kernels.exp) { Foundation.exp($0) }
        for x in xs {
            let got = FastMath.expm1(x), want = Foundation.expm1(Double(x))
            XCTAssertLessThanOrEqual(Swift.abs(Double(got) - want), 1e-6 * want, "expm1(\(x)) = \(got), want \(want)")
        }
    }

    /// Beyond the finite range exp and expm1 overflow to +inf, never NaN.
    /// (expm1 fails: s·q + (s − 1) with s = +inf and q < 0 is −inf + inf = NaN.)
    func testOverflowIsInfinityNotNaN() {
        for x: Float in [89, 95, 100, 1000, .infinity] {
            XCTAssertEqual(FastMath.exp(x), .infinity, "exp(\(x))")
            XCTAssertEqual(FastMath.expm1(x), .infinity, "expm1(\(x))")
            // The saturated ends of sigmoid and tanh stay finite and exact.
            XCTAssertEqual(FastMath.sigmoid(x), 1, "sigmoid(\(x))")
            XCTAssertEqual(FastMath.sigmoid(-x), 0, "sigmoid(\(-x))")
            XCTAssertEqual(FastMath.tanh(x), 1, "tanh(\(x))")
            XCTAssertEqual(FastMath.tanh(-x), -1, "tanh(\(-x))")
        }
    }

    /// expm1 (FastMath; Kernels has no buffer wrapper), accurate near zero.
    func testExpm1() {
        var worst = 0.0
        for x in Self.sweep where x >= -87.3 && x <= 88.3 {
            let got = FastMath.expm1(x), want = Foundation.expm1(Double(x)), err = Swift.abs(Double(got) - want)
            XCTAssertLessThanOrEqual(err, 1e-6 * Swift.abs(want) + 1e-37, "expm1(\(x)) = \(got), want \(want)")
            if want != 0 { worst = max(worst, err / Swift.abs(want)) }
        }
        print("[kernels] expm1: worst relative error \(worst)")
    }

    /// The scalar functions agree with the buffer kernels built on them.
    func testScalarMatchesBufferKernels() {
        let xs = Self.sweep
        var sig = [Float](repeating: 0, count: xs.count), th = sig, ex = sig
        Kernels.sigmoid(xs.count, xs, &sig)
        Kernels.tanh(xs.count, xs, &th)
        Kernels.exp(xs.count, xs, &ex)
        XCTAssertEqual(sig, xs.map(FastMath.sigmoid))
        XCTAssertEqual(th, xs.map(FastMath.tanh))
        XCTAssertEqual(ex, xs.map(FastMath.exp))
    }

    /// Counts that are not multiples of the vector width write exactly `count` elements, also in place.
    func testPartialVectorsWriteExactlyCount() {
        for count in [1, 5, 15, 16, 17, 31, 33] {
            let xs = (0..<count).map { Float($0) * 0.7 - 3 }
            var ys = [Float](repeating: 12345, count: count + 9)
            Kernels.tanh(count, xs, &ys)
            for j in 0..<count { XCTAssertEqual(Double(ys[j]), Foundation.tanh(Double(xs[j])), accuracy: 1e-6) }
            XCTAssert(ys[count...].allSatisfy { $0 == 12345 }, "tanh wrote past count \(count)")
            var inPlace = xs + [Float](repeating: -7, count: 5)
            inPlace.withUnsafeMutableBufferPointer { Kernels.sigmoid(count, $0.baseAddress!, $0.baseAddress!) }
            for j in 0..<count { XCTAssertEqual(Double(inPlace[j]), 1 / (1 + Foundation.exp(-Double(xs[j]))), accuracy: 1e-6) }
            XCTAssert(inPlace[count...].allSatisfy { $0 == -7 }, "sigmoid wrote past count \(count)")
        }
    }

    // MARK: Row-wise softmax

    private func randomRows(rows: Int, cols: Int, seed: UInt64) -> [Float] {
        var rng = TestRNG(seed: seed)
        return (0..<(rows * cols)).map { i in rng.float(-6, 6) + (i / cols == 1 ? 500 : 0) + (i / cols == 2 ? -300 : 0) }
    }

    private func expectedLogSoftmax(_ x: [Float], rows: Int, cols: Int) -> [Double] {
        (0..<(rows * cols)).map { i in
            let r = i / cols, row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let top = row.max()!
            return Double(x[i]) - top - Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
        }
    }

    func testSoftmaxRows() {
        for cols in [1, 6, 16, 17, 40] {
            let rows = 4, x = randomRows(rows: rows, cols: cols, seed: UInt64(cols))
            var y = [Float](repeating: .nan, count: x.count)
            Kernels.softmaxRows(rows: rows, cols: cols, x, &y)
            let want = expectedLogSoftmax(x, rows: rows, cols: cols).map { Foundation.exp($0) }
            for i in 0..<x.count {
                XCTAssertLessThanOrEqual(Swift.abs(Double(y[i]) - want[i]), 2e-6 * want[i] + 1e-37, "cols \(cols) [\(i)] \(y[i]) vs \(want[i])")
            }
            for r in 0..<rows { XCTAssertEqual(y[(r * cols)..<((r + 1) * cols)].reduce(0, +), 1, accuracy: 2e-6) }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { Kernels.softmaxRows(rows: rows, cols: cols, $0.baseAddress!, $0.baseAddress!) }
            XCTAssertEqual(inPlace, y, "in-place softmax differs, cols \(cols)")
        }
    }

    func testLogSoftmaxRows() {
        for cols in [1, 6, 16, 17, 40] {
            let rows = 4, x = randomRows(rows: rows, cols: cols, seed: 100 + UInt64(cols))
            var y = [Float](repeating: .nan, count: x.count)
            Kernels.logSoftmaxRows(rows: rows, cols: cols, x, &y)
            let want = expectedLogSoftmax(x, rows: rows, cols: cols)
            for i in 0..<x.count {
                // x − lse is formed in Float from values up to ~500: allow a few ulps of the input.
                let tol = 1e-6 * max(1, Swift.abs(want[i]), Swift.abs(Double(x[i])))
                XCTAssertLessThanOrEqual(Swift.abs(Double(y[i]) - want[i]), tol, "cols \(cols) [\(i)] \(y[i]) vs \(want[i])")
            }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { Kernels.logSoftmaxRows(rows: rows, cols: cols, $0.baseAddress!, $0.baseAddress!) }
            XCTAssertEqual(inPlace, y, "in-place log-softmax differs, cols \(cols)")
        }
    }
}

/// PackedGEMM against the naive reference, for both packings, both modes, and sizes that leave
/// partial row groups and partial 16-column panels.
final class PackedGEMMTests: XCTestCase {
    func testPackedProductsMatchTheNaiveReference() {
        var rng = SplitMix64(seed: 42)
        for (m, k, n) in [(1, 1, 1), (3, 7, 5), (4, 16, 16), (7, 9, 33), (13, 20, 48), (25, 128, 80)] {
            let a = (0..<(m * k)).map { _ in rng.nextUniform() * 2 - 1 }
            let w = (0..<(n * k)).map { _ in rng.nextUniform() * 2 - 1 }   // [N, K]: used transposed
            let bKN = (0..<(k * n)).map { _ in rng.nextUniform() * 2 - 1 }  // [K, N]: used as is
            let c0 = (0..<(m * n)).map { _ in rng.nextUniform() }
            for transposed in [true, false] {
                for accumulate in [false, true] {
                    var got = c0, want = c0
                    let panels = PackedPanels(k: k, n: n)
                    if transposed { panels.pack(transposeOf: w, ldw: k) } else { panels.pack(bKN, ldw: n) }
                    PackedGEMM.multiply(m: m, a: a, lda: k, b: panels, c: &got, ldc: n, accumulate: accumulate)
                    GEMM.naive(transB: transposed, m: m, n: n, k: k, a: a, lda: k, b: transposed ? w : bKN,
                               ldb: transposed ? k : n, beta: accumulate ? 1 : 0, c: &want, ldc: n)
                    let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(worst, 1e-4 * Float(k), "m=\(m) k=\(k) n=\(n) transposed=\(transposed) accumulate=\(accumulate)")
                }
            }
        }
    }

    func testRowsAreComputedIndependentlyOfTheirGroup() {
        // The same row must give the same bits whatever block (1 to 6 rows) it falls in: every M
        // from 1 to 27 is cut into different blocks, and each row is compared with that row alone.
        var rng = SplitMix64(seed: 3)
        let k = 37, n = 21, rows = 27
        let a = (0..<(rows * k)).map { _ in rng.nextUniform() - 0.5 }
        let w = (0..<(n * k)).map { _ in rng.nextUniform() - 0.5 }
        let panels = PackedPanels(k: k, n: n)
        panels.pack(transposeOf: w, ldw: k)
        var alone = [[UInt32]]()
        var one = [Float](repeating: 0, count: n)
        for r in 0..<rows {
            a.withUnsafeBufferPointer { PackedGEMM.multiply(m: 1, a: $0.baseAddress! + r * k, lda: k, b: panels,
                                                            c: &one, ldc: n, accumulate: false) }
            alone.append(one.map(\.bitPattern))
        }
        for m in 1...rows {
            var all = [Float](repeating: 0, count: m * n)
            PackedGEMM.multiply(m: m, a: a, lda: k, b: panels, c: &all, ldc: n, accumulate: false)
            for r in 0..<m {
                XCTAssertEqual(Array(all[(r * n)..<((r + 1) * n)]).map(\.bitPattern), alone[r], "m=\(m) row \(r)")
            }
        }
    }

    func testBlocksCoverEveryRowOnce() {
        for m in 1...200 {
            var left = m, blocks: [Int] = []
            while left > 0 { let r = PackedGEMM.blockRows(left: left); blocks.append(r); left -= r }
            XCTAssertEqual(blocks.reduce(0, +), m)
            XCTAssertTrue(blocks.allSatisfy { (1...6).contains($0) }, "m=\(m): \(blocks)")
            // No block under four rows when M allows it (M ≥ 4, except the 4 + 3 of seven).
            if m >= 4 && m != 7 { XCTAssertTrue(blocks.allSatisfy { $0 >= 4 }, "m=\(m): \(blocks)") }
        }
    }
}
