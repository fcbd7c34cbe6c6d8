// LossChart: the loss curves of one or more runs as a standalone SVG (what `recur plot` writes).
// This file holds the public API and turns metrics lines into the series to draw;
// LossChart+Layout.swift places and draws them.
import Foundation

/// What the horizontal axis of a loss chart counts.
public enum ChartXAxis: String, Sendable, CaseIterable {
    /// Optimizer steps (every metrics line has it).
    case step
    /// Cumulative training tokens: compares runs of different batch or sequence sizes fairly.
    case tokens
    /// Cumulative training seconds: compares runs by what they cost in time.
    case seconds

    /// The line's value on this axis, nil when the line does not record it.
    public func value(of line: MetricsLine) -> Double? {
        switch self {
        case .step: return Double(line.step)
        case .tokens: return line.tokens
        case .seconds: return line.seconds
        }
    }

    /// The axis title.
    var title: String {
        switch self {
        case .step: return "step"
        case .tokens: return "training tokens"
        case .seconds: return "training time (s)"
        }
    }
}

/// How a loss chart is drawn.
public struct LossChartOptions: Sendable, Equatable {
    /// What the horizontal axis counts.
    public var x: ChartXAxis
    /// A log10 loss axis: early and late losses differ by a factor, and a log axis keeps the
    /// late, slow part of the curve readable.
    public var logY: Bool
    /// The chart's title; nil gives "Loss by step" (or by tokens, by training time).
    public var title: String?

    /// Options with the defaults a plain `recur plot` uses.
    public init(x: ChartXAxis = .step, logY: Bool = false, title: String? = nil) {
        self.x = x
        self.logY = logY
        self.title = title
    }
}

/// One run to draw: the name its legend entry shows and its metrics lines.
public struct ChartRun: Sendable {
    /// The legend's name for the run (its folder, as `recur plot` was given it).
    public var name: String
    /// The run's metrics lines in file order.
    public var lines: [MetricsLine]

    /// A run from its name and lines.
    public init(name: String, lines: [MetricsLine]) {
        self.name = name
        self.lines = lines
    }
}

/// Renders the loss curves of runs as an SVG document.
///
/// The top panel shows each run's training loss (solid) and validation loss (dashed, a marker per
/// evaluation); when any run records `val_accuracy` or `val_f1`, a second panel below shows that
/// metric on a 0–1 axis. Each run has one colour of `palette`. The chart is 900 px wide and
/// 560 px high, 800 px with the second panel.
///
/// Lines that lack the chosen x field (`tokens` or `seconds` in a file written before those
/// fields existed) are left out, so that one axis never mixes units; when no run records the
/// field at all, the chart falls back to steps and its axis title says so. A run left with
/// nothing to draw keeps its legend entry, marked "no <field>".
public enum LossChart {
    /// Okabe and Ito's colour-blind-safe palette, without its yellow (unreadable on white); the
    /// ninth run reuses the first colour.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#999999"]

    /// The chart of `runs` as a complete SVG document.
    /// - Parameters:
    ///   - runs: the runs in legend order (colours follow this order).
    ///   - options: the x axis, log or linear loss, the title.
    /// - Returns: UTF-8 SVG text, standalone (it names no external file or font).
    public static func svg(runs: [ChartRun], options: LossChartOptions = LossChartOptions()) -> String {
        ChartLayout(series: series(runs, options), options: options).draw()
    }

    /// The curves of every run, with the x axis they are drawn against.
    static func series(_ runs: [ChartRun], _ options: LossChartOptions) -> ChartSeries {
        let recorded = runs.contains { run in run.lines.contains { options.x.value(of: $0) != nil } }
        let axis = recorded ? options.x : .step
        let note = recorded ? nil : "no run records \(options.x.rawValue)"
        let curves = runs.enumerated().map { index, run in
            RunCurves(run: run, axis: axis, logY: options.logY, colour: palette[index % palette.count])
        }
        return ChartSeries(axis: axis, fallbackNote: note, runs: curves)
    }
}

/// Every run's curves and the axis they share.
struct ChartSeries {
    /// The axis actually drawn (`.step` after a fallback).
    let axis: ChartXAxis
    /// Why the axis differs from the one asked for, if it does.
    let fallbackNote: String?
    /// The runs in legend order.
    let runs: [RunCurves]

    /// Whether any run has a validation accuracy or F1 to draw.
    var hasMetric: Bool { runs.contains { !$0.metric.isEmpty } }

    /// The metric panel's axis title: what the runs' metric points measure.
    var metricTitle: String {
        let accuracy = runs.contains(where: \.metricIsAccuracy), f1 = runs.contains { !$0.metric.isEmpty && !$0.metricIsAccuracy }
        return accuracy && f1 ? "val accuracy / F1" : accuracy ? "val accuracy" : "val F1"
    }
}

/// One run's points, in data units, ready to scale.
struct RunCurves {
    /// The legend name.
    let name: String
    /// The run's colour.
    let colour: String
    /// Training loss per line that has both the x field and a finite (positive, on a log axis) loss.
    let train: [(x: Double, y: Double)]
    /// Validation loss per evaluation line.
    let validation: [(x: Double, y: Double)]
    /// Validation accuracy (classifier) or F1 (tagger) per evaluation line.
    let metric: [(x: Double, y: Double)]
    /// Whether `metric` holds accuracies rather than F1 scores.
    let metricIsAccuracy: Bool
    /// Whether some line had a loss but not the x field (the legend says so when nothing is left).
    let lacksAxis: Bool

    /// The points of `run` against `axis`.
    init(run: ChartRun, axis: ChartXAxis, logY: Bool, colour: String) {
        name = run.name
        self.colour = colour
        func points(_ value: (MetricsLine) -> Double?, positive: Bool) -> [(x: Double, y: Double)] {
            run.lines.compactMap { line in
                guard let x = axis.value(of: line), x.isFinite, let y = value(line), y.isFinite,
                      !positive || y > 0 else { return nil }
                return (x, y)
            }
        }
        train = points(\.loss, positive: logY)
        validation = points(\.valLoss, positive: logY)
        let accuracy = points(\.valAccuracy, positive: false)
        metricIsAccuracy = !accuracy.isEmpty
        metric = accuracy.isEmpty ? points(\.valF1, positive: false) : accuracy
        lacksAxis = run.lines.contains { axis.value(of: $0) == nil }
    }
}
