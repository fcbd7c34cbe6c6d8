// TrainCommand: `recur train`, in one process or as a local cluster of role processes.
import ArgumentParser
import Foundation
import RecurData
import RecurModel
import RecurRoles
import RecurTrain


/// `recur train`: trains a language model and writes metrics and checkpoints.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a language model, in one process or on a local cluster.",
        discussion: """
        Without --corpus it trains on the built-in synthetic language (made from --seed).
        Writes RUN_DIR/metrics.jsonl and RUN_DIR/checkpoints/step-NNNNNNNN/ with
        RUN_DIR/checkpoints/latest pointing at the newest.

        By default it starts a local cluster: a coordinator, a parameter server and --workers
        workers, each its own process, over TCP on 127.0.0.1. With --single-process it trains in
        this process. Both give bit-identical weights for the same flags.

        Examples:
          recur train --run-dir runs/demo
          recur train --workers 3 --threads 1 --corpus input.txt --hidden 256 --steps 2000 --run-dir runs/c3
          recur train --single-process --corpus input.txt --cell gru --hidden 256 --steps 2000 --run-dir runs/gru
          recur train --single-process --tokenizer word --vocab-size 5000 --epochs 2 --run-dir runs/words
        """)

    @OptionGroup var flags: TrainFlags
    @Flag(help: "Train in this process (no coordinator, parameter server or workers).")
    var singleProcess = false
    @Option(help: "Local workers (each a process) when not --single-process.")
    var workers: Int = 2
    @Option(help: "BLAS threads per process.")
    var threads: Int = TrainOptions().threads
    @OptionGroup var distributed: RunFlags
    @OptionGroup var log: LogFlags
    @Option(help: "Local cluster: restarts from the newest checkpoint when the PS or coordinator dies.")
    var restarts: Int = 3
    @Flag(help: "Print the options the run would use (after --resume) as one JSON object, and exit.")
    var printOptions = false
    /// Fault injection for the test suite: local worker K dials a port where nothing listens, so it
    /// never joins (as if it were still starting up when the run ends).
    @Option(help: .hidden)
    var faultSilentWorker: Int?

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1, got \(workers)") }
        if flags.runDir == nil && distributed.resume == nil { throw ValidationError("--run-dir is required (or --resume RUN_DIR)") }
        if distributed.resume != nil && distributed.mode == .async { throw ValidationError("--resume works in sync mode only") }
        if distributed.staleness < 0 { throw ValidationError("--staleness must be non-negative, got \(distributed.staleness)") }
        if singleProcess && distributed.mode == .async { throw ValidationError("--mode async needs workers; drop --single-process") }
        if let s = distributed.psShards, s < 1 { throw ValidationError("--ps-shards must be at least 1, got \(s)") }
        if (distributed.psShards ?? 1) > 1 && distributed.mode == .async { throw ValidationError("--ps-shards works in sync mode only") }
        if !(distributed.leaseTimeout > 0) { throw ValidationError("--lease-timeout must be positive, got \(distributed.leaseTimeout)") }
    }

    func run() throws {
        log.apply()
        var o = flags.options(threads: threads)
        var state: ResumeState?
        if let path = distributed.resume { (o, state) = try resolveResume(path, runDir: flags.runDir, options: o) }
        if printOptions { return try printJSON(o) }
        let checkpoint: String
        if singleProcess {
            let trainer = try Trainer(options: o, resume: state)
            let summary = try trainer.run()
            let val = (summary.valLoss.map { String(format: ", val loss %.4f", $0) } ?? "")
                + (summary.validation?.accuracy.map { String(format: ", val accuracy %.4f", $0) } ?? "")
                + (summary.validation?.f1.map { String(format: ", val F1 %.4f", $0) } ?? "")
                + (summary.validation?.exactMatch.map { String(format: ", val exact match %.4f", $0) } ?? "")
            let loss = summary.lastLoss.map { String(format: "loss %.4f", $0) } ?? "no loss recorded"
            note(summary.alreadyComplete ? "already complete: \(summary.steps) steps, \(loss)\(val); checkpoint \(summary.checkpoint)"
                 : String(format: "done: %d steps, %@%@, %.0f tokens/s; checkpoint %@", summary.steps, loss, val,
                          summary.tokensPerSecond, summary.checkpoint))
            checkpoint = summary.checkpoint
        } else {
            try o.validate()
            try o.validateForCluster()
            // Check the data here, so a bad corpus is one clear error before any process starts.
            _ = try TaskData.load(o)
            var cluster = LocalCluster(options: o, distributed: distributed, workers: workers)
            cluster.resume = distributed.resume
            cluster.overrideLearningRate = flags.overrideLr
            cluster.restarts = restarts
            cluster.silentWorker = faultSilentWorker
            checkpoint = try cluster.run()
            note("done: checkpoint \(checkpoint)")
        }
        if !flags.quiet && o.task == .lm {
            let sample = try Sampler(try ModelFile.load(checkpoint: checkpoint))
                .generate(prime: "", length: 200, temperature: 0.8, seed: flags.seed, stopAtEOS: false)
            print("sample:\n\(sample)")
        }
    }
}
