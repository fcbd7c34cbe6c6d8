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
    /// A worker registered with the coordinator: `worker`, `alive` (registered workers, itself
    /// included), `welcomed` (false while the parameter servers are not all configured: its
    /// Welcome follows once they are).
    case workerJoined = "worker_joined"
    /// The coordinator connects to a parameter server and sends it the configuration: `shard` (its
    /// slice), `endpoint`.
    case configuringServer = "configuring_server"
    /// The coordinator turned a registration away: `peer`, `kind` (`worker`: over the worker cap,
    /// logged once per 100; `ps`: a slice or endpoint it cannot use), `reason`.
    case registrationRefused = "registration_refused"
    /// A CURVE server refused a handshake (ZAP): `address`, `mechanism`, `key` (the client's public
    /// key in Z85; null for another mechanism), `reason`.
    case clientRefused = "client_refused"
    /// A parameter server dropped a request that needs a configuration it has not had yet: `peer`,
    /// `kind` (`gradient` or `weights_request`).
    case notConfigured = "not_configured"
    /// A restarted coordinator configured this process again; it starts over: `incarnation` (the new
    /// coordinator's); a parameter server adds `step` (the step it starts over from).
    case newCoordinator = "new_coordinator"
    /// The coordinator told this worker the run is over (a Leave); it exits: `reason`.
    case dismissed
    /// A worker gave up a shard because a piece of its weights did not come, and handed it back:
    /// `lease` (null when no shard was in hand any more), `error`.
    case shardAbandoned = "shard_abandoned"
    /// `recur launch` chose this process's part in the run: `assigned_role` (`coordinator`, `ps` or
    /// `worker`), `rank` (null without one), `ps_shards`, `coordinator` (its endpoint), `run_id`
    /// (decimal text: it may exceed a signed 64-bit integer), `security` (`curve` or `null`),
    /// `sources` (where the settings came from).
    case launchPlan = "launch_plan"
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
    /// A checkpoint was skipped: resuming passed over an unreadable one, or (`write` true) a
    /// checkpoint could not be written for lack of space and training goes on without it:
    /// `step`, `path`, `error`, and for a write `latest` (the checkpoint `latest` still names, or null).
    case checkpointSkipped = "checkpoint_skipped"
    /// Resuming from a checkpoint: `step`, `path`.
    case resumed
    /// The run had already reached its last step; nothing was trained or rewritten: `step`.
    case runComplete = "run_complete"
    /// The local launcher stopped a process still running after the run ended: `process`, `killed` (bool).
    case processStopped = "process_stopped"
    /// A role process exited before the run ended: `process`, `status`, and `restart` when the
    /// local launcher restarts the run for it (1 for the first restart).
    case processExited = "process_exited"
}
