// WorkerMachine: the worker's protocol logic as a pure state machine — join, fetch weights,
// compute leased shards (through an action the loop performs), report gradient and result.
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

/// A worker without sockets. Computing a shard is an action (`.compute`) that the run loop
/// performs with a `ShardComputer`, feeding the outcome back as `.computed`.
public final class WorkerMachine {
    /// What the machine reacts to.
    public enum Event {
        /// The loop has started: announce ourselves.
        case start
        /// A message from the coordinator.
        case fromCoordinator(WireMessage)
        /// A message from the parameter server (direct or published).
        case fromPS(WireMessage)
        /// Backpropagation has finished one piece of the task's gradient (`ParameterPieces`):
        /// send it now. `state` (the final carried state) comes with the piece at offset 0.
        case gradientPiece(task: WireTask, frame: WireFrame, lossSum: Double, tokens: Int, state: [Float]?)
        /// The loop finished computing a task.
        case computed(ShardOutcome)
        /// The loop gave up the task in hand before sending anything of it (a piece of its
        /// weights never came).
        case abandoned(String)
        /// A weights message from a server could not be read (its shared-memory slot already held
        /// a newer version): what was asked for is asked again.
        case weightsLost(String)
        /// A polite stop was asked for (SIGTERM).
        case stop
    }

    /// The outcome of computing one shard.
    public struct ShardOutcome: Equatable {
        /// The task computed.
        public var task: WireTask
        /// Summed gradient, one frame per parameter-server slice ([P_k] at the slice's offset),
        /// already as the frames they travel in; empty when it was sent piece by piece.
        public var gradients: [WireFrame]
        /// Final carried state [n, L, S, H].
        public var state: [Float]
        /// Summed loss.
        public var lossSum: Double
        /// Scored tokens.
        public var tokens: Int
        /// Compute time.
        public var computeMs: Double

        /// Creates an outcome.
        public init(task: WireTask, gradients: [WireFrame], state: [Float], lossSum: Double, tokens: Int, computeMs: Double) {
            self.task = task
            self.gradients = gradients
            self.state = state
            self.lossSum = lossSum
            self.tokens = tokens
            self.computeMs = computeMs
        }
    }

    /// What the run loop must do.
    public enum Action: Equatable {
        /// Send to the coordinator.
        case toCoordinator(WireMessage)
        /// Send to parameter-server slice `Int` (0-based).
        case toPS(Int, WireMessage)
        /// Connect to the parameter servers, one endpoint per slice in slice order.
        case connectPS(endpoints: [String])
        /// Build the model for this configuration.
        case configure(RunConfig)
        /// Compute `task` on `inputs`, `targets` and `state` with weights `version`.
        case compute(task: WireTask, inputs: [Int32], targets: [Int32], state: [Float])
        /// Write a log line.
        case log(String)
        /// Leave the run.
        case exit
    }

    /// The run's id.
    public let runID: UInt64
    /// This worker's name (also its routing id).
    public let name: String
    /// The configuration once welcomed.
    public internal(set) var config: RunConfig?
    /// Version of the weights held (nil before the first).
    public internal(set) var weightsVersion: UInt64?
    /// Weights held, one frame per piece in piece order (a frame of a whole slice stands for
    /// each of its pieces); complete when `weightsVersion` is set.
    public internal(set) var weights: [WireFrame]?
    /// Pieces received for the version being gathered, by piece index.
    var gathering: (version: UInt64, pieces: [Int: WireFrame])?
    /// The complete weights the task in hand was started on, kept until it is computed: a newer
    /// version may replace `weights` before the loop has read them (async mode).
    var computing: (version: UInt64, frames: [WireFrame])?
    /// The welcoming coordinator's incarnation.
    var incarnation: UInt64 = 0
    /// The newest version asked for and not yet received.
    var weightsAsked: UInt64?
    /// Sync: start a task as soon as the first piece of its weights is here, and let the loop
    /// wait for the rest as the forward pass needs them (`weightsPiece(_:version:)`). Off, a task
    /// starts once all of its weights are here.
    public var startsEarly = false
    /// The parameter slices, once welcomed.
    var shards: ParameterShards?
    /// The pieces weights and gradients travel in, once welcomed.
    var pieces: ParameterPieces?
    var pending: (task: WireTask, inputs: [Int32], targets: [Int32], state: [Float])?
    var busy = false
    var stopping = false
    var sequence: UInt64 = 0
    let pid: UInt32, hostname: String, threads: UInt32

    /// Creates a worker.
    public init(runID: UInt64, name: String, pid: UInt32, hostname: String, threads: UInt32) {
        self.runID = runID
        self.name = name
        self.pid = pid
        self.hostname = hostname
        self.threads = threads
    }

    func message(_ body: WireBody, frames: [WireFrame] = []) -> WireMessage {
        sequence += 1
        return WireMessage(runID: runID, sender: name, sequence: sequence, body: body, frames: frames)
    }

