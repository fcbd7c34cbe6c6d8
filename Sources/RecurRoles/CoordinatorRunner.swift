// CoordinatorRunner: the coordinator's run loop — a ROUTER for workers, a DEALER to the
// parameter server; it performs the machine's actions, writes metrics and the final checkpoint.
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
    let psEndpoint: String
    let runID: UInt64

    /// Loads the data and prepares the run.
    /// - Throws: `TrainError` for unusable options or data.
    /// - Parameter resume: a checkpoint to continue from (its options must come from
    ///   `ResumeState.options`); sync mode only.
    public init(options o: TrainOptions, bind: String, psEndpoint: String, runID: UInt64, leaseTimeoutMs: Int,
                mode: UpdateMode = .sync, staleness: Int = 0, resume: ResumeState? = nil) throws {
        try o.validate()
        options = o
        bindEndpoint = bind
        self.psEndpoint = psEndpoint
        self.runID = runID
        data = try Dataset.load(o)
        let layout: StreamLayout
        do { layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt) } catch {
            throw TrainError.data("\(data.source): \(error)")
        }
        let steps = o.steps ?? max(1, Int((o.epochs * Double(layout.chunksPerEpoch)).rounded()))
        var c = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: steps, mode: mode,
                          staleness: staleness, leaseTimeoutMs: leaseTimeoutMs)
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
        machine = CoordinatorMachine(runID: runID, config: c, psEndpoints: [psEndpoint], tokens: data.train, layout: layout,
                                     resumeFrames: frames, hidden: hidden)
    }

    /// Binds, prints `endpoint <address>` on standard output and runs every step.
    /// - Returns: the final checkpoint's path.
    public func run() throws -> String {
        let context = try ZContext()
        let router = try RoleSupport.socket(context, .router)
        let endpoint = try router.bind(bindEndpoint)
        let ps = try RoleSupport.socket(context, .dealer, identity: "coordinator")
        try ps.connect(psEndpoint)
        print("endpoint \(endpoint)")
        fflush(stdout)
        try FileManager.default.createDirectory(atPath: options.runDirectory, withIntermediateDirectories: true)
        let metrics = try MetricsWriter(path: (options.runDirectory as NSString).appendingPathComponent("metrics.jsonl"))
        defer { metrics.close() }
        let tokensPerStep = Double(config.batch * config.bptt)
        var windowStart = Date(), windowSteps = 0, lastTick = RoleSupport.nowMs(), lastPSMs = RoleSupport.nowMs()
        var lastFields: [(String, JSONValue)] = []  // the last step's line waits for the validation loss
        var fromPS: [WireMessage] = []  // parameter-server messages that arrived while fetching weights
        let progress = Progress()
        var lastCheckpoint = Date()
        var queue = machine.handle(.start(nowMs: RoleSupport.nowMs()))
        RoleSupport.log("coordinator", "listening on \(endpoint); \(config.totalSteps) steps of \(config.shardCount) shards")
        while true {
            while !queue.isEmpty {
                switch queue.removeFirst() {
                case .toWorker(let id, let m):
                    do { try router.send([Array(id.utf8)] + WireCodec.encode(m), deadline: RoleSupport.sendDeadline) } catch {
                        RoleSupport.log("coordinator", "could not send \(m.body.kind) to \(id): \(error)")
                    }
                case .toPS(let m):
                    try ps.send(WireCodec.encode(m), deadline: RoleSupport.sendDeadline)
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
                            val = validationLoss(try fetchWeights(ps, version: UInt64(r.step), aside: &fromPS).params)
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
                    let byTime = options.checkpointEverySeconds > 0
                        && Date().timeIntervalSince(lastCheckpoint) >= options.checkpointEverySeconds
                    if (bySteps || byTime) && !isLast {
                        _ = try writeCheckpoint(step: r.step, ps: ps, aside: &fromPS)
                        lastCheckpoint = Date()
                    }
                case .finished:
                    let path = try finish(ps: ps, router: router, metrics: metrics, lastFields: lastFields, aside: &fromPS)
                    return path
                case .log(let line): RoleSupport.log("coordinator", line)
                case .abort(let reason):
                    for id in machine.workerIDs { try? router.send([Array(id.utf8)] + WireCodec.encode(leave(reason)), deadline: .milliseconds(200)) }
                    try? ps.send(WireCodec.encode(leave(reason)), deadline: .milliseconds(500))
                    throw RoleError.diverged("coordinator: \(reason)")
                }
            }
            if RoleSupport.stopRequested {
                for id in machine.workerIDs { try? router.send([Array(id.utf8)] + WireCodec.encode(leave("stopped")), deadline: .milliseconds(200)) }
                throw RoleError.failed("coordinator: stopped by signal at step \(machine.step)")
            }
            let ready = try ZPoller([router, ps]).poll(deadline: .milliseconds(RoleSupport.pollIntervalMs))
            let now = RoleSupport.nowMs()
            if ready.contains(0), let frames = try router.receive(deadline: .zero), frames.count >= 2 {
                let id = String(decoding: frames[0], as: UTF8.self)
                if let m = RoleSupport.decode(Array(frames.dropFirst()), run: runID, role: "coordinator", from: id) {
                    queue += machine.handle(.fromWorker(id: id, m, nowMs: now))
                }
            }
            while !fromPS.isEmpty { queue += machine.handle(.fromPS(fromPS.removeFirst(), nowMs: now)) }
            if ready.contains(1), let frames = try ps.receive(deadline: .zero),
               let m = RoleSupport.decode(frames, run: runID, role: "coordinator", from: "ps") {
                lastPSMs = now
                queue += machine.handle(.fromPS(m, nowMs: now))
            }
            if now - lastTick >= RoleSupport.pollIntervalMs {
                lastTick = now
                queue += machine.handle(.tick(nowMs: now))
            }
            // The server speaks at least once per step; four lease timeouts of silence means it is gone.
            if now - lastPSMs > 4 * config.leaseTimeoutMs {
                throw RoleError.peerTimeout("coordinator: no word from the parameter server at \(psEndpoint) for \(4 * config.leaseTimeoutMs) ms")
            }
        }
    }

    func leave(_ reason: String) -> WireMessage {
        WireMessage(runID: runID, sender: "coordinator", sequence: 0, body: .leave(WireLeave(reason: reason)))
    }

    /// Asks the parameter server for weights of at least `version` (and, for a checkpoint, the
    /// optimizer's moments) and waits for them (60 s at most); other messages from the server are
    /// set `aside` for the machine.
    func fetchWeights(_ ps: ZSocket, version: UInt64, withOptimizer: Bool = false,
                      aside: inout [WireMessage]) throws -> (params: FloatBuffer, m: FloatBuffer, v: FloatBuffer, version: UInt64) {
        let request = WireMessage(runID: runID, sender: "coordinator", sequence: 0,
                                  body: .weightsRequest(WireWeightsRequest(minVersion: version, withOptimizer: withOptimizer)))
        try ps.send(WireCodec.encode(request), deadline: RoleSupport.sendDeadline)
        let count = ParameterLayout(config.model).count
        let deadline = RoleSupport.nowMs() + 60_000
        while RoleSupport.nowMs() < deadline {
            guard let frames = try ps.receive(deadline: .milliseconds(500)),
                  let m = RoleSupport.decode(frames, run: runID, role: "coordinator", from: "ps") else { continue }
            guard case .weights(let w) = m.body, w.version >= version,
                  !withOptimizer || m.frames.count > 1 || config.optimizer.kind == .sgd else { aside.append(m); continue }
            func buffer(_ name: String) throws -> FloatBuffer {
                guard let f = m.frames.first(where: { $0.name == name }) else { return FloatBuffer(count: 0) }
                let b = FloatBuffer(count: count)
                try f.copyFloats(into: UnsafeMutableBufferPointer(start: b.pointer, count: count))
                return b
            }
            return (try buffer("params"), try buffer("m"), try buffer("v"), w.version)
        }
        throw RoleError.peerTimeout("coordinator: the parameter server did not send weights of version \(version) within 60 s")
    }

    /// Writes a checkpoint of `step` — the same files a single process writes — and prunes old ones.
    func writeCheckpoint(step: Int, ps: ZSocket, aside: inout [WireMessage]) throws -> (path: String, params: FloatBuffer) {
        let got = try fetchWeights(ps, version: UInt64(step), withOptimizer: true, aside: &aside)
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
    func finish(ps: ZSocket, router: ZSocket, metrics: MetricsWriter, lastFields: [(String, JSONValue)],
                aside: inout [WireMessage]) throws -> String {
        let (path, params) = try writeCheckpoint(step: config.totalSteps, ps: ps, aside: &aside)
        for id in machine.workerIDs { try? router.send([Array(id.utf8)] + WireCodec.encode(leave("run finished")), deadline: .milliseconds(500)) }
        try? ps.send(WireCodec.encode(leave("run finished")), deadline: .seconds(1))
        try? router.setLinger(.seconds(2))  // deliver the Leaves before the sockets close
        try? ps.setLinger(.seconds(2))
        var fields = lastFields
        if let v = validationLoss(params) {
            fields.append(("val_loss", .double(v)))
            RoleSupport.log("coordinator", String(format: "validation loss %.4f", v))
        }
        try metrics.append(fields)
        return path
    }
}
