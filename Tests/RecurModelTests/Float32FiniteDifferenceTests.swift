// Float32FiniteDifferenceTests: a second opinion, central differences of the Float32 model itself.
import RecurModel
import XCTest

final class Float32FiniteDifferenceTests: XCTestCase {
    /// eps = 1e-2 on the Float32 parameters, loss from `LanguageModel.loss`. Float32 rounding of a
    /// loss of ~20 is ~1e-5, i.e. ~1e-3 noise in a difference quotient over 2·eps, so the floor
    /// is 0.1 and the bound 2e-2: still far below the ~1 of a sign error.
    func testLSTMAgainstOwnFiniteDifferences() {
        let c = ModelCase.random(CellVariant.lstmPeephole.config(), seed: 700)
        let analytic = c.runGradient().grads.doubles
        var p = c.params
        var numeric = [Double](repeating: 0, count: p.count)
        let eps: Float = 1e-2
        for i in 0..<p.count {
            let saved = p[i]
            p[i] = saved + eps
            let plus = c.runLoss(params: p).sum
            p[i] = saved - eps
            let minus = c.runLoss(params: p).sum
            p[i] = saved
            numeric[i] = (plus - minus) / Double((saved + eps) - (saved - eps))
        }
        let worst = ErrorMetrics.relative(analytic, numeric, floor: 0.1)
        print("[fd32] lstm-peephole: worst \(worst)")
        XCTAssertLessThan(worst.error, 2e-2, "Float32 FD disagrees: \(worst)")
        XCTAssertGreaterThan(numeric.map(abs).max()!, 1, "gradient too small to check")
    }
}
