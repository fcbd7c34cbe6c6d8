// Seq2SeqGradientTests: the encoder–decoder's analytic gradient of every parameter against central
// differences of the Double reference, over padded sources and targets.
@testable import RecurModel
import XCTest

/// E = 3, H = 4, Vs = 7, Vt = 6, N = 3 examples with source lengths 5, 3, 1 (S = 5) and target
/// lengths 4, 2, 3 (T = 4; targets −1 after them), every parameter element (bound:
/// GradientChecker).
final class Seq2SeqGradientTests: XCTestCase {
    private func check(_ c: Seq2SeqCase, label: String, file: StaticString = #filePath, line: UInt = #line) {
        let run = c.runGradient()
        let refLoss = c.referenceLoss(params: c.params.doubles)
        let lossErr = abs(run.loss.sum - refLoss) / max(1, abs(refLoss))
        XCTAssertLessThan(lossErr, 1e-5, "\(label): loss \(run.loss.sum) vs reference \(refLoss)", file: file, line: line)
        XCTAssertEqual(run.loss.count, c.targets.filter { $0 >= 0 }.count, "\(label): targets scored", file: file, line: line)
        XCTAssertEqual(run.finished, [0 ..< c.layout.count], "\(label): one finished range, all of P", file: file, line: line)
        XCTAssertEqual(run.needs, [c.layout.count], "\(label): one needs call, all of P", file: file, line: line)
        let numeric = GradientChecker.centralDifferences(at: c.params.doubles) { c.referenceLoss(params: $0) }
        GradientChecker.assertAgrees(run.grads.doubles, numeric, layout: c.layout, label: label, lossError: lossErr,
                                     file: file, line: line)
    }

    private func random(_ cfg: ModelConfig, seed: UInt64, weights: Double = 0.7, dropout: DropoutKey? = nil) -> Seq2SeqCase {
        Seq2SeqCase.random(cfg, sourceLengths: [5, 3, 1], targetLengths: [4, 2, 3], seed: seed, weights: weights,
                           dropout: dropout)
    }

    func testLSTMBidirectionalTwoLayersGeneral() {
        let cfg = Seq2SeqCase.config(.lstm, layers: 2, bidirectional: true, attention: .general)
        check(random(cfg, seed: 101, weights: 1.0), label: "lstm bi L=2 general")
    }

    func testLSTMUnidirectionalDot() {
        let cfg = Seq2SeqCase.config(.lstm, bidirectional: false, attention: .dot)
        check(random(cfg, seed: 102), label: "lstm uni L=1 dot")
    }

    func testGRUBidirectionalNoAttention() {
        let cfg = Seq2SeqCase.config(.gru, bidirectional: true, attention: .none)
        check(random(cfg, seed: 103), label: "gru bi L=1 none")
    }

    func testGRUMinAndReLUGeneral() {
        check(random(Seq2SeqCase.config(.gruMin, layers: 2, bidirectional: false, attention: .general), seed: 104),
              label: "gru-min uni L=2 general")
        check(random(Seq2SeqCase.config(.rnnRelu, bidirectional: true, attention: .general), seed: 105),
              label: "rnn-relu bi L=1 general")
    }

    func testLSTMPeepholeBidirectionalGeneral() {
        let cfg = Seq2SeqCase.config(.lstmPeephole, bidirectional: true, attention: .general)
        check(random(cfg, seed: 106), label: "lstm-peephole bi general")
    }

    /// Vocabularies larger than S·N and T·N: both first layers take the dense path.
    func testDenseFirstLayers() {
        let cfg = Seq2SeqCase.config(.lstm, sourceVocab: 17, targetVocab: 13, bidirectional: true, attention: .general)
        check(random(cfg, seed: 107), label: "lstm dense first layers")
    }

    /// Dropout between the layers of the encoder (both directions) and of the decoder.
    func testDropout() {
        let key = DropoutKey(seed: 77, step: 3, firstLane: 4)
        let cfg = Seq2SeqCase.config(.gru, layers: 2, bidirectional: true, attention: .general, dropout: 0.3)
        let c = random(cfg, seed: 108, dropout: key)
        check(c, label: "gru dropout")
        var plain = c
        plain.dropout = nil
        XCTAssertNotEqual(c.runGradient().grads, plain.runGradient().grads, "dropout must change the gradient")
    }
}
