// ForwardTests: logits, final state and summed loss of LanguageModel against the naive reference.
import RecurModel
import XCTest

final class ForwardTests: XCTestCase {
    /// Logits and state agree to |a−b| / max(1, |b|) ≤ 1e-5; loss to 1e-5 relative.
    static let tolerance = 1e-5

    private func checkForward(_ c: ModelCase, label: String, file: StaticString = #filePath, line: UInt = #line) {
        let got = c.runForward(), want = c.referenceForward()
        let logitErr = ErrorMetrics.mixed(got.logits.doubles, want.logits)
        let stateErr = ErrorMetrics.mixed(got.state.doubles, want.state)
        XCTAssertLessThan(logitErr.error, Self.tolerance, "\(label) logits \(logitErr)", file: file, line: line)
        XCTAssertLessThan(stateErr.error, Self.tolerance, "\(label) state \(stateErr)", file: file, line: line)
        // The final state must actually have moved away from the initial one.
        XCTAssertGreaterThan(ErrorMetrics.absolute(got.state.doubles, c.state.doubles).error, 1e-2, label, file: file, line: line)

        let reference = NaiveReference(c.config)
        let refLoss = c.referenceLoss(reference, params: c.params.doubles, masks: nil)
        let loss = c.runLoss()
        let lossErr = abs(loss.sum - refLoss) / abs(refLoss)
        XCTAssertLessThan(lossErr, Self.tolerance, "\(label) loss \(loss.sum) vs \(refLoss)", file: file, line: line)
        let scored = c.binary == nil ? c.targets.filter { $0 >= 0 }.count : c.steps * c.lanes
        XCTAssertEqual(loss.count, scored, label, file: file, line: line)
        print("[forward] \(label): logits \(logitErr.error), state \(stateErr.error), loss \(lossErr)")
    }

    func testEveryCellSmallHidden() {
        for v in CellVariant.allCases {
            checkForward(.random(v.config(), seed: v.seed), label: "\(v.rawValue) H=7")
        }
    }

    func testEveryCellAcrossSIMDBoundary() {
        for v in CellVariant.allCases {
            checkForward(.random(v.config(hidden: 20), seed: v.seed + 1), label: "\(v.rawValue) H=20")
        }
    }

    func testEmbedWiderThanHidden() {
        for v in [CellVariant.gru, .lstmPeephole] {
            checkForward(.random(v.config(hidden: 3, embed: 9), seed: v.seed + 2), label: "\(v.rawValue) E=9 H=3")
        }
    }

    func testBinaryLossForward() {
        for v in [CellVariant.lstm, .gru, .rnnTanh] {
            checkForward(.random(v.config(), seed: v.seed + 3, binary: true), label: "\(v.rawValue) binary")
        }
    }

    /// Forward with dropout: the masks re-derived from CounterRandom give the model's logits.
    func testDropoutForwardUsesDocumentedMasks() {
        for v in [CellVariant.lstm, .gruMin] {
            let key = DropoutKey(seed: 99, step: 5, firstLane: 3)
            let c = ModelCase.random(v.config(layers: 3, dropout: 0.4), seed: v.seed + 4, dropout: key)
            let got = c.runForward(), want = c.referenceForward()
            let err = ErrorMetrics.mixed(got.logits.doubles, want.logits)
            XCTAssertLessThan(err.error, Self.tolerance, "\(v.rawValue) dropout logits \(err)")
            // Dropout must have changed something relative to running without it.
            var plain = c
            plain.dropout = nil
            XCTAssertGreaterThan(ErrorMetrics.absolute(plain.runForward().logits.doubles, want.logits).error, 1e-3)
            let dropped = c.referenceMasks!.joined().filter { $0 == 0 }.count
            XCTAssertGreaterThan(dropped, 0)
            XCTAssertLessThan(dropped, c.referenceMasks!.joined().count)
        }
    }
}
