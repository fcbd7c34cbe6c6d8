// GoldenTests: loss, logits, final state and gradients against PyTorch (Fixtures/golden.json).
import Foundation
import RecurModel
import XCTest

/// Cases written by Fixtures/make_golden.py: 2-layer nn.LSTM / nn.RNN (tanh, relu) language models.
final class GoldenTests: XCTestCase {
    private struct Golden: Decodable {
        struct Config: Decodable { let cell, activation: String; let vocab, embed, hidden, layers, lanes, steps: Int }
        struct Case: Decodable {
            let name: String
            let config: Config
            let params: [GoldenFixture.Tensor]
            let inputs, targets: [Int32]
            let state0, state1, logits: [Float]
            let loss: Double
            let grads: [String: [Float]]
        }
        let cases: [Case]
    }

    private func loadGolden() throws -> Golden { try GoldenFixture.load("golden.json", as: Golden.self) }

    func testFixtureHasTheThreeCases() throws {
        XCTAssertEqual(try loadGolden().cases.map(\.name), ["lstm", "rnn-tanh", "rnn-relu"])
    }

    func testAgainstPyTorch() throws {
        for g in try loadGolden().cases { try check(g) }
    }

    private func check(_ g: Golden.Case) throws {
        let cfg = g.config
        let config = ModelConfig(cell: try XCTUnwrap(CellKind(rawValue: cfg.cell)),
                                 activation: try XCTUnwrap(Activation(rawValue: cfg.activation)), hidden: cfg.hidden,
                                 layers: cfg.layers, embed: cfg.embed, vocab: cfg.vocab)
        let layout = ParameterLayout(config)
        // Our flat order, names and shapes are PyTorch's.
        XCTAssertEqual(layout.specs.map(\.name), g.params.map(\.name), g.name)
        XCTAssertEqual(layout.specs.map(\.shape), g.params.map(\.shape), g.name)
        let params = g.params.flatMap(\.values)
        XCTAssertEqual(params.count, layout.count, g.name)
        let c = ModelCase(config: config, lanes: cfg.lanes, steps: cfg.steps, params: params, inputs: g.inputs,
                          targets: g.targets, binary: nil, state: g.state0, dropout: nil)
        XCTAssert(g.targets.contains(-1), "fixture should exercise an ignored target")

        let fwd = c.runForward()
        let logitErr = ErrorMetrics.absolute(fwd.logits.doubles, g.logits.map(Double.init))
        let stateErr = ErrorMetrics.absolute(fwd.state.doubles, g.state1.map(Double.init))
        XCTAssertLessThan(logitErr.error, 1e-5, "\(g.name) logits \(logitErr)")
        XCTAssertLessThan(stateErr.error, 1e-5, "\(g.name) final state \(stateErr)")

        let run = c.runGradient()
        let lossErr = abs(run.loss.sum - g.loss) / abs(g.loss)
        XCTAssertLessThan(lossErr, 1e-5, "\(g.name) loss \(run.loss.sum) vs \(g.loss)")
        XCTAssertEqual(run.loss.count, g.targets.filter { $0 >= 0 }.count, g.name)
        XCTAssertEqual(run.state, fwd.state, g.name)

        let worstGrad = try GoldenFixture.checkGradients(run.grads, layout: layout, want: g.grads, label: g.name)
        print("[golden] \(g.name): logits \(logitErr.error), state \(stateErr.error), loss rel \(lossErr), "
              + "worst gradient \(worstGrad.0) in \(worstGrad.1)")
    }
}
