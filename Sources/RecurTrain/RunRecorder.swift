// RunRecorder: everything a run writes at each metrics line, the same for the single process and
// the coordinator — metrics.jsonl, TensorBoard's event file, the Prometheus textfile, and the
// loss chart at each evaluation and at the end.
import Foundation
import RecurBoard
import RecurIO

/// Writes one step's figures everywhere a user looks at a run.
///
/// `metrics.jsonl` is the record of the run: a failure to write it stops the run, as before. The
/// other outputs are views of it; a failure to write one (a full disk) is reported once, as a
/// `note` event, and training goes on.
public final class RunRecorder {
    /// The run folder.
    public let runDirectory: String
    var metrics: MetricsWriter
    /// `RUN_DIR/tensorboard/events.out.tfevents.<time>.<host>`: a new file for each process (a
    /// resumed run's curves go on from its first line).
    let board: TensorBoardWriter?
    /// Outputs that failed once, so each is reported once.
    var failed = Set<String>()
    /// Reports a failed view (`failed`'s first failure of each).
    let warn: (String) -> Void

    /// The TensorBoard folder of a run.
    public static func boardDirectory(_ runDirectory: String) -> String {
        (runDirectory as NSString).appendingPathComponent("tensorboard")
    }

    /// Opens the outputs of `runDirectory` (which exists).
    /// - Parameter warn: told, once per output, that it could not be written.
    /// - Throws: `FileSystemError` when `metrics.jsonl` cannot be opened.
    public init(runDirectory: String, warn: @escaping (String) -> Void) throws {
        self.runDirectory = runDirectory
        self.warn = warn
        metrics = try MetricsWriter(path: (runDirectory as NSString).appendingPathComponent("metrics.jsonl"))
        do { board = try TensorBoardWriter(directory: Self.boardDirectory(runDirectory)) } catch {
            warn("no TensorBoard events for this run: \(error)")
            board = nil
        }
    }

    /// Closes `metrics.jsonl` and the event file.
    public func close() {
        metrics.close()
        board?.close()
    }

    /// Reopens `metrics.jsonl` after it was cut back (a rollback).
    public func reopenMetrics() throws {
        metrics.close()
        metrics = try MetricsWriter(path: (runDirectory as NSString).appendingPathComponent("metrics.jsonl"))
    }

    /// Writes one metrics line and its views.
    /// - Parameters:
    ///   - cluster: a cluster's own scalars for TensorBoard (`cluster/…`).
    ///   - exposition: the Prometheus families of the moment, written to `RUN_DIR/recur.prom`.
    ///   - chart: whether to redraw `RUN_DIR/loss.svg` (evaluation steps and the last).
    /// - Throws: `FileSystemError` when `metrics.jsonl` cannot be written.
    public func record(_ r: MetricsRecord, cluster: [(tag: String, value: Double)] = [],
                       exposition: PrometheusExposition, chart: Bool) throws {
        try metrics.append(r)
        attempt("TensorBoard events") { try board?.write(step: r.step, scalars: Self.scalars(r) + cluster) }
        attempt("recur.prom") { try exposition.writeTextfile(path: (runDirectory as NSString).appendingPathComponent("recur.prom")) }
        if chart { attempt("loss.svg") { try drawChart() } }
    }

    /// Runs one view's write, reporting its first failure.
    func attempt(_ what: String, _ body: () throws -> Void) {
        do { try body() } catch {
            if failed.insert(what).inserted { warn("could not write \(what) (training goes on): \(error)") }
        }
    }

    /// Redraws `RUN_DIR/loss.svg` from the whole of `metrics.jsonl`.
    public func drawChart() throws {
        let lines = try MetricsLog.read(runDirectory: runDirectory)
        let name = (runDirectory as NSString).lastPathComponent
        let svg = LossChart.svg(runs: [ChartRun(name: name, lines: lines)])
        try Data(svg.utf8).write(to: URL(fileURLWithPath: (runDirectory as NSString).appendingPathComponent("loss.svg")),
                                 options: .atomic)
    }

    /// The TensorBoard scalars of a metrics line, named so that they group in its UI.
    static func scalars(_ r: MetricsRecord) -> [(tag: String, value: Double)] {
        var s: [(tag: String, value: Double)] = [("train/loss", r.loss), ("opt/lr", r.lr), ("opt/grad_norm", r.gradNorm),
                                                 ("speed/tokens_per_second", r.tokensPerSecond)]
        if let v = r.valLoss { s.append(("val/loss", v)) }
        if let v = r.valAccuracy { s.append(("val/accuracy", v)) }
        if let v = r.valF1 { s.append(("val/f1", v)) }
        if let v = r.valExactMatch { s.append(("val/exact_match", v)) }
        if let w = r.workers { s.append(("cluster/workers", Double(w))) }
        if let st = r.staleness { s.append(("cluster/staleness_mean", st.mean)) }
        return s
    }

    /// The Prometheus families every run exposes (the coordinator adds its cluster's).
    /// - Parameter secondsSinceCheckpoint: since the last checkpoint (or the run's start).
    public static func families(_ r: MetricsRecord, validation: ValidationResult?,
                                secondsSinceCheckpoint: Double) -> [PrometheusFamily] {
        var f: [PrometheusFamily] = [
            .single("recur_step", help: "Optimizer steps done.", Double(r.step)),
            .single("recur_train_loss", help: "Mean training loss of the last logged step (nats per target).", r.loss),
            .single("recur_tokens_per_second", help: "Training tokens per second since the previous line.", r.tokensPerSecond),
            .single("recur_grad_norm", help: "Gradient norm before clipping, last logged step.", r.gradNorm),
            .single("recur_learning_rate", help: "Learning rate of the last logged step.", r.lr),
            .single("recur_seconds_since_checkpoint", help: "Seconds since the last checkpoint (or the run's start).",
                    secondsSinceCheckpoint),
        ]
        if let v = validation {
            f.append(.single("recur_val_loss", help: "Validation loss at the last evaluation.", v.loss))
            if let a = v.accuracy { f.append(.single("recur_val_accuracy", help: "Validation accuracy at the last evaluation.", a)) }
            if let x = v.f1 { f.append(.single("recur_val_f1", help: "Entity-level validation F1 at the last evaluation.", x)) }
            if let x = v.exactMatch { f.append(.single("recur_val_exact_match", help: "Validation exact match (greedy decoding) at the last evaluation.", x)) }
        }
        return f
    }
}
