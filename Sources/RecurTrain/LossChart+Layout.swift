// LossChart+Layout: where the title, the legend and the panels of a loss chart go, and drawing
// them onto an SVGCanvas.
import Foundation

/// The geometry of a chart and the drawing of its parts. All sizes are pixels.
struct ChartLayout {
    /// The curves to draw.
    let series: ChartSeries
    /// The options the chart was asked for.
    let options: LossChartOptions

    /// Chart width.
    static let width = 900.0
    /// Chart height with the loss panel only.
    static let lossOnlyHeight = 560.0
    /// Chart height with the metric panel below.
    static let twoPanelHeight = 800.0
    /// Left margin: the y tick labels and the rotated y axis title.
    static let left = 84.0
    /// Right margin.
    static let right = 28.0
    /// Below the lowest plot: its x tick labels and the x axis title.
    static let bottom = 62.0
    /// Height of the metric panel's plot.
    static let metricHeight = 170.0
    /// Between the loss plot's bottom and the metric plot's top (the loss plot's x tick labels).
    static let panelGap = 44.0
    /// Font sizes: title, legend and axis titles, tick labels.
    static let titleSize = 18.0, labelSize = 14.0, tickSize = 13.0

    /// The plot rectangle of one panel.
    struct Plot {
        let x: Double, y: Double, width: Double, height: Double
        var bottom: Double { y + height }
    }

    /// The whole chart as SVG text.
    func draw() -> String {
        let height = series.hasMetric ? Self.twoPanelHeight : Self.lossOnlyHeight
        var canvas = SVGCanvas(width: Int(Self.width), height: Int(height))
        let name = series.axis == .step ? "step" : series.axis == .tokens ? "training tokens" : "training time"
        canvas.text(options.title ?? "Loss by \(name)", x: Self.left, y: 30, size: Self.titleSize, weight: "bold",
                    className: "title")
        let legendBottom = drawLegend(&canvas, top: 48)
        let plotWidth = Self.width - Self.left - Self.right
        let lowest = height - Self.bottom
        let lossBottom = series.hasMetric ? lowest - Self.metricHeight - Self.panelGap : lowest
        let lossPlot = Plot(x: Self.left, y: legendBottom + 14, width: plotWidth, height: lossBottom - legendBottom - 14)
        let x = xScale()

        let losses = series.runs.flatMap { $0.train.map(\.y) + $0.validation.map(\.y) }
        let y: ChartScale
        if let low = losses.min(), let high = losses.max() {
            y = options.logY ? .log(low, high) : .linear(low, high, target: 6)
        } else {
            y = options.logY ? .log(1, 10) : .linear(0, 1, target: 5)
        }
        let lossTitle = "loss (nats/token)" + (options.logY ? ", log scale" : "")
        drawAxes(&canvas, plot: lossPlot, x: x, y: y, yTitle: lossTitle, prefix: "loss")
        for run in series.runs { drawCurve(&canvas, run.train, run: run, plot: lossPlot, x: x, y: y, kind: "train") }
        for run in series.runs { drawCurve(&canvas, run.validation, run: run, plot: lossPlot, x: x, y: y, kind: "val") }
        if losses.isEmpty {
            canvas.text("no loss to plot", x: lossPlot.x + lossPlot.width / 2, y: lossPlot.y + lossPlot.height / 2,
                        size: Self.labelSize, anchor: "middle", fill: "#666666")
        }

        var lowestPlot = lossPlot
        if series.hasMetric {
            let metricPlot = Plot(x: Self.left, y: lowest - Self.metricHeight, width: plotWidth, height: Self.metricHeight)
            let unit = ChartScale.linear(0, 1, target: 5)
            drawAxes(&canvas, plot: metricPlot, x: x, y: unit, yTitle: series.metricTitle, prefix: "metric")
            for run in series.runs {
                drawCurve(&canvas, run.metric, run: run, plot: metricPlot, x: x, y: unit, kind: "metric")
            }
            lowestPlot = metricPlot
        }
        let xTitle = series.axis.title + (series.fallbackNote.map { " (\($0))" } ?? "")
        canvas.text(xTitle, x: lowestPlot.x + lowestPlot.width / 2, y: height - 16, size: Self.labelSize,
                    anchor: "middle", className: "xtitle")
        return canvas.document
    }

    /// The shared x axis: from zero (every x field counts from the run's start) to the largest x.
    private func xScale() -> ChartScale {
        let xs = series.runs.flatMap { $0.train.map(\.x) + $0.validation.map(\.x) + $0.metric.map(\.x) }
        guard let high = xs.max() else { return .linear(0, 1, target: 5) }
        return .linear(min(0, xs.min() ?? 0), high, target: 8)
    }

