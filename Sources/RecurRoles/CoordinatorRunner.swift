// CoordinatorRunner: the coordinator's run loop — a ROUTER for workers (and registering parameter
// servers), a DEALER to each parameter server slice; it turns what arrives into the machine's
// events and performs its actions: messages, metrics lines, evaluations and checkpoints.
import Foundation
import RecurData
import RecurIO
import RecurMath
import RecurModel
import RecurTrain
import RecurTransport
import RecurWire

/// Runs the coordinator of a distributed run to its end.
public final class CoordinatorRunner {
    let options: TrainOptions
    let data: TaskData
    let config: RunConfig
    /// When to log, evaluate and checkpoint: the single process's schedule.
    let schedule: RunSchedule
    let machine: CoordinatorMachine
    let bindEndpoint: String
    /// Where to serve Prometheus's `GET /metrics` (off when nil).
    let metricsAddress: MetricsEndpoint.Address?
    let runID: UInt64
    let security: RoleSecurity

    /// Loads the data and prepares the run.
    /// - Throws: `TrainError` for unusable options or data.
    /// - Parameters:
    ///   - psEndpoints: one endpoint per parameter slice (`--ps-shards` of them); nil for a slice
    ///     whose server registers itself over `bind` (`recur launch`).
    ///   - sharedMemory: let workers and servers on one host exchange tensors through shared memory.
    ///   - resume: a checkpoint to continue from (its options must come from
    ///     `ResumeState.options`); sync mode only.
    public init(options o: TrainOptions, bind: String, psEndpoints: [String?], runID: UInt64, leaseTimeoutMs: Int,
                mode: UpdateMode = .sync, staleness: Int = 0, sharedMemory: Bool = true, resume: ResumeState? = nil,
                security: RoleSecurity = .plain, expectedWorkers: Int? = nil,
                metricsAddress: MetricsEndpoint.Address? = nil) throws {
        self.metricsAddress = metricsAddress
        try o.validate()
        try o.validateForCluster()
        options = o
        bindEndpoint = bind
        self.runID = runID
        self.security = security
        try security.checkPlainTCP(bind)
        data = try TaskData.load(o)
        schedule = RunSchedule(options: o, chunksPerEpoch: data.source.stepsPerEpoch)
        var c = RunConfig(options: o, data: data, totalSteps: schedule.totalSteps, mode: mode,
                          staleness: staleness, leaseTimeoutMs: leaseTimeoutMs, psShards: max(1, psEndpoints.count))
        c.sharedMemory = sharedMemory
        _ = try RunConfig.parse(try c.json())  // the checks every server and worker will make
        var frames: [WireFrame] = [], hidden: [Float]? = nil
        if let r = resume {
            guard mode == .sync else { throw RoleError.badConfig("--resume works in sync mode only") }
            let t = try r.tensors(config: c.model)
            for (name, b) in [("params", t.params), ("m", t.m), ("v", t.v)] where b.count > 0 {
                frames.append(try WireFrame(name: name, shape: [b.count], floats: UnsafeBufferPointer(start: b.pointer, count: b.count)))
            }
            hidden = t.hidden
            c.resumeStep = r.step
            if c.timeLimitSeconds != nil { c.spentSeconds = Trainer.totals(atStep: r.step, runDirectory: o.runDirectory).seconds }
            try Trainer.truncateMetrics((o.runDirectory as NSString).appendingPathComponent("metrics.jsonl"), after: r.step)
        }
        config = c
        machine = CoordinatorMachine(runID: runID, config: c, psEndpoints: psEndpoints, source: data.source,
                                     resumeFrames: frames, hidden: hidden, schedule: schedule, expectedWorkers: expectedWorkers)
    }

