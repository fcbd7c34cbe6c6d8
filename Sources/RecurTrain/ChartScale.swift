// ChartScale: an axis's domain, its "nice" ticks (1-2-5 steps, or decades and their 2 and 5 on a
// log axis) and their labels — the arithmetic of a chart, kept apart from drawing so tests can
// check it with exact numbers.
import Foundation

/// A chart axis: the value range it shows, where its ticks sit and what they read.
///
/// Ticks are the numbers a reader rounds to without thinking: on a linear axis multiples of 1, 2
/// or 5 times a power of ten, and the domain is widened to whole ticks so every curve ends inside
/// a labelled interval; on a log axis the decades and their 2 and 5 multiples.
public struct ChartScale: Sendable, Equatable {
    /// The smallest value shown (the axis's start).
    public let lower: Double
    /// The largest value shown (the axis's end).
    public let upper: Double
    /// Whether positions follow log10 of the value.
    public let isLog: Bool
    /// The tick values, ascending, all within `lower...upper`.
    public let ticks: [Double]
    /// The label of each tick, in the same order.
    public let labels: [String]

    /// Where `value` falls along the axis: 0 at `lower`, 1 at `upper`.
    public func fraction(_ value: Double) -> Double {
        if isLog { return (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) }
        return (value - lower) / (upper - lower)
    }

    /// A linear axis over `low...high` with about `target` intervals of a 1-2-5 step.
    /// - Parameters:
    ///   - low: the smallest value to show (a single value gets a margin either side).
    ///   - high: the largest value to show.
    ///   - target: the number of intervals wanted; the result has between about half and twice as many.
    /// - Returns: a scale whose ends are multiples of the step.
    public static func linear(_ low: Double, _ high: Double, target: Int = 6) -> ChartScale {
        var (low, high) = (low, high)
        if !(high > low) {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low - pad, high + pad)
        }
        let exponent = Int(floor(log10((high - low) / Double(max(1, target)))))
        let raw = (high - low) / Double(max(1, target)) / pow(10, Double(exponent))
        // The 1, 2, 5 or 10 nearest the raw step on a log scale (the cut-offs are geometric means),
        // so the tick count stays near the target.
        let multiple: Double = raw < 2.0.squareRoot() ? 1 : raw < 10.0.squareRoot() ? 2 : raw < 50.0.squareRoot() ? 5 : 10
        // The step as mantissa × 10^exponent, so labels know how many decimals it needs.
        let (mantissa, power) = multiple == 10 ? (1.0, exponent + 1) : (multiple, exponent)
        let step = mantissa * pow(10, Double(power))
        let first = Int(floor(low / step + 1e-9)), last = Int(ceil(high / step - 1e-9))
        let ticks = (first...last).map { Double($0) * step }
        let labels = TickLabels.linear(ticks, stepPower: power)
        return ChartScale(lower: ticks[0], upper: ticks[ticks.count - 1], isLog: false, ticks: ticks, labels: labels)
    }

    /// A log axis over `low...high` (both positive), ending on 1, 2 or 5 times a power of ten.
    ///
    /// Ticks are the decades and their 2 and 5 multiples; over more than three decades only the
    /// decades (their labels would crowd); within a narrow range, where fewer than three of those
    /// fall, every multiple 1…9 of the power of ten, or failing that a linear 1-2-5 step.
    /// - Returns: a log scale; a range that is not positive is treated as `1...10`.
    public static func log(_ low: Double, _ high: Double) -> ChartScale {
        guard low > 0, high >= low, low.isFinite, high.isFinite else { return log(1, 10) }
        let firstDecade = Int(floor(log10(low))) - 1, lastDecade = Int(ceil(log10(high))) + 1
        let nice = candidates(firstDecade...lastDecade, multiples: [1, 2, 5])
        var lower = nice.last { $0.value <= low * (1 + 1e-12) }!
        var upper = nice.first { $0.value >= high * (1 - 1e-12) }!
        if lower.value == upper.value {
            lower = nice.last { $0.value < lower.value }!
            upper = nice.first { $0.value > upper.value }!
        }
        let inRange = { (c: Candidate) in c.value >= lower.value * (1 - 1e-12) && c.value <= upper.value * (1 + 1e-12) }
        var chosen = nice.filter(inRange)
        if log10(upper.value / lower.value) > 3 {
            chosen = chosen.filter { $0.multiple == 1 }
        } else if chosen.count < 3 {
            chosen = candidates(firstDecade...lastDecade, multiples: Array(1...9)).filter(inRange)
        }
        if chosen.count < 3 {
            // Narrower than 2…5 of one decade (1…2, say): a linear 1-2-5 step, placed logarithmically.
            let fine = linear(lower.value, upper.value, target: 5)
            return ChartScale(lower: lower.value, upper: upper.value, isLog: true, ticks: fine.ticks, labels: fine.labels)
        }
        return ChartScale(lower: lower.value, upper: upper.value, isLog: true, ticks: chosen.map(\.value),
                          labels: chosen.map { TickLabels.format($0.value, decimals: max(0, -$0.power)) })
    }

    /// A tick candidate on a log axis: `multiple × 10^power`.
    private struct Candidate {
        let multiple: Int
        let power: Int
        var value: Double { Double(multiple) * pow(10, Double(power)) }
    }

    /// Every `multiple × 10^power` for the decades given, ascending.
    private static func candidates(_ decades: ClosedRange<Int>, multiples: [Int]) -> [Candidate] {
        decades.flatMap { power in multiples.map { Candidate(multiple: $0, power: power) } }
    }
}

/// Tick label text: as many decimals as the step needs, and thousands as k, M or G once an axis
/// reaches ten thousand (token counts), so that labels stay short enough not to collide.
enum TickLabels {
    /// Labels of linear ticks spaced `10^stepPower` times a 1, 2 or 5.
    static func linear(_ ticks: [Double], stepPower: Int) -> [String] {
        let largest = ticks.map(abs).max() ?? 0
        let (divisor, suffix, shift): (Double, String, Int) =
            largest >= 1e9 ? (1e9, "G", 9) : largest >= 1e6 ? (1e6, "M", 6) : largest >= 1e4 ? (1e3, "k", 3) : (1, "", 0)
        let decimals = max(0, -(stepPower - shift))
        return ticks.map { $0 == 0 && !suffix.isEmpty ? "0" : format($0 / divisor, decimals: decimals) + suffix }
    }

    /// `value` with `decimals` digits after the point, never "-0".
    static func format(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}
