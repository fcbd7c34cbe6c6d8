// PlotCommand: `recur plot`, the loss curves of one or more run folders as an SVG file.
import ArgumentParser
import Foundation
import RecurTrain

/// `recur plot`: reads each run's metrics.jsonl and writes one chart comparing them, so a run can
/// be judged in a browser without a plotting stack.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Draw the loss curves of run folders as an SVG chart.",
        discussion: """
        Draws each run's training loss (solid) and validation loss (dashed, a marker per
        evaluation) in its own colour; a classifier's or tagger's validation accuracy or F1
        gets a second panel below. The legend names each folder.

        --x tokens or --x seconds needs the tokens and seconds fields of newer metrics files:
        lines without the field are left out, and when no run has it the chart falls back
        to steps and says so under the axis.

        Example:
          recur plot runs/gru runs/lstm --x tokens --log-y --out compare.svg
        """)

    @Argument(help: "Run folders (each holds metrics.jsonl).")
    var runDirs: [String] = []
    @Option(help: "SVG file to write (default: loss.svg in the first run folder).")
    var out: String?
    @Option(help: "The x axis: step, tokens or seconds.")
    var x: ChartXAxis = .step
    @Flag(help: "A logarithmic loss axis.")
    var logY = false

    func validate() throws {
        if runDirs.isEmpty { throw ValidationError("give at least one run folder") }
    }

    /// - Throws: `MetricsLogError` for a missing folder or file, an empty file or a bad line;
    ///   `TrainError.data` when the chart cannot be written.
    func run() throws {
        let names = Self.legendNames(runDirs)
        let runs = try zip(runDirs, names).map { dir, name in
            ChartRun(name: name, lines: try MetricsLog.read(runDirectory: dir))
        }
        let svg = LossChart.svg(runs: runs, options: LossChartOptions(x: x, logY: logY))
        let path = out ?? (runDirs[0] as NSString).appendingPathComponent("loss.svg")
        do { try svg.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw TrainError.data("\(path): cannot write the chart (\(error.localizedDescription))")
        }
        print("wrote \(path)")
    }

    /// Each folder's name as the legend shows it: its last path component, or as many trailing
    /// components as it takes to tell it from the other folders (`a/run` and `b/run`).
    static func legendNames(_ dirs: [String]) -> [String] {
        let parts = dirs.map { dir in
            dir.split(separator: "/").map(String.init).filter { $0 != "." }
        }
        return parts.enumerated().map { index, components in
            guard !components.isEmpty else { return dirs[index] }
            var take = 1
            func tail(_ c: [String], _ n: Int) -> String { c.suffix(n).joined(separator: "/") }
            while take < components.count,
                  parts.enumerated().contains(where: { $0.offset != index && tail($0.element, take) == tail(components, take) }) {
                take += 1
            }
            return tail(components, take)
        }
    }
}

extension ChartXAxis: ExpressibleByArgument {}
