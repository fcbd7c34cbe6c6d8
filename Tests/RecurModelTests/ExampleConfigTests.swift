// ExampleConfigTests: the configuration's new fields on disk, the bidirectional layout, and the
// unidirectional tagger against the language model it generalises.
@testable import RecurModel
import Foundation
import RecurMath
import XCTest

final class ExampleConfigTests: XCTestCase {
    /// JSON written before `bidirectional` and `outputs` existed still decodes, and a language
    /// model's configuration encodes without them.
    func testOldJSONDecodesAndLanguageModelJSONIsUnchanged() throws {
        let old = #"{"cell":"lstm","activation":"tanh","hidden":8,"layers":2,"embed":4,"vocab":10,"peephole":false,"dropout":0}"#
        let c = try JSONDecoder().decode(ModelConfig.self, from: Data(old.utf8))
        XCTAssertEqual(c, ModelConfig(cell: .lstm, hidden: 8, layers: 2, embed: 4, vocab: 10))
        XCTAssertFalse(c.bidirectional)
        XCTAssertNil(c.outputs)
        let keys = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any]).keys
        XCTAssertEqual(Set(keys), ["cell", "activation", "hidden", "layers", "embed", "vocab", "peephole", "dropout"])
        var bi = c
        bi.bidirectional = true
        bi.outputs = 3
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(bi)), bi)
    }

    func testValidateAndLanguageModelRefuseWhatDoesNotFit() {
        XCTAssertThrowsError(try ModelConfig(cell: .gru, hidden: 4, vocab: 5, outputs: 0).validate())
        XCTAssertThrowsError(try LanguageModel(ModelConfig(cell: .gru, hidden: 4, vocab: 5, bidirectional: true)))
        XCTAssertThrowsError(try LanguageModel(ModelConfig(cell: .gru, hidden: 4, vocab: 5, outputs: 2)))
    }

    /// PyTorch's state_dict order and shapes for nn.LSTM(bidirectional=True) with peepholes
    /// after each direction's biases, and a head over D·H features.
    func testBidirectionalLayout() {
        let cfg = ModelConfig(cell: .lstm, hidden: 4, layers: 2, embed: 3, vocab: 9, peephole: true,
                              bidirectional: true, outputs: 5)
        let layout = ParameterLayout(cfg)
        var want = ["embedding.weight"]
        for k in 0..<2 {
            for s in ["l\(k)", "l\(k)_reverse"] {
                want += ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_peephole"].map { "rnn.\($0)_\(s)" }
            }
        }
        XCTAssertEqual(layout.specs.map(\.name), want + ["head.weight", "head.bias"])
        XCTAssertEqual(layout.spec("rnn.weight_ih_l1_reverse")?.shape, [16, 8])
        XCTAssertEqual(layout.spec("head.weight")?.shape, [5, 8])
        XCTAssertEqual(layout.spec("head.bias")?.shape, [5])
        let p = FloatBuffer(count: layout.count)
        ParameterInit.fill(p, config: cfg, seed: 1)
        for spec in layout.specs {
            let bound: Float = spec.name.hasPrefix("head.") ? 1 / Float(8).squareRoot() : 0.5
            let values = (0..<spec.count).map { p[spec.offset + $0] }
            XCTAssert(values.contains { $0 != 0 }, "\(spec.name) left at zero")
            if spec.name != "embedding.weight" { XCTAssert(values.allSatisfy { abs($0) <= bound }, spec.name) }
        }
    }

    /// One direction, every position labelled, all examples full length, head over the
    /// vocabulary: the tagger's logits are the language model's from a zero state, bit for bit.
    func testUnidirectionalTaggerIsTheLanguageModelFromZeroState() {
        for v in [CellVariant.lstmPeephole, .gru] {
            let cfg = v.config()
            let lm = ModelCase.random(cfg, lanes: 3, steps: 4, seed: v.seed + 60)
            var zero = lm
            zero.state = [Float](repeating: 0, count: lm.state.count)
            let tagger = ExampleCase(config: cfg, pooling: .everyToken, steps: 4, lengths: [4, 4, 4], params: lm.params,
                                     inputs: lm.inputs, labels: lm.targets, dropout: nil)
            XCTAssertEqual(tagger.forwardLogits(), zero.runForward().logits, v.rawValue)
            let a = tagger.runGradient(), b = zero.runGradient()
            XCTAssertEqual(a.loss, b.loss, v.rawValue)
            XCTAssertEqual(a.grads, b.grads, v.rawValue)
        }
    }
}
