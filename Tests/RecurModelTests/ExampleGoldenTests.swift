// ExampleGoldenTests: the bidirectional LSTM tagger and classifier against PyTorch's packed
// sequences (Fixtures/examples_golden.json, written by scripts/torch_golden_examples.py).
import Foundation
import RecurModel
import XCTest

/// nn.Embedding → nn.LSTM(num_layers=2, bidirectional=True) → nn.Linear over a padded batch of
/// lengths 6, 4, 2: loss, logits at real positions, and every parameter's gradient.
final class ExampleGoldenTests: XCTestCase {
    private struct Golden: Decodable {
        struct Config: Decodable { let vocab, embed, hidden, layers, outputs, lanes, steps: Int }
        struct Case: Decodable {
            let name, pooling: String
            let config: Config
            let params: [GoldenFixture.Tensor]
            let inputs, lengths, targets: [Int32]
            let logits: [Float]
            let loss: Double
            let count: Int
            let grads: [String: [Float]]
        }
        let cases: [Case]
    }

    private func loadGolden() throws -> Golden { try GoldenFixture.load("examples_golden.json", as: Golden.self) }

    func testFixtureHasTheFourCases() throws {
        XCTAssertEqual(try loadGolden().cases.map(\.name), ["tagger", "classifier", "tagger-binary", "classifier-binary"])
    }

    func testAgainstPyTorch() throws {
        for g in try loadGolden().cases { try check(g) }
    }

    private func check(_ g: Golden.Case) throws {
        let cfg = g.config
        let config = ModelConfig(cell: .lstm, hidden: cfg.hidden, layers: cfg.layers, embed: cfg.embed, vocab: cfg.vocab,
                                 bidirectional: true, outputs: cfg.outputs)
        let pooling = try XCTUnwrap(ExampleModel.Pooling(rawValue: g.pooling))
        let layout = ParameterLayout(config)
        // Our flat order, names and shapes are those of PyTorch's state_dict.
        XCTAssertEqual(layout.specs.map(\.name), g.params.map(\.name), g.name)
        XCTAssertEqual(layout.specs.map(\.shape), g.params.map(\.shape), g.name)
        let c = ExampleCase(config: config, pooling: pooling, steps: cfg.steps, lengths: g.lengths,
                            params: g.params.flatMap(\.values), inputs: g.inputs, labels: g.targets, dropout: nil)
        XCTAssertEqual(c.params.count, layout.count, g.name)
        XCTAssert(Set(g.lengths).count > 1, "\(g.name): the fixture should pad unequal lengths")

        let run = c.runGradient()
        let lossErr = abs(run.loss.sum - g.loss) / abs(g.loss)
        XCTAssertLessThan(lossErr, 1e-5, "\(g.name) loss \(run.loss.sum) vs \(g.loss)")
        XCTAssertEqual(run.loss.count, g.count, g.name)
        let rows = c.realLogitRows
        let logitErr = ErrorMetrics.absolute(rows.map { Double(run.logits[$0]) }, rows.map { Double(g.logits[$0]) })
        XCTAssertLessThan(logitErr.error, 1e-5, "\(g.name) logits \(logitErr)")

        let worstGrad = try GoldenFixture.checkGradients(run.grads, layout: layout, want: g.grads, label: g.name)
        print("[golden] \(g.name): loss \(run.loss.sum) vs \(g.loss) (rel \(lossErr)), logits \(logitErr.error), "
              + "worst gradient \(worstGrad.0) in \(worstGrad.1)")
    }
}
