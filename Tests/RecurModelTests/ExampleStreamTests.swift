// ExampleStreamTests: the example model's `needs` and `finished` callbacks tell the truth, so a
// worker can fill parameters as they arrive and send gradient ranges as they are final.
@testable import RecurModel
import RecurMath
import XCTest

final class ExampleStreamTests: XCTestCase {
    private func cases() -> [ExampleCase] {
        var out: [ExampleCase] = []
        for (i, v) in [CellVariant.lstmPeephole, .gru].enumerated() {
            for pooling in [ExampleModel.Pooling.everyToken, .lastToken] {
                for vocab in [5, 40] {  // the first layer reads tokens, or embedded rows
                    var cfg = v.config(hidden: 5, layers: 2, embed: 3, vocab: vocab, dropout: 0.2)
                    cfg.bidirectional = true
                    cfg.outputs = 3
                    out.append(.random(cfg, pooling: pooling, lengths: [4, 2, 3], seed: UInt64(70 + i),
                                       dropout: DropoutKey(seed: 1, step: 2, firstLane: 3)))
                }
            }
        }
        return out
    }

    /// With parameters that hold NaN until `needs` asks for them, and each range `finished`
    /// reports copied at once, the loss and every copied range equal a plain run's, bit for bit.
    func testNeedsAndFinishedAreHonest() {
        for c in cases() {
            let tag = "\(c.config.cell) \(c.pooling) V=\(c.config.vocab)"
            let plain = c.runGradient()
            let ws = ExampleWorkspace(config: c.config, pooling: c.pooling, steps: c.steps, lanes: c.lanes)
            let p = FloatBuffer([Float](repeating: .nan, count: c.params.count)), g = FloatBuffer(count: c.params.count)
            var given = 0, sent = [Float](repeating: .nan, count: c.params.count), reports = 0
            let loss = c.withTargets { t in
                c.inputs.withUnsafeBufferPointer { x in
                    c.lengths.withUnsafeBufferPointer { len in
                        c.model.lossAndGradient(params: p.pointer, grads: g.pointer, ws: ws, inputs: x.baseAddress!,
                                                lengths: len.baseAddress!, targets: t, steps: c.steps, dropout: c.dropout,
                                                needs: { end in
                            for i in given..<max(given, end) { p.pointer[i] = c.params[i] }
                            given = max(given, end)
                        }, finished: { r, _ in
                            reports += 1
                            for i in r { sent[i] = g.pointer[i] }
                        })
                    }
                }
            }
            XCTAssertEqual(loss, plain.loss, tag)
            XCTAssertEqual(sent, plain.grads, "\(tag): a range changed after it was reported final")
            // At least the head, then per layer and direction its input weights, recurrent weights and biases.
            XCTAssertGreaterThanOrEqual(reports, 1 + 3 * c.config.layers * c.config.directions, "\(tag): ranges reported")
        }
    }
}
