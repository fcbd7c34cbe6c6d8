// ExampleGradientTests: the classifier's and tagger's analytic gradients against central
// differences of the Double reference, over padded batches of unequal lengths.
import RecurModel
import XCTest

/// Two stacked layers, E = 3, H = 4, V = 5, N = 3 examples of lengths 4, 2, 1 (T = 4; the
/// classifier, with one label per example, takes 10 examples and weights U(−0.9, 0.9) so that
/// every tensor, down to the first layer's peepholes, gets a gradient large enough to test), every
/// parameter element (bound: GradientChecker).
final class ExampleGradientTests: XCTestCase {
    private func config(_ v: CellVariant, bidirectional: Bool = true, outputs: Int = 3, vocab: Int = 5,
                        dropout: Float = 0) -> ModelConfig {
        var c = v.config(hidden: 4, layers: 2, embed: 3, vocab: vocab, dropout: dropout)
        c.bidirectional = bidirectional
        c.outputs = outputs
        return c
    }

    /// Loss against the reference, every gradient element against its central difference, the
    /// number of labels scored, and the finished ranges covering [0, P) exactly once.
    private func check(_ c: ExampleCase, label: String, file: StaticString = #filePath, line: UInt = #line) {
        let run = c.runGradient()
        let refLoss = c.referenceLoss(params: c.params.doubles)
        let lossErr = abs(run.loss.sum - refLoss) / max(1, abs(refLoss))
        XCTAssertLessThan(lossErr, 1e-5, "\(label): loss \(run.loss.sum) vs reference \(refLoss)", file: file, line: line)
        let scored = (0..<c.lanes).map { c.example($0).labels.filter { $0 >= 0 }.count }.reduce(0, +)
        XCTAssertEqual(run.loss.count, scored, "\(label): labels scored", file: file, line: line)
        let numeric = GradientChecker.centralDifferences(at: c.params.doubles) { c.referenceLoss(params: $0) }
        GradientChecker.assertAgrees(run.grads.doubles, numeric, layout: c.layout, label: label, lossError: lossErr,
                                     file: file, line: line)
        let sorted = run.finished.sorted { $0.lowerBound < $1.lowerBound }
        XCTAssertEqual(sorted.first?.lowerBound, 0, "\(label): finished ranges start at 0", file: file, line: line)
        XCTAssertEqual(sorted.last?.upperBound, c.layout.count, "\(label): finished ranges end at P", file: file, line: line)
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            XCTAssertEqual(a.upperBound, b.lowerBound, "\(label): finished ranges \(a), \(b) overlap or leave a gap",
                           file: file, line: line)
        }
    }

    private func random(_ cfg: ModelConfig, _ pooling: ExampleModel.Pooling, seed: UInt64,
                        lengths: [Int32]? = nil, dropout: DropoutKey? = nil) -> ExampleCase {
        let tagger = pooling == .everyToken
        return ExampleCase.random(cfg, pooling: pooling, lengths: lengths ?? (tagger ? [4, 2, 1] : [4, 3, 1, 4, 4, 3, 4, 2, 4, 4]),
                                  seed: seed, weights: tagger ? 0.6 : 0.9, dropout: dropout)
    }

    func testBidirectionalTaggerEveryCell() {
        for v in CellVariant.allCases {
            check(random(config(v), .everyToken, seed: v.seed + 20), label: "\(v.rawValue) bidirectional tagger")
        }
    }

    func testBidirectionalClassifierEveryCell() {
        for v in CellVariant.allCases {
            check(random(config(v), .lastToken, seed: v.seed + 21), label: "\(v.rawValue) bidirectional classifier")
        }
    }

    /// C = 1: sigmoid binary cross-entropy summed over each example's labelled positions.
    func testBinaryTaggerSumsOverTime() {
        check(random(config(.lstm, outputs: 1), .everyToken, seed: 31), label: "lstm binary tagger")
        check(random(config(.gruMin, outputs: 1), .everyToken, seed: 32), label: "gru-min binary tagger")
    }

    func testBinaryClassifier() {
        check(random(config(.gru, outputs: 1), .lastToken, seed: 33), label: "gru binary classifier")
        check(random(config(.lstmPeephole, outputs: 1), .lastToken, seed: 34), label: "lstm-peephole binary classifier")
    }

    /// V = 13 > T·N = 12: the first layer of both directions takes the dense path.
    func testDenseFirstLayer() {
        for pooling in [ExampleModel.Pooling.everyToken, .lastToken] {
            check(random(config(.lstm, vocab: 13), pooling, seed: 35), label: "lstm dense first layer \(pooling)")
        }
    }

    /// Dropout between the layers, both directions, with the masks the key documents.
    func testDropoutBidirectional() {
        let key = DropoutKey(seed: 99, step: 7, firstLane: 5)
        for pooling in [ExampleModel.Pooling.everyToken, .lastToken] {
            let c = random(config(.lstm, dropout: 0.4), pooling, seed: 36, dropout: key)
            check(c, label: "lstm dropout \(pooling)")
            var plain = c
            plain.dropout = nil
            XCTAssertNotEqual(c.runGradient().grads, plain.runGradient().grads, "dropout must change the gradient")
        }
    }

    func testUnidirectional() {
        for v in [CellVariant.gru, .rnnRelu, .lstm] {
            check(random(config(v, bidirectional: false), .everyToken, seed: v.seed + 40), label: "\(v.rawValue) tagger")
            check(random(config(v, bidirectional: false), .lastToken, seed: v.seed + 41), label: "\(v.rawValue) classifier")
        }
    }
}
