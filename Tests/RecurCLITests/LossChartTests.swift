// LossChartTests: the SVG of `LossChart` is well-formed, has one path per curve with every point,
// names every run, and puts its ticks where 1-2-5 and log rules say; `ChartScale` and
// `MetricsLog` checked directly.
import Foundation
import RecurTrain
import XCTest

final class LossChartTests: XCTestCase {
    private let twoRuns = [ChartRun(name: "runs/newer", lines: ChartFixtures.newer),
                           ChartRun(name: "older", lines: ChartFixtures.older)]

    /// The chart parses as XML, is a 900 × 560 SVG, and draws each curve once with all its points.
    func testOnePathPerCurveWithEveryPoint() throws {
        let svg = try SVGElements(LossChart.svg(runs: twoRuns))
        XCTAssertEqual(svg.root?.name, "svg")
        XCTAssertEqual(svg.root?.attributes["width"], "900")
        XCTAssertEqual(svg.root?.attributes["height"], "560")
        func points(_ kind: String, _ run: String) -> [Int] {
            svg.all("path", className: kind).filter { $0.attributes["data-run"] == run }
                .map { SVGElements.pointCount($0.attributes["d"] ?? "") }
        }
        XCTAssertEqual(points("train", "runs/newer"), [10])
        XCTAssertEqual(points("val", "runs/newer"), [2])
        XCTAssertEqual(points("train", "older"), [6])
        XCTAssertEqual(points("val", "older"), [2])
        XCTAssertEqual(svg.all("circle", className: "val-marker").count, 4, "one marker per validation point")
        XCTAssertTrue(svg.all("path", className: "metric").isEmpty, "no accuracy or F1: no second panel")
        XCTAssertEqual(Set(svg.all("path").compactMap { $0.attributes["stroke"] }).count, 2, "one colour per run")
    }

    /// The legend names every run, and the x and y ticks of the known input are 0…100 by 10 and 1.0…2.8 by 0.2.
    func testLegendAndTickLabels() throws {
        let svg = try SVGElements(LossChart.svg(runs: twoRuns))
        XCTAssertEqual(svg.texts("legend"), ["runs/newer", "older"])
        XCTAssertEqual(svg.texts("loss-xtick"), ["0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"])
        XCTAssertEqual(svg.texts("loss-ytick"), ["1.0", "1.2", "1.4", "1.6", "1.8", "2.0", "2.2", "2.4", "2.6", "2.8"])
        XCTAssertEqual(svg.texts("xtitle"), ["step"])
        XCTAssertEqual(svg.texts("title"), ["Loss by step"])
    }

    /// With --x tokens the run without tokens draws nothing and says so; the axis counts thousands.
    func testTokensAxisLeavesOutLinesWithoutTokens() throws {
        let svg = try SVGElements(LossChart.svg(runs: twoRuns, options: LossChartOptions(x: .tokens)))
        XCTAssertEqual(svg.all("path", className: "train").map { $0.attributes["data-run"] }, ["runs/newer"])
        XCTAssertEqual(svg.texts("legend"), ["runs/newer", "older (no tokens)"])
        XCTAssertEqual(svg.texts("loss-xtick"), ["0", "5k", "10k", "15k", "20k", "25k", "30k"])
        XCTAssertEqual(svg.texts("xtitle"), ["training tokens"])
    }

    /// When no run records the field, the chart falls back to steps and the axis title says why.
    func testFallsBackToStepsWhenNoRunHasTheField() throws {
        let runs = [ChartRun(name: "older", lines: ChartFixtures.older)]
        let svg = try SVGElements(LossChart.svg(runs: runs, options: LossChartOptions(x: .seconds)))
        XCTAssertEqual(svg.texts("xtitle"), ["step (no run records seconds)"])
        XCTAssertEqual(svg.all("path", className: "train").map { SVGElements.pointCount($0.attributes["d"] ?? "") }, [6])
    }