    /// Reacts to one event.
    public func handle(_ event: Event) -> [Action] {
        switch event {
        case .start:
            return [.toCoordinator(message(.hello(WireHello(workerID: name, pid: pid, hostname: hostname, threads: threads))))]
        case .stop:
            stopping = true
            if busy { return [] }  // leave after the task in hand is reported
            // Never welcomed: nothing to hand back, and the coordinator may be gone (a queued Leave
            // would hold the exit for the sockets' linger).
            if config == nil { return [.exit] }
            return leave()
        case .weightsLost(let why):
            weightsAsked = nil  // the answer to it is gone: the next need asks again
            let line = Action.log("worker: \(why); asking for the weights again")
            return busy ? [line] : [line] + tryCompute()
        case .fromCoordinator(let m): return coordinatorMessage(m)
        case .fromPS(let m): return psMessage(m)
        case .gradientPiece(let t, let f, let loss, let tokens, let state): return gradientPiece(t, f, loss, tokens, state)
        case .computed(let o): return computed(o)
        case .abandoned(let why):
            busy = false
            computing = nil
            var actions: [Action] = [.log("worker: \(why)")]
            if let p = pending {  // hand the shard back now rather than when its lease expires
                actions.append(.toCoordinator(message(.reject(WireReject(code: .unspecified, detail: "shard abandoned: \(why)",
                                                                         leaseID: p.task.leaseID)))))
            }
            pending = nil
            return stopping ? actions + leave() : actions + tryCompute()
        }
    }

    func leave() -> [Action] {
        var lease: UInt64? = nil
        if let p = pending { lease = p.task.leaseID }
        pending = nil
        return [.toCoordinator(message(.leave(WireLeave(reason: "stopping", leaseID: lease)))), .exit]
    }

    func coordinatorMessage(_ m: WireMessage) -> [Action] {
        switch m.body {
        case .welcome(let w):
            var actions: [Action] = []
            if config != nil {
                guard w.incarnation != incarnation else { return [] }  // the same coordinator, again
                // A restarted coordinator resumes from a checkpoint: what we held is of the old run.
                actions.append(.log("worker: a new coordinator (incarnation \(w.incarnation)); starting over"))
                config = nil; shards = nil; pieces = nil; weights = nil; weightsVersion = nil; gathering = nil; weightsAsked = nil
                if !busy { pending = nil }
            }
            incarnation = w.incarnation
            let c: RunConfig
            do { c = try RunConfig.parse(w.configJSON) } catch { return [.log("worker: \(error)"), .exit] }
            guard let shards = try? c.parameterShards, let pieces = try? c.parameterPieces, w.psEndpoints.count == shards.shards else {
                return [.log("worker: welcome with \(w.psEndpoints.count) parameter servers for \(c.psShards) slices"), .exit]
            }
            config = c
            self.shards = shards
            self.pieces = pieces
            return actions + [.configure(c), .connectPS(endpoints: w.psEndpoints)]
        case .task(let t):
            guard config != nil else { return [.log("worker: task before welcome; ignored")] }
            do {
                let inputs = try m.frame(named: "inputs").int32s(), targets = try m.frame(named: "targets").int32s()
                let state = try m.frame(named: "state").floats()
                pending = (t, inputs, targets, state)
            } catch { return [.log("worker: malformed task: \(error)")] }
            return tryCompute()
        case .heartbeat: return []
        case .leave: return [.log("worker: the coordinator ended the run"), .exit]
        default: return [.log("worker: ignored \(m.body.kind) from the coordinator")]
        }
    }

    func psMessage(_ m: WireMessage) -> [Action] {
        switch m.body {
        case .weights(let w):
            if let v = weightsVersion, v >= w.version { return tryCompute() }
            guard let shards, let pieces else { return [] }
            let frame: WireFrame
            do { frame = try m.frame(named: "params") } catch { return [.log("worker: malformed weights: \(error)")] }
            let covered = ParameterPieces.held(by: frame.offset ..< frame.offset + frame.elementCount, pieces: pieces.ranges,
                                               slices: shards.ranges)
            guard frame.dtype == .f32, !covered.isEmpty else {
                return [.log("worker: weights of \(frame.elementCount) values at offset \(frame.offset) fit no slice or piece; dropped")]
            }
            if gathering == nil || gathering!.version < w.version { gathering = (w.version, [:]) }
            guard gathering!.version == w.version else { return [] }  // older than a piece already held
            for p in covered { gathering!.pieces[p] = frame }
            guard gathering!.pieces.count == pieces.ranges.count else { return startsEarly ? tryCompute() : [] }
            weights = pieces.ranges.indices.map { gathering!.pieces[$0]! }
            weightsVersion = w.version
            gathering = nil
            return tryCompute()
        case .reject(let r): return [.log("worker: the parameter server rejected our gradient: \(r.detail)")]
        default: return []
        }
    }

