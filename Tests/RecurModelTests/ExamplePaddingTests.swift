// ExamplePaddingTests: an example's numbers do not depend on its padding or on its batch mates,
// and shards of a batch add up to the batch.
import RecurModel
import XCTest

final class ExamplePaddingTests: XCTestCase {
    private func config(_ v: CellVariant, outputs: Int = 3, dropout: Float = 0) -> ModelConfig {
        var c = v.config(hidden: 6, layers: 2, embed: 4, vocab: 7, dropout: dropout)
        c.bidirectional = true
        c.outputs = outputs
        return c
    }

    private func assertClose(_ got: [Float], _ want: [Float], _ what: String, bound: Double = 2e-6,
                             file: StaticString = #filePath, line: UInt = #line) {
        let err = ErrorMetrics.mixed(got.doubles, want.doubles)
        XCTAssertLessThan(err.error, bound, "\(what): \(err)", file: file, line: line)
    }

    /// Other token ids and labels at padding, and a workspace with room for more steps, change
    /// no bit of the loss, the gradient or the real positions' logits.
    func testPaddingContentsChangeNothing() {
        for pooling in [ExampleModel.Pooling.everyToken, .lastToken] {
            let c = ExampleCase.random(config(.lstm), pooling: pooling, lengths: [5, 2, 4, 1], seed: 51)
            var other = c
            var rng = TestRNG(seed: 52)
            for t in 0..<c.steps {
                for j in 0..<c.lanes where t >= Int(c.lengths[j]) {
                    other.inputs[t * c.lanes + j] = Int32(rng.int(c.config.vocab))
                    if pooling == .everyToken { other.labels[t * c.lanes + j] = Int32(rng.int(3)) }
                }
            }
            XCTAssertNotEqual(other.inputs, c.inputs)
            let a = c.runGradient(), b = other.runGradient(capacity: c.steps + 3)
            XCTAssertEqual(a.loss, b.loss, "\(pooling)")
            XCTAssertEqual(a.grads, b.grads, "\(pooling): gradient")
            let real = c.realLogitRows
            XCTAssertEqual(real.map { a.logits[$0] }, real.map { b.logits[$0] }, "\(pooling): logits")
        }
    }

    /// Example 1 alone (T = its length) has the loss and gradient it has in a padded batch with a
    /// longer and a shorter example whose labels are ignored.
    func testExampleAloneEqualsInBatch() {
        for v in [CellVariant.lstm, .gru] {
            for pooling in [ExampleModel.Pooling.everyToken, .lastToken] {
                var c = ExampleCase.random(config(v), pooling: pooling, lengths: [5, 3, 4, 1], seed: v.seed + 53)
                for j in [0, 2, 3] {
                    if pooling == .lastToken { c.labels[j] = -1 } else { for t in 0..<c.steps { c.labels[t * c.lanes + j] = -1 } }
                }
                let batch = c.runGradient(), alone = c.slice(1..<2, steps: 3).runGradient()
                let tag = "\(v.rawValue) \(pooling)"
                XCTAssertEqual(batch.loss.count, alone.loss.count, tag)
                XCTAssertEqual(batch.loss.sum, alone.loss.sum, accuracy: 1e-5 * abs(alone.loss.sum), tag)
                assertClose(batch.grads, alone.grads, "\(tag) gradient")
            }
        }
    }

    /// With dropout, two shards of a batch (the key's first example moved) add up to the batch.
    func testShardsAddUpWithDropout() {
        let key = DropoutKey(seed: 3, step: 11, firstLane: 8)
        for pooling in [ExampleModel.Pooling.everyToken, .lastToken] {
            let c = ExampleCase.random(config(.lstmPeephole, dropout: 0.3), pooling: pooling, lengths: [5, 2, 4, 3],
                                       seed: 54, dropout: key)
            let whole = c.runGradient(), a = c.slice(0..<2).runGradient(), b = c.slice(2..<4).runGradient()
            XCTAssertEqual(whole.loss.count, a.loss.count + b.loss.count, "\(pooling)")
            XCTAssertEqual(whole.loss.sum, a.loss.sum + b.loss.sum, accuracy: 1e-5 * abs(whole.loss.sum), "\(pooling)")
            assertClose(whole.grads, zip(a.grads, b.grads).map { $0 + $1 }, "\(pooling) gradient")
        }
    }
}

extension ExampleCase {
    /// Indices into the logits of the rows of real positions (tagger) or of every example.
    var realLogitRows: [Int] {
        let c = config.headSize
        guard pooling == .everyToken else { return Array(0..<(lanes * c)) }
        var rows: [Int] = []
        for t in 0..<steps {
            for j in 0..<lanes where t < Int(lengths[j]) {
                let r = t * lanes + j
                rows += Array((r * c)..<((r + 1) * c))
            }
        }
        return rows
    }
}