    /// A log loss axis from 0.3 to 4 is labelled at 0.2, 0.5, 1, 2 and 5; the accuracy panel
    /// appears below, on 0–1, and the chart grows to 800 px.
    func testLogTicksAndMetricPanel() throws {
        let runs = [ChartRun(name: "sentiment", lines: ChartFixtures.classifier)]
        let svg = try SVGElements(LossChart.svg(runs: runs, options: LossChartOptions(logY: true)))
        XCTAssertEqual(svg.texts("loss-ytick"), ["0.2", "0.5", "1", "2", "5"])
        XCTAssertEqual(svg.texts("loss-ytitle"), ["loss (nats/token), log scale"])
        XCTAssertEqual(svg.texts("metric-ytick"), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(svg.texts("metric-ytitle"), ["val accuracy"])
        XCTAssertEqual(svg.all("path", className: "metric").map { SVGElements.pointCount($0.attributes["d"] ?? "") }, [4])
        XCTAssertEqual(svg.root?.attributes["height"], "800")
    }

    /// Names with XML's special characters are escaped, not allowed to break the document.
    func testRunNamesAreEscaped() throws {
        let runs = [ChartRun(name: "a<b>&\"c\"", lines: ChartFixtures.older)]
        let svg = try SVGElements(LossChart.svg(runs: runs))
        XCTAssertEqual(svg.texts("legend"), ["a<b>&\"c\""])
    }

    /// Linear scales step by 1, 2 or 5 times a power of ten and end on whole steps.
    func testLinearScale() {
        XCTAssertEqual(ChartScale.linear(0, 100, target: 5).ticks, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(ChartScale.linear(0, 200, target: 8).ticks, Array(stride(from: 0.0, through: 200, by: 20)))
        XCTAssertEqual(ChartScale.linear(0.013, 0.07, target: 5).labels, ["0.01", "0.02", "0.03", "0.04", "0.05", "0.06", "0.07"])
        XCTAssertEqual(ChartScale.linear(0, 2_400_000, target: 6).labels, ["0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M"])
        let single = ChartScale.linear(2, 2, target: 5)
        XCTAssertTrue(single.lower < 2 && single.upper > 2, "a single value gets room either side: \(single)")
    }

    /// Log scales: decades with 2 and 5 over a few decades, decades only over many, finer within one.
    func testLogScale() {
        XCTAssertEqual(ChartScale.log(0.3, 4).labels, ["0.2", "0.5", "1", "2", "5"])
        XCTAssertEqual(ChartScale.log(0.0015, 40).labels, ["0.001", "0.01", "0.1", "1", "10"])
        XCTAssertEqual(ChartScale.log(2.2, 4.8).labels, ["2", "3", "4", "5"])
        XCTAssertEqual(ChartScale.log(1.2, 1.9).labels, ["1.0", "1.2", "1.4", "1.6", "1.8", "2.0"])
        XCTAssertEqual(ChartScale.log(1, 10).fraction(10), 1, accuracy: 1e-12)
    }

    /// The reader keeps null losses as nil, skips blank lines, and names the file and line of a bad one.
    func testMetricsLogParsing() throws {
        let text = "{\"step\":1,\"loss\":null,\"tokens\":64}\n\n{\"step\":2,\"loss\":2.5,\"val_f1\":0.5,\"seconds\":1.5}\n"
        XCTAssertEqual(try MetricsLog.parse(text, file: "m"), [LogLine(step: 1, tokens: 64),
                                                                LogLine(step: 2, loss: 2.5, valF1: 0.5, seconds: 1.5)])
        XCTAssertThrowsError(try MetricsLog.parse("{\"step\":1}\n{\"step\":2,\n", file: "m")) { error in
            XCTAssertEqual("\(error)".prefix(4), "m:2:")
        }
        XCTAssertThrowsError(try MetricsLog.parse("{\"loss\":1}", file: "m")) { XCTAssertTrue("\($0)".contains("step")) }
        XCTAssertThrowsError(try MetricsLog.parse("\n", file: "m")) { XCTAssertEqual($0 as? MetricsLogError, .empty("m")) }
    }
}
