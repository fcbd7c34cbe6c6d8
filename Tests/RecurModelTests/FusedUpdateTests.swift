// FusedUpdateTests: the one-pass forms of the update give the bits of the plain sequence — scale
// then block sums; clip then optimizer step — for every optimizer, clipping or not.
import XCTest
import RecurMath
import RecurModel

final class FusedUpdateTests: XCTestCase {
    func randomBuffer(_ count: Int, seed: UInt64, scale: Float = 1) -> FloatBuffer {
        var rng = SplitMix64(seed: seed)
        let b = FloatBuffer(count: count)
        for i in 0..<count { b[i] = (Float(rng.next() % 20_001) / 10_000 - 1) * scale }
        return b
    }

    func testScaleAndBlockSumsEqualsScaleThenBlockSums() {
        for count in [5, 1_024, 3_001] {
            let a = randomBuffer(count, seed: UInt64(count)), b = randomBuffer(count, seed: UInt64(count))
            let fused = NormBlocks.scaleAndBlockSums(a.pointer, count: count, by: 1 / 37)
            Gradients.scale(b, by: 1 / 37)
            let plain = NormBlocks.blockSums(b.pointer, count: count)
            XCTAssertEqual(fused.map(\.bitPattern), plain.map(\.bitPattern))
            XCTAssertEqual(a.array.map(\.bitPattern), b.array.map(\.bitPattern))
        }
    }

    func testOptimizerWithAScaleEqualsClippingFirst() {
        let count = 70_001  // above the two-way split
        for kind in OptimizerKind.allCases {
            for maxNorm in [0.0, 1.0] {  // off, and below the gradient's norm
                let g = randomBuffer(count, seed: 9, scale: 0.05)
                let norm = Gradients.norm(g)
                let fusedParams = randomBuffer(count, seed: 1), plainParams = randomBuffer(count, seed: 1)
                let fused = Optimizer(config: OptimizerConfig(kind: kind, learningRate: 0.01), count: count)
                let plain = Optimizer(config: OptimizerConfig(kind: kind, learningRate: 0.01), count: count)
                for _ in 0..<3 {
                    fused.apply(params: fusedParams, grads: g, scale: Gradients.clipFactor(maxNorm: maxNorm, norm: norm))
                    let copy = FloatBuffer(count: count)
                    copy.pointer.update(from: g.pointer, count: count)
                    Gradients.clip(copy, maxNorm: maxNorm, norm: norm)
                    plain.apply(params: plainParams, grads: copy)
                }
                XCTAssertEqual(fusedParams.array.map(\.bitPattern), plainParams.array.map(\.bitPattern), "\(kind), clip \(maxNorm)")
                XCTAssertEqual(fused.m.array.map(\.bitPattern), plain.m.array.map(\.bitPattern))
                XCTAssertEqual(fused.v.array.map(\.bitPattern), plain.v.array.map(\.bitPattern))
                if maxNorm > 0 { XCTAssertLessThan(Gradients.clipFactor(maxNorm: maxNorm, norm: norm), 1, "clipping must be exercised") }
            }
        }
    }
}
