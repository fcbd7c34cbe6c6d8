// PlotCommandTests: `recur plot` writes the chart of real and hand-written run folders, takes
// --out, --x and --log-y, and refuses a missing, empty or damaged metrics file in one line.
import Foundation
import XCTest

final class PlotCommandTests: CLITestCase {
    /// Two folders with the same last name: the chart goes to the first one's loss.svg, and the
    /// legend tells them apart by their parents.
    func testWritesLossSVGInTheFirstFolder() throws {
        try ChartFixtures.writeRun(ChartFixtures.newer, to: path("gru/run"))
        try ChartFixtures.writeRun(ChartFixtures.older, to: path("lstm/run"))
        let r = try recurOK(["plot", "gru/run", "lstm/run"])
        XCTAssertEqual(r.stdout, "wrote gru/run/loss.svg\n")
        let svg = try SVGElements(try String(contentsOfFile: path("gru/run/loss.svg"), encoding: .utf8))
        XCTAssertEqual(svg.texts("legend"), ["gru/run", "lstm/run"])
        XCTAssertEqual(svg.all("path", className: "train").count, 2)
    }

    /// --out, --x tokens and --log-y reach the chart.
    func testOutXAndLogYFlags() throws {
        try ChartFixtures.writeRun(ChartFixtures.newer, to: path("a"))
        try recurOK(["plot", "a", "--out", "compare.svg", "--x", "tokens", "--log-y"])
        let svg = try SVGElements(try String(contentsOfFile: path("compare.svg"), encoding: .utf8))
        XCTAssertEqual(svg.texts("xtitle"), ["training tokens"])
        XCTAssertEqual(svg.texts("loss-ytitle"), ["loss (nats/token), log scale"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("a/loss.svg")))
    }

    /// A tiny real training run plots: its two metric lines become a two-point training curve.
    func testPlotsARealRun() throws {
        try trainTiny("real")
        try recurOK(["plot", "real"])
        let svg = try SVGElements(try String(contentsOfFile: path("real/loss.svg"), encoding: .utf8))
        XCTAssertEqual(svg.all("path", className: "train").map { SVGElements.pointCount($0.attributes["d"] ?? "") }, [2])
        XCTAssertEqual(svg.texts("legend"), ["real"])
    }

    /// A folder that does not exist, and one without metrics.jsonl.
    func testMissingFolderOrFileIsOneLine() throws {
        assertOneLineError(try recur(["plot", "nowhere"]), mentions: ["nowhere", "no such run folder"])
        try FileManager.default.createDirectory(atPath: path("bare"), withIntermediateDirectories: true)
        assertOneLineError(try recur(["plot", "bare"]), mentions: ["bare", "no metrics.jsonl"])
    }

    /// An empty file, and a damaged third line named by file and line number.
    func testEmptyOrMalformedFileIsOneLine() throws {
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: path("empty/metrics.jsonl")))
        assertOneLineError(try recur(["plot", "empty"]), mentions: ["empty/metrics.jsonl", "empty"])

        try ChartFixtures.writeRun(ChartFixtures.older, to: path("bad"))
        var lines = try String(contentsOfFile: path("bad/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        lines[2] = lines[2].prefix(12)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path("bad/metrics.jsonl"), atomically: true, encoding: .utf8)
        assertOneLineError(try recur(["plot", "bad"]), mentions: ["bad/metrics.jsonl:3:"])
    }

    /// `recur plot --help` shows the usage line and an example, like every subcommand.
    func testHelp() throws {
        let r = try recurOK(["plot", "--help"])
        XCTAssertTrue(r.stdout.contains("USAGE: recur plot"), r.summary)
        XCTAssertTrue(r.stdout.contains("Example"), r.summary)
    }
}