    /// Grid lines, the frame, tick labels on both axes and the rotated y axis title of one panel.
    private func drawAxes(_ canvas: inout SVGCanvas, plot: Plot, x: ChartScale, y: ChartScale, yTitle: String,
                          prefix: String) {
        let grid = "#e3e3e3", ink = "#444444"
        let xEvery = labelStride(x, length: plot.width) { SVGCanvas.textWidth($0, size: Self.tickSize) + 12 }
        for (i, tick) in x.ticks.enumerated() {
            let px = plot.x + x.fraction(tick) * plot.width
            canvas.line(px, plot.y, px, plot.bottom, stroke: grid)
            canvas.line(px, plot.bottom, px, plot.bottom + 5, stroke: ink)
            if i % xEvery == 0 {
                canvas.text(x.labels[i], x: px, y: plot.bottom + 20, size: Self.tickSize, anchor: "middle",
                            className: "\(prefix)-xtick")
            }
        }
        let yEvery = labelStride(y, length: plot.height) { _ in Self.tickSize + 5 }
        for (i, tick) in y.ticks.enumerated() {
            let py = plot.bottom - y.fraction(tick) * plot.height
            canvas.line(plot.x, py, plot.x + plot.width, py, stroke: grid)
            canvas.line(plot.x - 5, py, plot.x, py, stroke: ink)
            if i % yEvery == 0 {
                canvas.text(y.labels[i], x: plot.x - 9, y: py + Self.tickSize * 0.36, size: Self.tickSize, anchor: "end",
                            className: "\(prefix)-ytick")
            }
        }
        canvas.frame(x: plot.x, y: plot.y, width: plot.width, height: plot.height, stroke: "#9a9a9a")
        canvas.text(yTitle, x: 22, y: plot.y + plot.height / 2, size: Self.labelSize, anchor: "middle", rotate: true,
                    className: "\(prefix)-ytitle")
    }

    /// Label every k-th tick, the smallest k for which neighbouring labels do not touch.
    private func labelStride(_ scale: ChartScale, length: Double, size: (String) -> Double) -> Int {
        let positions = scale.ticks.map { scale.fraction($0) * length }
        let needed = scale.labels.map(size).max() ?? 0
        for k in 1...max(1, scale.ticks.count) {
            let gaps = stride(from: k, to: positions.count, by: k).map { positions[$0] - positions[$0 - k] }
            if gaps.allSatisfy({ $0 >= needed }) { return k }
        }
        return max(1, scale.ticks.count)
    }

    /// One curve: a solid line (training loss) or a dashed line with a marker per point (validation).
    private func drawCurve(_ canvas: inout SVGCanvas, _ points: [(x: Double, y: Double)], run: RunCurves, plot: Plot,
                           x: ChartScale, y: ChartScale, kind: String) {
        guard !points.isEmpty else { return }
        let pixels = points.map { (x: plot.x + x.fraction($0.x) * plot.width, y: plot.bottom - y.fraction($0.y) * plot.height) }
        let validation = kind != "train"
        canvas.path(pixels, stroke: run.colour, width: validation ? 1.8 : 1.6, dashed: validation, className: kind, run: run.name)
        if validation || pixels.count == 1 {
            for p in pixels { canvas.marker(x: p.x, y: p.y, radius: 3.6, fill: run.colour, className: "\(kind)-marker") }
        }
    }

    /// The legend: one entry per run (its colour and name), then a key to the line styles, in rows
    /// that wrap at the chart's width. Returns the bottom of the last row.
    private func drawLegend(_ canvas: inout SVGCanvas, top: Double) -> Double {
        let rowHeight = 22.0, swatch = 24.0, gap = 22.0
        var x = Self.left, row = 0
        func place(_ label: String) -> (x: Double, y: Double) {
            let width = swatch + 6 + SVGCanvas.textWidth(label, size: Self.labelSize)
            if x > Self.left, x + width > Self.width - Self.right { x = Self.left; row += 1 }
            defer { x += width + gap }
            return (x, top + Double(row) * rowHeight + rowHeight / 2)
        }
        for run in series.runs {
            let empty = run.train.isEmpty && run.validation.isEmpty && run.metric.isEmpty
            let label = Self.shortened(run.name) + (empty && run.lacksAxis ? " (no \(options.x.rawValue))" : "")
            let at = place(label)
            canvas.line(at.x, at.y, at.x + swatch, at.y, stroke: run.colour, width: 4)
            canvas.text(label, x: at.x + swatch + 6, y: at.y + 5, size: Self.labelSize, className: "legend")
        }
        let grey = "#555555"
        let train = place("training")
        canvas.line(train.x, train.y, train.x + swatch, train.y, stroke: grey, width: 1.6)
        canvas.text("training", x: train.x + swatch + 6, y: train.y + 5, size: Self.labelSize, fill: grey, className: "key")
        let validation = place("validation")
        canvas.line(validation.x, validation.y, validation.x + swatch, validation.y, stroke: grey, width: 1.8,
                    extra: " stroke-dasharray=\"7 4\"")
        canvas.marker(x: validation.x + swatch / 2, y: validation.y, radius: 3.6, fill: grey, className: "key-marker")
        canvas.text("validation", x: validation.x + swatch + 6, y: validation.y + 5, size: Self.labelSize, fill: grey,
                    className: "key")
        return top + Double(row + 1) * rowHeight
    }

    /// A run name cut to its last 48 characters, so one long path cannot push the legend off the chart.
    static func shortened(_ name: String) -> String { name.count <= 48 ? name : "…" + name.suffix(47) }
}
