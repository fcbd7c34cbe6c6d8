// Seq2SeqDecoderTests: step-by-step decoding agrees with the teacher-forced forward pass, through
// reordered, duplicated and dropped hypotheses.
@testable import RecurModel
import Foundation
import XCTest

final class Seq2SeqDecoderTests: XCTestCase {
    /// Three examples sharing one source (length 4, padded to S = 6) with different decoder
    /// inputs: hypothesis i of each step continues the hypothesis that holds example next[i], and
    /// its log-probabilities must be the log-softmax of `forward`'s logits for that example at
    /// that step (within 1e-4).
    private func check(_ cfg: ModelConfig, seed: UInt64, label: String) {
        var c = Seq2SeqCase.random(cfg, sourceLengths: [4, 4, 4], targetLengths: [5, 5, 5], seed: seed, sourceSteps: 6,
                                   weights: 1.0)
        for s in 0..<c.sourceSteps { for j in 1..<c.lanes { c.source[s * c.lanes + j] = c.source[s * c.lanes] } }
        let vt = cfg.headSize, n = c.lanes, logits = c.forwardLogits()
        func expected(_ t: Int, _ j: Int) -> [Float] {
            let row = Array(logits[((t * n + j) * vt)..<((t * n + j + 1) * vt)])
            let top = row.max()!, lse = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
            return row.map { $0 - lse }
        }
        let decoder = Seq2SeqDecoder(model: c.model, params: c.params, maxHypotheses: 3)
        XCTAssertEqual(decoder.vocabularySize, vt)
        decoder.start(source: (0..<4).map { c.source[$0 * n] })
        var holds = [0]  // before the first step, the one hypothesis is every example's start
        let schedule: [[Int]] = [[0, 1, 2], [2, 0, 1], [1, 1, 2], [2, 1], [1]]
        for (t, next) in schedule.enumerated() {
            let parents = next.map { j in t == 0 ? 0 : holds.firstIndex(of: j)! }
            let got = decoder.advance(parents: parents, tokens: next.map { c.decoderInputs[t * n + $0] })
            XCTAssertEqual(got.count, next.count * vt, label)
            for (i, j) in next.enumerated() {
                let err = ErrorMetrics.absolute(Array(got[(i * vt)..<((i + 1) * vt)]).doubles, expected(t, j).doubles)
                XCTAssertLessThan(err.error, 1e-4, "\(label): step \(t), hypothesis \(i) (example \(j)): \(err)")
            }
            holds = next
        }
        // A new source starts over from one hypothesis.
        decoder.start(source: [c.source[0]])
        XCTAssertEqual(decoder.advance(parents: [0], tokens: [0]).count, vt, label)
    }

    func testAgreesWithForwardAcrossCellsAndAttention() {
        check(Seq2SeqCase.config(.lstm, layers: 2, bidirectional: true, attention: .general), seed: 301, label: "lstm bi L=2 general")
        check(Seq2SeqCase.config(.lstm, bidirectional: false, attention: .dot), seed: 302, label: "lstm uni dot")
        check(Seq2SeqCase.config(.gru, bidirectional: true, attention: .none), seed: 303, label: "gru bi none")
        check(Seq2SeqCase.config(.gruMin, layers: 2, bidirectional: false, attention: .general), seed: 304,
              label: "gru-min uni L=2 general")
        check(Seq2SeqCase.config(.rnnRelu, bidirectional: true, attention: .general), seed: 305, label: "rnn-relu bi general")
        check(Seq2SeqCase.config(.lstmPeephole, bidirectional: true, attention: .general), seed: 306,
              label: "lstm-peephole bi general")
        check(Seq2SeqCase.config(.rnnTanh, layers: 2, bidirectional: false, attention: .dot), seed: 307, label: "rnn-tanh uni dot")
    }

    /// The decoder is a `StepDecoder` that a search can hold as such.
    func testIsAStepDecoder() {
        let cfg = Seq2SeqCase.config(.lstm, bidirectional: false, attention: .general)
        let c = Seq2SeqCase.random(cfg, sourceLengths: [2], targetLengths: [2], seed: 308)
        let search: StepDecoder = Seq2SeqDecoder(model: c.model, params: c.params, maxHypotheses: 2)
        (search as! Seq2SeqDecoder).start(source: [1, 2])
        let rows = search.advance(parents: [0, 0], tokens: [1, 3])
        XCTAssertEqual(rows.count, 2 * search.vocabularySize)
        for i in 0..<2 {
            let total = rows[(i * 6)..<((i + 1) * 6)].reduce(0) { $0 + Foundation.exp(Double($1)) }
            XCTAssertEqual(total, 1, accuracy: 1e-5)
        }
    }
}