    func tryCompute() -> [Action] {
        guard let p = pending, !busy else { return [] }
        let async = config?.mode == .async
        if let v = weightsVersion, v == p.task.weightVersion || (async && v > p.task.weightVersion) {
            busy = true
            computing = weights.map { (v, $0) }
            var task = p.task
            task.weightVersion = v  // async: newer weights than dealt are only less stale
            // Sync: ask for the next version before computing, so the server counts us among the
            // peers it sends each updated piece to the moment it is ready.
            let ask = async ? [] : requestWeights(minVersion: v + 1)
            return ask + [.compute(task: task, inputs: p.inputs, targets: p.targets, state: p.state)]
        }
        if startsEarly, !async, let g = gathering, g.version == p.task.weightVersion, g.pieces[0] != nil {
            busy = true  // the loop waits for each remaining piece as the forward pass reaches it
            return requestWeights(minVersion: g.version + 1)
                + [.compute(task: p.task, inputs: p.inputs, targets: p.targets, state: p.state)]
        }
        if let v = weightsVersion, v > p.task.weightVersion, config?.mode == .sync {
            pending = nil  // the step moved on without us: the shard was done elsewhere
            return [.log("worker: task for version \(p.task.weightVersion) is obsolete (have \(v))"),
                    .toCoordinator(message(.result(WireResult(leaseID: p.task.leaseID, step: p.task.step, shard: p.task.shard,
                                                              weightVersion: v, lossSum: 0, tokenCount: 0, computeMs: 0))))]
        }
        return requestWeights(minVersion: p.task.weightVersion)
    }

    /// The frame holding piece `p` of weights version `version`, if it is here (complete or
    /// being gathered).
    public func weightsPiece(_ p: Int, version: UInt64) -> WireFrame? {
        if let c = computing, c.version == version, p < c.frames.count { return c.frames[p] }
        if weightsVersion == version, let w = weights, p < w.count { return w[p] }
        if let g = gathering, g.version == version { return g.pieces[p] }
        return nil
    }

    /// Whether pieces of weights version `version` can still come: false once a newer version
    /// is held or being gathered.
    public func mayStillReceive(version: UInt64) -> Bool {
        (weightsVersion ?? 0) <= version && (gathering?.version ?? 0) <= version
    }

    /// Asks every slice's server for weights at least `minVersion` new, unless such a request is
    /// already waiting.
    func requestWeights(minVersion: UInt64) -> [Action] {
        if let asked = weightsAsked, asked >= minVersion, weightsVersion.map({ $0 < asked }) ?? true { return [] }  // still waiting
        weightsAsked = minVersion
        return (0..<(shards?.shards ?? 1)).map {
            .toPS($0, message(.weightsRequest(WireWeightsRequest(minVersion: minVersion, inPieces: true))))
        }
    }

    func gradientPiece(_ t: WireTask, _ f: WireFrame, _ lossSum: Double, _ tokens: Int, _ state: [Float]?) -> [Action] {
        guard let shards, let k = shards.ranges.firstIndex(where: { $0.contains(Int(f.offset)) }) else {
            return [.log("worker: a gradient piece at \(f.offset) is in no slice")]
        }
        var frames = [f]
        if let state {
            do {
                frames.append(try WireFrame(name: "state", shape: [Int(t.laneCount), state.count / max(1, Int(t.laneCount))], floats: state))
            } catch { return [.log("worker: cannot encode the state: \(error)")] }
        }
        return [.toPS(k, message(.gradient(WireGradient(leaseID: t.leaseID, step: t.step, shard: t.shard, shardCount: t.shardCount,
                                                        weightVersion: t.weightVersion, tokenCount: UInt64(tokens),
                                                        lossSum: lossSum)), frames: frames))]
    }

    func computed(_ o: ShardOutcome) -> [Action] {
        busy = false
        computing = nil
        pending = nil
        let t = o.task
        var actions: [Action] = []
        do {
            let s = try WireFrame(name: "state", shape: [Int(t.laneCount), o.state.count / max(1, Int(t.laneCount))], floats: o.state)
            for (k, g) in o.gradients.enumerated() {  // each slice to its server; the state rides with slice 0
                actions.append(.toPS(k, message(.gradient(WireGradient(leaseID: t.leaseID, step: t.step, shard: t.shard,
                                                                       shardCount: t.shardCount, weightVersion: t.weightVersion,
                                                                       tokenCount: UInt64(o.tokens), lossSum: o.lossSum)),
                                                frames: k == 0 ? [g, s] : [g])))
            }
        } catch { return [.log("worker: cannot encode the gradient: \(error)")] }
        actions.append(.toCoordinator(message(.result(WireResult(leaseID: t.leaseID, step: t.step, shard: t.shard,
                                                                 weightVersion: t.weightVersion, lossSum: o.lossSum,
                                                                 tokenCount: UInt64(o.tokens), computeMs: o.computeMs)))))
        if stopping { return actions + leave() }
        // Ask now for the weights the next task will need; the server answers when it has them.
        return actions + requestWeights(minVersion: t.weightVersion + 1)
    }
}
