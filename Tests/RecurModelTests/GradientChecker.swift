// GradientChecker: compares the model's analytic gradient with central differences of the reference.
import Foundation
import RecurModel
import XCTest

/// Finite-difference gradient check of every parameter element.
enum GradientChecker {
    /// Bound on max |a−n| / max(|a|+|n|, 1e-3) between the Float32 analytic gradient `a` and the
    /// Double central difference `n`. Float32 rounding of the chunk's sums gives ~1e-5 here; a
    /// wrong sign gives ~1, and a missing term (a dropped path through a gate, state or peephole)
    /// changes affected elements by far more than 0.1 %, so 1e-3 separates the two.
    static let bound = 1e-3
    static let floor = 1e-3
    static let eps = 1e-6

    /// Central differences of the reference's summed loss, one parameter element at a time.
    static func numericGradient(_ c: ModelCase, eps: Double = eps) -> [Double] {
        let reference = NaiveReference(c.config), masks = c.referenceMasks
        return centralDifferences(at: c.params.doubles, eps: eps) { c.referenceLoss(reference, params: $0, masks: masks) }
    }

    /// Central differences of `loss` at `params`, one element at a time.
    static func centralDifferences(at params: [Double], eps: Double = eps, _ loss: ([Double]) -> Double) -> [Double] {
        var p = params
        var g = [Double](repeating: 0, count: p.count)
        for i in 0..<p.count {
            let saved = p[i]
            p[i] = saved + eps
            let plus = loss(p)
            p[i] = saved - eps
            let minus = loss(p)
            p[i] = saved
            g[i] = (plus - minus) / (2 * eps)
        }
        return g
    }

    /// Checks the loss and every gradient element of `c`; returns the worst relative error.
    @discardableResult
    static func check(_ c: ModelCase, label: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let analytic = c.runGradient()
        let refLoss = c.referenceLoss(NaiveReference(c.config), params: c.params.doubles, masks: c.referenceMasks)
        let lossErr = abs(analytic.loss.sum - refLoss) / max(1, abs(refLoss))
        XCTAssertLessThan(lossErr, 1e-5, "\(label): loss \(analytic.loss.sum) vs reference \(refLoss)", file: file, line: line)

        return assertAgrees(analytic.grads.doubles, numericGradient(c), layout: c.layout, label: label,
                            lossError: lossErr, file: file, line: line)
    }

    /// Checks an analytic gradient against central differences under `bound`, that every tensor
    /// carries gradient enough to be tested, and that the metric would catch a sign error; returns
    /// the worst relative error.
    @discardableResult
    static func assertAgrees(_ analytic: [Double], _ numeric: [Double], layout: ParameterLayout, label: String,
                             lossError: Double, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let lossErr = lossError
        let worst = ErrorMetrics.relative(analytic, numeric, floor: floor)
        let name = layout.specs.last { $0.offset <= worst.index }?.name ?? "?"
        print("[gradcheck] \(label): \(numeric.count) params, worst rel err \(worst) in \(name); loss rel err \(String(format: "%.2g", lossErr))")
        XCTAssertLessThan(worst.error, bound, "\(label): gradient of \(name) disagrees: \(worst)", file: file, line: line)

        // Every tensor must carry gradient above the floor (so its largest elements are held to a
        // relative bound), or the check above proves little for it.
        for spec in layout.specs {
            let biggest = numeric[spec.offset..<(spec.offset + spec.count)].map(abs).max() ?? 0
            XCTAssertGreaterThan(biggest, 3 * floor, "\(label): \(spec.name) has no gradient to check", file: file, line: line)
        }
        // The metric catches a sign error in the largest element.
        var flipped = analytic
        let big = numeric.indices.max { abs(numeric[$0]) < abs(numeric[$1]) }!
        flipped[big] = -flipped[big]
        XCTAssertGreaterThan(ErrorMetrics.relative(flipped, numeric, floor: floor).error, bound, file: file, line: line)
        return worst.error
    }
}
