// ErrorMetrics: worst-element error measures used to compare the model with references.

/// Where and how badly two vectors disagree.
struct WorstError: CustomStringConvertible {
    var error: Double = 0
    var index: Int = -1
    var actual: Double = 0
    var expected: Double = 0

    var description: String {
        String(format: "%.3g at [%d] (got %.9g, want %.9g)", error, index, actual, expected)
    }
}

enum ErrorMetrics {
    /// max over i of |a−b| / max(|a|+|b|, floor): relative for large values, absolute/floor near zero.
    static func relative(_ actual: [Double], _ expected: [Double], floor: Double) -> WorstError {
        precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
        var w = WorstError()
        for i in 0..<actual.count {
            let a = actual[i], b = expected[i]
            let e = abs(a - b) / max(abs(a) + abs(b), floor)
            if !(e <= w.error) { w = WorstError(error: e, index: i, actual: a, expected: b) }  // NaN counts as worst
        }
        return w
    }

    /// max over i of |a−b|.
    static func absolute(_ actual: [Double], _ expected: [Double]) -> WorstError {
        precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
        var w = WorstError()
        for i in 0..<actual.count {
            let e = abs(actual[i] - expected[i])
            if !(e <= w.error) { w = WorstError(error: e, index: i, actual: actual[i], expected: expected[i]) }
        }
        return w
    }

    /// max over i of |a−b| / max(1, |b|): absolute for small values, relative for large.
    static func mixed(_ actual: [Double], _ expected: [Double]) -> WorstError {
        precondition(actual.count == expected.count, "length \(actual.count) vs \(expected.count)")
        var w = WorstError()
        for i in 0..<actual.count {
            let e = abs(actual[i] - expected[i]) / max(1, abs(expected[i]))
            if !(e <= w.error) { w = WorstError(error: e, index: i, actual: actual[i], expected: expected[i]) }
        }
        return w
    }
}

extension Array where Element == Float {
    var doubles: [Double] { map(Double.init) }
}
