// OptimizerKernelTests: the eight-wide update gives the bits of the naive element loop for every
// rule, over ranges with tails, across several steps; and an update applied piece by piece gives
// the bits of one update over the whole vector.
import XCTest
import RecurMath
import RecurModel

final class OptimizerKernelTests: XCTestCase {
    func buffer(_ count: Int, seed: UInt64, scale: Float, positive: Bool = false) -> FloatBuffer {
        var rng = SplitMix64(seed: seed)
        let b = FloatBuffer(count: count)
        for i in 0..<count {
            let u = Float(rng.next() % 1_000_003) / 1_000_003
            b[i] = (positive ? u : 2 * u - 1) * scale
        }
        return b
    }

    func testEightWideEqualsNaiveForEveryRule() {
        let count = 1_037  // not a multiple of eight
        for kind in OptimizerKind.allCases {
            let p1 = buffer(count, seed: 1, scale: 0.5), p2 = buffer(count, seed: 1, scale: 0.5)
            let m1 = buffer(count, seed: 2, scale: 0.01), m2 = buffer(count, seed: 2, scale: 0.01)
            let v1 = buffer(count, seed: 3, scale: 1e-4, positive: true), v2 = buffer(count, seed: 3, scale: 1e-4, positive: true)
            let before = p1.array
            for step in 0..<4 {
                let g = buffer(count, seed: 10 + UInt64(step), scale: 0.05)
                let rule = OptimizerKernels.Rule(kind: kind, lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8,
                                                 stepSize: 0.01 / 0.19, rootBC2: Float(0.002).squareRoot(),
                                                 scale: step % 2 == 0 ? 1 : 0.37)
                let range = 3..<count - 2  // both ends unaligned
                OptimizerKernels.naive(rule, p: p1.pointer, g: g.pointer, m: m1.pointer, v: v1.pointer, range: range)
                OptimizerKernels.apply(rule, p: p2.pointer, g: g.pointer, m: m2.pointer, v: v2.pointer, range: range)
            }
            XCTAssertEqual(p1.array.map(\.bitPattern), p2.array.map(\.bitPattern), "\(kind) params")
            XCTAssertEqual(m1.array.map(\.bitPattern), m2.array.map(\.bitPattern), "\(kind) first moment")
            XCTAssertEqual(v1.array.map(\.bitPattern), v2.array.map(\.bitPattern), "\(kind) second moment")
            XCTAssertNotEqual(p1.array, before, "\(kind) changed nothing")
            XCTAssertEqual(p1[0], before[0], "\(kind) wrote outside the range")
            XCTAssertEqual(p1[count - 1], before[count - 1], "\(kind) wrote outside the range")
        }
    }

    func testPiecewiseUpdateEqualsWholeUpdate() {
        let count = 200_003  // above the two-way split, with a tail
        for kind in OptimizerKind.allCases {
            let config = OptimizerConfig(kind: kind, learningRate: 0.003)
            let whole = Optimizer(config: config, count: count), pieces = Optimizer(config: config, count: count)
            let p1 = buffer(count, seed: 4, scale: 0.5), p2 = buffer(count, seed: 4, scale: 0.5)
            for step in 0..<3 {
                let g = buffer(count, seed: 20 + UInt64(step), scale: 0.05)
                whole.apply(params: p1, grads: g, scale: 0.8)
                let c = pieces.beginStep()
                for r in [0..<70_001, 70_001..<70_010, 70_010..<count] { pieces.apply(c, params: p2, grads: g, range: r, scale: 0.8) }
            }
            XCTAssertEqual(p1.array.map(\.bitPattern), p2.array.map(\.bitPattern), "\(kind)")
            XCTAssertEqual(whole.step, pieces.step)
        }
    }
}