    /// Binds, prints `endpoint <address>` on standard output and runs every step.
    /// - Returns: the final checkpoint's path (for a resumed run that was already complete, its
    ///   newest checkpoint, untouched).
    public func run() throws -> String {
        let context = try ZContext()
        let authenticator = try security.startAuthenticator(context, role: "coordinator")
        defer { authenticator?.stop() }
        let router = try RoleSupport.socket(context, .router, security: security.server, maxBytes: RoleSupport.controlMessageBytes)
        try router.setRouterHandover(true)
        let endpoint = try router.bind(bindEndpoint)
        let ps = PSLinks(context: context, shards: machine.parameterShards.shards, security: security)
        print("endpoint \(endpoint)")
        fflush(nil)  // every stream: Swift 6 refuses to read the C global `stdout`
        try FileManager.default.createDirectory(atPath: options.runDirectory, withIntermediateDirectories: true)
        // Where `recur status RUN_DIR` finds this coordinator, while it runs.
        try CoordinatorAddress(endpoint: endpoint, runID: runID, pid: getpid()).write(runDirectory: options.runDirectory)
        defer { CoordinatorAddress.remove(runDirectory: options.runDirectory) }
        // Opened at the first step: a resumed run that is already complete writes nothing.
        var recorder: RunRecorder?
        defer { recorder?.close() }
        let endpointForMetrics = try metricsAddress.map { try MetricsEndpoint(address: $0) }
        defer { endpointForMetrics?.stop() }
        if let e = endpointForMetrics { RoleSupport.log("coordinator", "serving Prometheus metrics at http://\(e.address)/metrics") }
        var lastTick = RoleSupport.nowMs()
        var log = CoordinatorMetrics(source: data.source, config: config)
        log.totals = Trainer.totals(atStep: config.resumeStep ?? 0, runDirectory: options.runDirectory)
        var checkpoint: String?
        var queue = machine.handle(.start(nowMs: RoleSupport.nowMs()))
        RoleSupport.log("coordinator", "listening on \(endpoint); \(config.totalSteps) steps of \(config.shardCount) shards")
        while true {
            while !queue.isEmpty {
                switch queue.removeFirst() {
                case .toWorker(let id, let m):
                    do { try router.send(m, routingID: id) } catch {
                        RoleSupport.log("coordinator", "could not send \(m.body.kind) to \(id): \(error)")
                    }
                case .connectPS(let k, let endpoint):
                    try ps.connect(k, endpoint: endpoint)
                case .toPS(let k, let m):
                    try ps.send(k, m)
                case .evaluate(let w):
                    log.evaluated = (w.step, data.validate(config: config.model, params: w.params))  // between update and report: not timed
                case .stepDone(let r):
                    if recorder == nil {
                        recorder = try RunRecorder(runDirectory: options.runDirectory) { RoleSupport.log("coordinator", $0) }
                    }
                    let status = machine.status(nowMs: RoleSupport.nowMs())
                    let exposition = log.exposition(r, status: status, config: config)
                    try log.stepDone(r, schedule: schedule, config: config, recorder: recorder!, status: status,
                                     exposition: exposition, verbose: options.verbose)
                    if let e = endpointForMetrics, let text = try? exposition.render() { e.update(text) }
                case .checkpoint(let w):
                    if let path = try writeCheckpoint(w) {
                        checkpoint = path
                        log.lastCheckpointMs = RoleSupport.nowMs()
                        queue += machine.handle(.checkpointWritten(step: w.step))
                    } else {
                        queue += machine.handle(.checkpointSkipped(step: w.step))
                    }
                case .finished:  // the Leaves before it are queued: let the sockets deliver them
                    let c = machine.counters
                    RoleSupport.log("coordinator", LogRecord(.coordinatorClosed, "run over at step \(machine.step): \(c.expired) lease(s) dealt again, "
                        + "\(c.duplicates) late result(s), \(c.handedBack) shard(s) handed back, \(c.refusedRegistrations) hello(s) turned away", [
                        ("step", .int(machine.step)), ("expired", .int(c.expired)), ("duplicates", .int(c.duplicates)),
                        ("handed_back", .int(c.handedBack)), ("refused_registrations", .int(c.refusedRegistrations))]))
                    for (_, socket) in ps.connected { try? socket.setLinger(.seconds(2)) }
                    try? router.setLinger(.seconds(2))
                    guard let path = checkpoint ?? CheckpointStore(runDirectory: options.runDirectory).latest() else {
                        throw RoleError.failed("coordinator: the run ended without a checkpoint")
                    }
                    return path
                case .log(let line): RoleSupport.log("coordinator", line)
                case .event(let record): RoleSupport.log("coordinator", record)
                case .dismissWorker(let id, let m, let within):
                    try? router.send(m, routingID: id, deadline: within)
                case .dismissPS(let k, let m, let within):
                    try? ps.send(k, m, deadline: within)
                case .abort(let reason):
                    throw RoleError.diverged("coordinator: \(reason)")
                case .fail(let reason):  // whoever was not dismissed stays, for a restarted coordinator
                    throw RoleError.failed("coordinator: \(reason)")
                case .peerTimeout(let reason):
                    throw RoleError.peerTimeout(reason)
                }
            }
            if RoleSupport.stopRequested {  // the machine dismisses whom it should and ends the run
                queue = machine.handle(.stop)
                guard queue.isEmpty else { continue }
                throw RoleError.failed("coordinator: stopped by signal at step \(machine.step)")
            }
            let links = ps.connected
            let ready = try ZPoller([router] + links.map(\.socket)).poll(deadline: .milliseconds(RoleSupport.pollIntervalMs))
            let now = RoleSupport.nowMs()
            if ready.contains(0), let frames = try router.receive(deadline: .zero), frames.count >= 2 {
                let id = String(decoding: frames[0], as: UTF8.self)
                if let m = RoleSupport.decode(Array(frames.dropFirst()), run: runID, role: "coordinator", from: id) {
                    queue += machine.handle(.fromWorker(id: id, m, nowMs: now))
                }
            }
            for i in ready where i > 0 {
                let (k, socket) = links[i - 1]
                guard let frames = try socket.receive(deadline: .zero),
                      let m = RoleSupport.decode(frames, run: runID, role: "coordinator", from: "ps \(k)") else { continue }
                queue += machine.handle(.fromPS(k, m, nowMs: now))
            }
            if now - lastTick >= RoleSupport.pollIntervalMs {
                lastTick = now
                queue += machine.handle(.tick(nowMs: now))
            }
        }
    }

    /// Writes a checkpoint of the weights read — the same files a single process writes — and
    /// prunes old ones, under the single process's full-disk rule (`CheckpointRule`).
    /// - Returns: the checkpoint's path, or nil when a periodic one was skipped for lack of space.
    /// - Throws: `TrainError.checkpoint` when the final checkpoint (or any, for another reason)
    ///   cannot be written.
    func writeCheckpoint(_ w: CoordinatorMachine.StepWeights) throws -> String? {
        let contents = CheckpointContents(config: config.model, head: data.head, params: w.params, tokenizer: data.tokenizer,
                                          optimizer: config.optimizer, optimizerStep: Int(w.version), m: w.m, v: w.v,
                                          hidden: w.hidden, options: options, step: w.step, totalSteps: w.runLength)
        let store = CheckpointStore(runDirectory: options.runDirectory)
        return try CheckpointRule.write(store: store, step: w.step, producers: contents.producers(),
                                        isFinal: w.step >= w.runLength, keep: options.keep) {
            RoleSupport.log("coordinator", $0)
        }
    }
}
