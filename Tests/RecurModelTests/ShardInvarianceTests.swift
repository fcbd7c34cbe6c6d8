// ShardInvarianceTests: a 4-lane chunk equals the sum of its two 2-lane shards, dropout included.
import RecurModel
import XCTest

final class ShardInvarianceTests: XCTestCase {
    /// Relative bound 1e-5: exact equality is not required (GEMM shapes differ). Gradients are held
    /// to it per tensor, normwise (max |a−b| / max |b|), since a small entry is a sum of larger
    /// terms and carries their rounding; a wrong mask or lane offset changes a tensor by ~10 %.
    static let bound = 1e-5

    private func normwise(_ got: [Float], _ want: [Float], layout: ParameterLayout) -> (error: Double, name: String) {
        var worst = (0.0, "")
        for spec in layout.specs {
            let r = spec.offset..<(spec.offset + spec.count)
            let diff = ErrorMetrics.absolute(Array(got[r]).doubles, Array(want[r]).doubles).error
            let scale = want[r].map { abs(Double($0)) }.max()!
            let e = scale > 0 ? diff / scale : diff
            if !(e <= worst.0) { worst = (e, spec.name) }
        }
        return worst
    }

    private func checkShards(_ v: CellVariant, dropout: Float, binary: Bool = false) {
        let key = DropoutKey(seed: 4242, step: 17, firstLane: 0)
        let whole = ModelCase.random(v.config(dropout: dropout), lanes: 4, steps: 4, seed: 800 + v.seed,
                                     binary: binary, dropout: key)
        let all = whole.runGradient()
        let a = whole.slice(lanes: 0..<2), b = whole.slice(lanes: 2..<4)
        XCTAssertEqual(b.dropout?.firstLane, 2)
        let ra = a.runGradient()
        let rb = b.runGradient(into: ra.grads)  // accumulate the second shard onto the first
        let label = "\(v.rawValue) dropout \(dropout)"

        XCTAssertEqual(ra.loss.count + rb.loss.count, all.loss.count, label)
        let lossSum = ra.loss.sum + rb.loss.sum
        XCTAssertLessThan(abs(lossSum - all.loss.sum) / abs(all.loss.sum), Self.bound, "\(label) loss")
        let g = normwise(rb.grads, all.grads, layout: whole.layout)
        XCTAssertLessThan(g.error, Self.bound, "\(label) gradient of \(g.name): \(g.error)")
        let elementwise = ErrorMetrics.relative(rb.grads.doubles, all.grads.doubles, floor: 1e-3)
        let s = ErrorMetrics.relative((ra.state + rb.state).doubles, all.state.doubles, floor: 1e-3)
        XCTAssertLessThan(s.error, Self.bound, "\(label) state \(s)")
        print("[shard] \(label): gradient normwise \(g.error) (\(g.name)), elementwise \(elementwise), state \(s.error)")

        // A shard keyed as if it were lanes 0..<2 must see different masks than lanes 2..<4.
        if dropout > 0 {
            var wrong = b
            wrong.dropout = key
            let rw = wrong.runGradient(into: ra.grads)
            XCTAssertGreaterThan(normwise(rw.grads, all.grads, layout: whole.layout).error, 1e-3)
        }
    }

    func testLSTMWithDropout() { checkShards(.lstmPeephole, dropout: 0.3) }
    func testGRUWithDropout() { checkShards(.gru, dropout: 0.5) }
    func testGRUMinWithoutDropout() { checkShards(.gruMin, dropout: 0) }
    func testRNNBinaryWithDropout() { checkShards(.rnnRelu, dropout: 0.25, binary: true) }
}
