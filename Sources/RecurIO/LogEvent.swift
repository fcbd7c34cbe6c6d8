// LogEvent: the names of the events processes log, and the fields each carries — the vocabulary
// that `--log-format json` lines are selected by. Names are stable: add new ones, never rename.

/// The stable, snake_case name of a logged event. Every line also carries `role` (the process:
/// `coordinator`, `ps`, a worker's name, `train`, `launch`) and `message` (the text-mode sentence).
public enum LogEvent: String, Sendable, CaseIterable {
    /// Any line without an event of its own; only `message`.
    case note
    /// The coordinator's progress line of a logged step: `step`, `total`, `loss`, `tokens_per_second`,
    /// `workers`.
    case progress
    /// A worker's lease ran out and its shard is dealt again: `worker`, `lease`, `step`, `shard`.
    case leaseExpired = "lease_expired"
    /// A worker said it is leaving (its shard in hand is dealt again): `worker`, `reason`.
    case workerLeft = "worker_left"
    /// A silent worker with no shard in hand is forgotten: `worker`.
    case workerForgotten = "worker_forgotten"
    /// A direction of a data path settles on shared memory or TCP: `peer` (the other process),
    /// `direction` (`gradients_in`, `gradients_out` or `weights_in`), `shared` (bool).
    case dataPath = "data_path"
    /// An undecodable or foreign message was dropped: `peer`, `error`.
    case messageDropped = "message_dropped"
    /// A parameter server's closing line: `version`, `bad_shape`, `duplicates`, `not_finite`, `stale`.
    case serverClosed = "server_closed"
    /// The coordinator's closing line: `step`, `expired`, `duplicates`, `handed_back`,
    /// `refused_registrations`.
    case coordinatorClosed = "coordinator_closed"
    /// A worker's closing line: `shards` (results it sent), `welcomed` (bool).
    case workerClosed = "worker_closed"
    /// A NaN or Inf loss or gradient: training went back to a checkpoint with the learning rate
    /// halved: `step` (the checkpoint's), `lr`, `path`.
    case rolledBack = "rolled_back"
    /// A NaN or Inf under `--on-divergence stop`: the run ends with an error: `step`.
    case divergenceStopped = "divergence_stopped"
    /// Resuming skipped an unreadable checkpoint: `step`, `path`, `error`.
    case checkpointSkipped = "checkpoint_skipped"
    /// Resuming from a checkpoint: `step`, `path`.
    case resumed
    /// The run had already reached its last step; nothing was trained or rewritten: `step`.
    case runComplete = "run_complete"
    /// The local launcher stopped a process still running after the run ended: `process`, `killed` (bool).
    case processStopped = "process_stopped"
    /// A role process exited before the run ended: `process`, `status`.
    case processExited = "process_exited"
}
