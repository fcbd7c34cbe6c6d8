// Resume: `--resume PATH` for `recur train` and `recur coordinator` — the checkpoint to continue
// from and the options of the continued run.
import Foundation
import RecurIO
import RecurTrain

/// Resolves `--resume PATH` against the parsed options.
/// - Returns: the options to run with, and the checkpoint (nil when the run folder has none yet:
///   the run then starts again from step 0 with the flags given).
/// - Throws: `TrainError` for an unusable checkpoint or a flag that would change the model or data.
func resolveResume(_ path: String, runDir: String?, options given: TrainOptions) throws -> (TrainOptions, ResumeState?) {
    var o = given
    guard let r = try ResumeState.load(path) else {
        note("warning: \(path) has no checkpoint yet; starting again from step 0 with the flags given")
        o.runDirectory = runDir ?? path
        try Trainer.clearMetrics(in: o.runDirectory)
        return (o, nil)
    }
    for s in r.skipped {
        let step = (s.path as NSString).lastPathComponent.split(separator: "-").last.flatMap { Int($0) }
        note(LogRecord(.checkpointSkipped, "warning: skipped checkpoint \(s.path): \(s.error)",
                       [("step", step.map { .int($0) } ?? .null), ("path", .string(s.path)), ("error", .string(s.error))]))
    }
    let explicit = Set(CommandLine.arguments.map { String($0.split(separator: "=").first ?? "") })
    o = try r.options(given, explicit: explicit)
    if let runDir {
        o.runDirectory = runDir
    } else {  // a run folder resumes in place; a checkpoint folder, in the run folder holding it
        let isRun = FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("checkpoints"))
        o.runDirectory = isRun ? path : ((r.path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
    }
    note(LogRecord(.resumed, "resuming from \(r.path) at step \(r.step)", [("step", .int(r.step)), ("path", .string(r.path))]))
    return (o, r)
}
