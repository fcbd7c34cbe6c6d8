// CheckpointRule: what a run does when a checkpoint cannot be written because the disk is full —
// the same rule for the single process and the cluster coordinator.
import RecurIO

/// The full-disk rule for checkpoints.
///
/// A checkpoint is a restart point, not the record of the run, so one that does not fit is not
/// worth losing the training done since the last one: a periodic checkpoint that fails for lack
/// of space (`ENOSPC` or `EDQUOT`) is skipped, one `checkpoint_skipped` event says so, and the run
/// goes on (the next checkpoint is tried as usual, and the space a failed write took is freed).
/// The final checkpoint is the run's result, so its failure ends the run with an error naming the
/// newest checkpoint that remains. Any other write failure (permissions, I/O errors) ends the run
/// as before. In every case `CheckpointStore` leaves earlier checkpoints and `latest` untouched.
public enum CheckpointRule {
    /// Writes `step`'s checkpoint and prunes old ones, applying the full-disk rule.
    /// - Parameters:
    ///   - store: the run's checkpoint folder.
    ///   - step: the step being saved.
    ///   - producers: file name → its bytes, as `CheckpointStore.write(step:producers:)` takes them.
    ///   - isFinal: whether this is the run's last checkpoint (never skipped).
    ///   - keep: `--keep` (0 keeps every checkpoint).
    ///   - log: told of a skipped checkpoint, with a `checkpoint_skipped` record.
    /// - Returns: the new checkpoint's path, or nil when it was skipped.
    /// - Throws: `TrainError.checkpoint` when the final checkpoint cannot be written, or any
    ///   checkpoint fails for another reason than space.
    public static func write(store: CheckpointStore, step: Int, producers: [String: () throws -> [UInt8]],
                             isFinal: Bool, keep: Int, log: (LogRecord) -> Void) throws -> String? {
        let path: String
        do {
            path = try store.write(step: step, producers: producers)
        } catch let error as CheckpointError {
            let previous = store.latest()
            let kept = previous.map { "the newest checkpoint is still \($0)" } ?? "there is no earlier checkpoint"
            guard error.isNoSpace, !isFinal else {
                throw TrainError.checkpoint("the \(isFinal ? "final " : "")checkpoint of step \(step) could not be written "
                                            + "(\(error)); \(kept)")
            }
            let target = store.checkpointsDirectory + "/" + CheckpointStore.folderName(step: step)
            log(LogRecord(.checkpointSkipped, "warning: no space for the checkpoint of step \(step), skipped (\(kept)); training goes on", [
                ("step", .int(step)), ("path", .string(target)), ("error", .string("\(error)")), ("write", .bool(true)),
                ("latest", previous.map { .string($0) } ?? .null)]))
            return nil
        }
        if keep > 0 { try store.prune(keep: keep) }
        return path
    }
}
