// Seq2SeqPaddingTests: an example's numbers do not depend on its padding or on its batch mates,
// and shards of a batch add up to the batch.
@testable import RecurModel
import RecurMath
import XCTest

final class Seq2SeqPaddingTests: XCTestCase {
    private func assertClose(_ got: [Float], _ want: [Float], _ what: String, bound: Double = 2e-6,
                             file: StaticString = #filePath, line: UInt = #line) {
        let err = ErrorMetrics.mixed(got.doubles, want.doubles)
        XCTAssertLessThan(err.error, bound, "\(what): \(err)", file: file, line: line)
    }

    /// Rows of [T, N, Vt] logits whose target is scored.
    private func scoredLogits(_ c: Seq2SeqCase, _ logits: [Float]) -> [Float] {
        let vt = c.config.headSize
        return c.targets.indices.filter { c.targets[$0] >= 0 }.flatMap { Array(logits[($0 * vt)..<(($0 + 1) * vt)]) }
    }

    /// Other ids at padded source positions and at padded decoder inputs, and a workspace with
    /// room for more positions, change no bit of the loss, the gradient or the scored logits.
    func testPaddingContentsChangeNothing() {
        for (cell, bi, kind) in [(CellVariant.lstm, true, AttentionKind.general), (.gru, false, .dot), (.lstmPeephole, true, .none)] {
            let cfg = Seq2SeqCase.config(cell, layers: 2, bidirectional: bi, attention: kind)
            let c = Seq2SeqCase.random(cfg, sourceLengths: [5, 2, 4, 1], targetLengths: [2, 4, 1, 3], seed: 401)
            var other = c
            var rng = TestRNG(seed: 402)
            for s in 0..<c.sourceSteps {
                for j in 0..<c.lanes where s >= Int(c.sourceLengths[j]) { other.source[s * c.lanes + j] = Int32(rng.int(7)) }
            }
            for t in 0..<c.targetSteps {
                for j in 0..<c.lanes where c.targets[t * c.lanes + j] < 0 {
                    // the input that would have predicted a padded target, and every one after it
                    other.decoderInputs[t * c.lanes + j] = Int32(rng.int(6))
                }
            }
            XCTAssertNotEqual(other.source, c.source)
            XCTAssertNotEqual(other.decoderInputs, c.decoderInputs)
            let tag = "\(cell.rawValue) \(kind)"
            let a = c.runGradient(), b = other.runGradient(sourceCapacity: c.sourceSteps + 2, targetCapacity: c.targetSteps + 3)
            XCTAssertEqual(a.loss, b.loss, tag)
            XCTAssertEqual(a.grads, b.grads, "\(tag): gradient")
            XCTAssertEqual(scoredLogits(c, a.logits), scoredLogits(c, b.logits), "\(tag): logits")
            XCTAssertEqual(a.loss, c.plainLoss(), "\(tag): loss() equals lossAndGradient's loss")
        }
    }

    /// Example 1 alone (S = its source length, T = its target length) has the loss and gradient
    /// it has in a padded batch whose other examples' targets are all ignored.
    func testExampleAloneEqualsInBatch() {
        for (cell, bi, kind) in [(CellVariant.lstm, true, AttentionKind.general), (.gruMin, false, .general), (.rnnTanh, false, .dot)] {
            let cfg = Seq2SeqCase.config(cell, layers: 2, bidirectional: bi, attention: kind)
            var c = Seq2SeqCase.random(cfg, sourceLengths: [5, 3, 4, 1], targetLengths: [4, 2, 3, 4], seed: 403 + cell.seed)
            for t in 0..<c.targetSteps { for j in [0, 2, 3] { c.targets[t * c.lanes + j] = -1 } }
            let batch = c.runGradient(), alone = c.slice(1..<2, sourceSteps: 3, targetSteps: 2).runGradient()
            let tag = "\(cell.rawValue) \(kind)"
            XCTAssertEqual(batch.loss.count, alone.loss.count, tag)
            XCTAssertEqual(batch.loss.sum, alone.loss.sum, accuracy: 1e-5 * abs(alone.loss.sum), tag)
            assertClose(batch.grads, alone.grads, "\(tag) gradient")
        }
    }

    /// With dropout in the encoder and the decoder, two shards of a batch (the key's first
    /// example moved) add up to the batch: masks depend on the global example, not the batching.
    func testShardsWithDropoutAddUp() {
        let cfg = Seq2SeqCase.config(.lstm, layers: 2, bidirectional: true, attention: .general, dropout: 0.3)
        let c = Seq2SeqCase.random(cfg, sourceLengths: [5, 3, 4, 1], targetLengths: [4, 2, 3, 4], seed: 405,
                                   dropout: DropoutKey(seed: 5, step: 9, firstLane: 6))
        let whole = c.runGradient(), a = c.slice(0..<2).runGradient(), b = c.slice(2..<4).runGradient()
        XCTAssertEqual(whole.loss.count, a.loss.count + b.loss.count)
        XCTAssertEqual(whole.loss.sum, a.loss.sum + b.loss.sum, accuracy: 1e-5 * abs(whole.loss.sum))
        assertClose(whole.grads, zip(a.grads, b.grads).map { $0 + $1 }, "sharded gradient")
        var plain = c
        plain.dropout = nil
        XCTAssertNotEqual(plain.runGradient().loss, whole.loss, "dropout must change the loss")
    }

    /// 26 examples (two lane blocks; S·N = 130 rows, so the GEMMs over positions split in halves)
    /// give the same bits on one thread as on two: every split is fixed by the shapes.
    func testThreadCountChangesNoBit() {
        let cfg = Seq2SeqCase.config(.lstm, hidden: 5, layers: 2, bidirectional: true, attention: .general, dropout: 0.2)
        let lengths: [Int32] = [5, 3, 4, 1, 2, 5, 5, 3, 1, 4, 2, 2, 5, 3, 4, 1, 5, 2, 3, 4, 5, 1, 1, 3, 4, 2]
        let c = Seq2SeqCase.random(cfg, sourceLengths: lengths, targetLengths: lengths.map { ($0 % 4) + 1 }, seed: 406,
                                   dropout: DropoutKey(seed: 2, step: 1, firstLane: 0))
        let before = MathThreads.current
        defer { MathThreads.set(before) }
        MathThreads.set(1)
        let one = c.runGradient()
        MathThreads.set(2)
        let two = c.runGradient()
        XCTAssertEqual(one.loss, two.loss)
        XCTAssertEqual(one.grads, two.grads)
        XCTAssertEqual(one.logits, two.logits)
    }
}
