// CoordinatorRunner: the coordinator's run loop — a ROUTER for workers (and registering parameter
// servers), a DEALER to each parameter server slice; it performs the machine's actions, writes
// metrics and checkpoints.
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
    let data: Dataset
    let config: RunConfig
    let machine: CoordinatorMachine
    let bindEndpoint: String
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
                security: RoleSecurity = .plain, expectedWorkers: Int? = nil) throws {
        try o.validate()
        options = o
        bindEndpoint = bind
        self.runID = runID
        self.security = security
        try security.checkPlainTCP(bind)
        data = try Dataset.load(o)
        let layout: StreamLayout
        do { layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt) } catch {
            throw TrainError.data("\(data.source): \(error)")
        }
        let steps = o.steps ?? max(1, Int((o.epochs * Double(layout.chunksPerEpoch)).rounded()))
        var c = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: steps, mode: mode,
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
            try Trainer.truncateMetrics((o.runDirectory as NSString).appendingPathComponent("metrics.jsonl"), after: r.step)
        }
        config = c
        machine = CoordinatorMachine(runID: runID, config: c, psEndpoints: psEndpoints, tokens: data.train, layout: layout,
                                     resumeFrames: frames, hidden: hidden)
        machine.expectedWorkers = expectedWorkers
    }

    /// Binds, prints `endpoint <address>` on standard output and runs every step.
    /// - Returns: the final checkpoint's path.
    public func run() throws -> String {
        let context = try ZContext()
        let authenticator = try security.startAuthenticator(context, role: "coordinator")
        defer { authenticator?.stop() }
        let router = try RoleSupport.socket(context, .router, security: security.server, maxBytes: RoleSupport.controlMessageBytes)
        try router.setRouterHandover(true)
        let endpoint = try router.bind(bindEndpoint)
        let ps = PSLinks(context: context, runID: runID, shards: machine.parameterShards, security: security)
        print("endpoint \(endpoint)")
        fflush(nil)  // every stream: Swift 6 refuses to read the C global `stdout`
        try FileManager.default.createDirectory(atPath: options.runDirectory, withIntermediateDirectories: true)
        let metrics = try MetricsWriter(path: (options.runDirectory as NSString).appendingPathComponent("metrics.jsonl"))
        defer { metrics.close() }
        let tokensPerStep = Double(config.batch * config.bptt)
        var windowStart = Date(), windowSteps = 0, lastTick = RoleSupport.nowMs()
        var lastFields: [(String, JSONValue)] = []  // the last step's line waits for the validation loss
        var fromPS: [(Int, WireMessage)] = []  // parameter-server messages that arrived while fetching weights
        let progress = Progress()
        var lastCheckpoint = Date()
        var timedCheckpoint: Int?  // the step a checkpoint is due at by time, decided when it was applied
        machine.readsWeightsAfter = { [options, config] s in
            guard s < config.totalSteps else { return false }  // the last step's weights are read at the end anyway
            let evaluates = options.evalEvery > 0 && s % options.logEvery == 0 && s % options.evalEvery == 0
            let bySteps = options.checkpointEvery > 0 && s % options.checkpointEvery == 0
            if options.checkpointEverySeconds > 0 && Date().timeIntervalSince(lastCheckpoint) >= options.checkpointEverySeconds {
                timedCheckpoint = s
            }
            return evaluates || bySteps || timedCheckpoint == s
        }
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
                case .stepDone(let r):
                    windowSteps += 1
                    let isLast = r.step == config.totalSteps
                    if r.step % options.logEvery == 0 || isLast {
                        let dt = Date().timeIntervalSince(windowStart)
                        let tps = dt > 0 ? Double(windowSteps) * tokensPerStep / dt : 0
                        let fields: [(String, JSONValue)] = [
                            ("step", .int(r.step)), ("loss", .double(r.loss)),
                            ("tokens_per_second", .double((tps * 10).rounded() / 10)),
                            ("lr", .double(config.optimizer.rate(atStep: r.step - 1))),
                            ("grad_norm", .double(r.gradNorm)), ("workers", .int(r.workers))]
                            + (config.mode == .async ? [("staleness_mean", .double(r.staleness)),
                                                        ("staleness_max", .int(r.maxStaleness))] : [])
                        var val: Double?
                        if options.evalEvery > 0 && r.step % options.evalEvery == 0 && !isLast {
                            val = validationLoss(try ps.gather(version: UInt64(r.step), withOptimizer: false,
                                                               optimizer: config.optimizer.kind, aside: &fromPS).params)
                        }
                        if isLast { lastFields = fields } else { try metrics.append(fields + (val.map { [("val_loss", .double($0))] } ?? [])) }
                        if options.verbose {
                            progress.show(step: r.step, total: config.totalSteps, loss: r.loss, val: val, tokensPerSecond: tps,
                                          workers: r.workers)
                        }
                        windowStart = Date()
                        windowSteps = 0
                    }
                    let bySteps = options.checkpointEvery > 0 && r.step % options.checkpointEvery == 0
                    let byTime = config.mode == .sync ? timedCheckpoint == r.step
                        : options.checkpointEverySeconds > 0 && Date().timeIntervalSince(lastCheckpoint) >= options.checkpointEverySeconds
                    if (bySteps || byTime) && !isLast {
                        _ = try writeCheckpoint(step: r.step, ps: ps, aside: &fromPS)
                        lastCheckpoint = Date()
                    }
                case .finished:
                    let path = try finish(ps: ps, router: router, metrics: metrics, lastFields: lastFields, aside: &fromPS)
                    return path
                case .log(let line): RoleSupport.log("coordinator", line)
                case .abort(let reason):
                    for id in machine.workerIDs { try? router.send(leave(reason), routingID: id, deadline: .milliseconds(200)) }
                    for (k, _) in ps.connected { try? ps.send(k, leave(reason), deadline: .milliseconds(500)) }
                    throw RoleError.diverged("coordinator: \(reason)")
                case .fail(let reason):  // the servers and workers stay, for the restarted coordinator
                    throw RoleError.failed("coordinator: \(reason)")
                }
            }
            if RoleSupport.stopRequested {
                for id in machine.workerIDs { try? router.send(leave("stopped"), routingID: id, deadline: .milliseconds(200)) }
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
            while !fromPS.isEmpty {
                let (k, m) = fromPS.removeFirst()
                queue += machine.handle(.fromPS(k, m, nowMs: now))
            }
            for i in ready where i > 0 {
                let (k, socket) = links[i - 1]
                guard let frames = try socket.receive(deadline: .zero),
                      let m = RoleSupport.decode(frames, run: runID, role: "coordinator", from: "ps \(k)") else { continue }
                ps.lastHeardMs[k] = now
                queue += machine.handle(.fromPS(k, m, nowMs: now))
            }
            if now - lastTick >= RoleSupport.pollIntervalMs {
                lastTick = now
                queue += machine.handle(.tick(nowMs: now))
            }
            // A server speaks at least once per step; four lease timeouts of silence means it is gone
            // (or, for one that must register, never came).
            if let k = ps.lastHeardMs.indices.first(where: { now - ps.lastHeardMs[$0] > 4 * config.leaseTimeoutMs }) {
                let where_ = ps.endpoints[k] ?? machine.psEndpoints[k] ?? "(not registered)"
                throw RoleError.peerTimeout("coordinator: no word from parameter server \(k) at \(where_) for \(4 * config.leaseTimeoutMs) ms")
            }
        }
    }

    func leave(_ reason: String) -> WireMessage {
        WireMessage(runID: runID, sender: "coordinator", sequence: 0, body: .leave(WireLeave(reason: reason)))
    }

    /// Writes a checkpoint of `step` — the same files a single process writes — and prunes old ones.
    func writeCheckpoint(step: Int, ps: PSLinks, aside: inout [(Int, WireMessage)]) throws -> (path: String, params: FloatBuffer) {
        let got = try ps.gather(version: UInt64(step), withOptimizer: true, optimizer: config.optimizer.kind, aside: &aside)
        let contents = CheckpointContents(model: try LanguageModel(config.model), params: got.params, tokenizer: data.tokenizer,
                                          optimizer: config.optimizer, optimizerStep: Int(got.version), m: got.m, v: got.v,
                                          hidden: machine.laneState, options: options, step: step, totalSteps: config.totalSteps)
        let store = CheckpointStore(runDirectory: options.runDirectory)
        let path = try store.write(step: step, producers: contents.producers())
        if options.keep > 0 { try store.prune(keep: options.keep) }
        return (path, got.params)
    }

    /// Mean validation NLL under `params`, or nil without a validation split.
    func validationLoss(_ params: FloatBuffer) -> Double? {
        guard data.val.count > 1, let model = try? LanguageModel(config.model) else { return nil }
        let l = Evaluator.evaluate(model: model, params: params, tokens: data.val, lanes: 16, chunk: 256)
        return l.count > 0 ? l.sum / Double(l.count) : nil
    }

    /// Fetches the final weights, evaluates, checkpoints and dismisses every peer.
    func finish(ps: PSLinks, router: ZSocket, metrics: MetricsWriter, lastFields: [(String, JSONValue)],
                aside: inout [(Int, WireMessage)]) throws -> String {
        let (path, params) = try writeCheckpoint(step: config.totalSteps, ps: ps, aside: &aside)
        for id in machine.workerIDs { try? router.send(leave("run finished"), routingID: id, deadline: .milliseconds(500)) }
        for (k, socket) in ps.connected {
            try? ps.send(k, leave("run finished"), deadline: .seconds(1))
            try? socket.setLinger(.seconds(2))
        }
        try? router.setLinger(.seconds(2))  // deliver the Leaves before the sockets close
        var fields = lastFields
        if let v = validationLoss(params) {
            fields.append(("val_loss", .double(v)))
            RoleSupport.log("coordinator", String(format: "validation loss %.4f", v))
        }
        try metrics.append(fields)
        return path
    }
}
