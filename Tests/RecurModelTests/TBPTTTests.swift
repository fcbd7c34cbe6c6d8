// TBPTTTests: state carried across chunks is exact, and the gradient is cut at the chunk boundary.
import RecurModel
import XCTest

final class TBPTTTests: XCTestCase {
    /// Two chunks of T = 3 carrying state, versus one reference pass of 2T from the same start.
    private func twoChunks(_ v: CellVariant, seed: UInt64) -> (first: ModelCase, second: ModelCase, whole: ModelCase) {
        let whole = ModelCase.random(v.config(), steps: 6, seed: seed)
        let n = whole.lanes, half = 3 * n
        var first = whole, second = whole
        first.steps = 3
        first.inputs = Array(whole.inputs[..<half])
        first.targets = Array(whole.targets[..<half])
        second.steps = 3
        second.inputs = Array(whole.inputs[half...])
        second.targets = Array(whole.targets[half...])
        second.state = first.runForward().state
        return (first, second, whole)
    }

    /// The model's state after chunk 1 then chunk 2 equals the reference's after one 2T pass,
    /// and chunk 2's logits equal the last T steps of the 2T reference logits.
    func testCarriedStateMatchesSinglePass() {
        for v in CellVariant.allCases {
            let (_, second, whole) = twoChunks(v, seed: 600 + v.seed)
            let ref = whole.referenceForward()
            let got = second.runForward()
            let stateErr = ErrorMetrics.mixed(got.state.doubles, ref.state)
            XCTAssertLessThan(stateErr.error, 1e-5, "\(v.rawValue) carried state \(stateErr)")
            let tail = Array(ref.logits[(3 * whole.lanes * whole.config.vocab)...])
            let logitErr = ErrorMetrics.mixed(got.logits.doubles, tail)
            XCTAssertLessThan(logitErr.error, 1e-5, "\(v.rawValue) chunk-2 logits \(logitErr)")
            print("[tbptt] \(v.rawValue): carried state \(stateErr.error), chunk-2 logits \(logitErr.error)")
        }
    }

    /// Chunk 2's gradient, from the carried state held constant, against finite differences of the
    /// reference run from that same state (so no gradient flows into chunk 1).
    func testGradientIsCutAtChunkBoundary() {
        for v in [CellVariant.lstmPeephole, .gru, .rnnTanh] {
            let (_, second, whole) = twoChunks(v, seed: 610 + v.seed)
            GradientChecker.check(second, label: "\(v.rawValue) TBPTT chunk 2")
            // Had the gradient flowed through the carried state into chunk 1, it would equal the
            // gradient of chunk 2's loss over the whole 2T pass (chunk-1 targets ignored); it must not.
            var full = whole
            full.targets = (0..<whole.targets.count).map { $0 < 3 * whole.lanes ? -1 : whole.targets[$0] }
            let through = full.runGradient().grads.doubles
            let cut = second.runGradient().grads.doubles
            XCTAssertGreaterThan(ErrorMetrics.relative(cut, through, floor: 1e-3).error, 1e-2,
                                 "\(v.rawValue): chunk-2 gradient looks uncut")
        }
    }

    /// Chunk 1's final state from lossAndGradient equals that of forward (the state out is exact).
    func testGradientPassReturnsSameState() {
        for v in CellVariant.allCases {
            let (first, _, _) = twoChunks(v, seed: 620 + v.seed)
            XCTAssertEqual(first.runGradient().state, first.runForward().state, v.rawValue)
        }
    }
}
