// GradientVariantTests: gradient checks for deeper stacks, the binary loss and dropout.
import RecurModel
import XCTest

/// Same bound and method as GradientCheckTests (see GradientChecker.bound).
final class GradientVariantTests: XCTestCase {
    func testStackedOneTwoThreeLayersGRU() {
        for layers in 1...3 {
            let c = ModelCase.random(CellVariant.gru.config(layers: layers), seed: 500 + UInt64(layers))
            GradientChecker.check(c, label: "gru L=\(layers)")
        }
    }

    func testStackedThreeLayersLSTM() {
        GradientChecker.check(.random(CellVariant.lstm.config(layers: 3), lanes: 2, seed: 510), label: "lstm L=3")
    }

    func testBinaryLossLSTM() {
        GradientChecker.check(.random(CellVariant.lstm.config(), seed: 520, binary: true), label: "lstm binary")
    }

    func testBinaryLossGRU() {
        GradientChecker.check(.random(CellVariant.gru.config(), seed: 521, binary: true), label: "gru binary")
    }

    func testBinaryLossRNNRelu() {
        GradientChecker.check(.random(CellVariant.rnnRelu.config(), seed: 522, binary: true), label: "rnn-relu binary")
    }

    /// Dropout between layers with a fixed key; the reference applies the masks re-derived from
    /// CounterRandom (ModelCase.referenceMasks), so any disagreement in mask or in its backward fails.
    func testDropoutLSTMThreeLayers() {
        let key = DropoutKey(seed: 31, step: 7, firstLane: 5)
        let c = ModelCase.random(CellVariant.lstmPeephole.config(layers: 3, dropout: 0.3), lanes: 2, seed: 530, dropout: key)
        assertMasksAreMixed(c)
        GradientChecker.check(c, label: "lstm-peephole L=3 dropout 0.3")
    }

    func testDropoutGRUAndRNN() {
        let key = DropoutKey(seed: 8, step: 2, firstLane: 0)
        for v in [CellVariant.gru, .rnnTanh, .gruMin] {
            let c = ModelCase.random(v.config(dropout: 0.5), seed: 540 + v.seed, dropout: key)
            assertMasksAreMixed(c)
            GradientChecker.check(c, label: "\(v.rawValue) L=2 dropout 0.5")
        }
    }

    /// With dropout the gradient must differ from the no-dropout gradient (the masks are used).
    func testDropoutChangesGradient() {
        let key = DropoutKey(seed: 8, step: 2, firstLane: 0)
        let c = ModelCase.random(CellVariant.gru.config(dropout: 0.5), seed: 550, dropout: key)
        var plain = c
        plain.dropout = nil
        let diff = ErrorMetrics.absolute(c.runGradient().grads.doubles, plain.runGradient().grads.doubles)
        XCTAssertGreaterThan(diff.error, 1e-2)
    }

    private func assertMasksAreMixed(_ c: ModelCase, file: StaticString = #filePath, line: UInt = #line) {
        guard let masks = c.referenceMasks else { return XCTFail("no masks", file: file, line: line) }
        for m in masks {
            let zeros = m.filter { $0 == 0 }.count
            XCTAssert(zeros > 0 && zeros < m.count, "mask has \(zeros) of \(m.count) dropped", file: file, line: line)
        }
    }
}
