// WorkerMachine+Weights: gathering the weights piece by piece, starting a shard when its weights
// allow, and handing each piece to the computation as soon as it is here.
import RecurModel
import RecurTrain
import RecurWire

extension WorkerMachine {
    func psMessage(_ m: WireMessage) -> [Action] {
        switch m.body {
        case .weights(let w):
            guard var r = run else { return [] }
            if case .computing(let c, var s) = state, let n = s.needed {  // the servers are alive: keep waiting
                s.needed = (n.piece, nowMs ?? 0)
                state = .computing(c, s)
            }
            if let v = r.weights?.version, v >= w.version { return replaceRun(r) }
            let frame: WireFrame
            do { frame = try m.frame(named: "params") } catch { return [.log("worker: malformed weights: \(error)")] }
            let covered = frame.elementRange.map { ParameterPieces.held(by: $0, pieces: r.pieces.ranges, slices: r.shards.ranges) } ?? []
            guard frame.dtype == .f32, !covered.isEmpty else {
                refusedWeights += 1
                return [.log("worker: weights of \(frame.elementCount) values at offset \(frame.offset) fit no slice or piece; dropped")]
            }
            if r.gathering == nil || r.gathering!.version < w.version { r.gathering = (w.version, [:]) }
            guard r.gathering!.version == w.version else { return [] }  // older than a piece already held
            for p in covered { r.gathering!.pieces[p] = frame }
            if r.gathering!.pieces.count == r.pieces.ranges.count {
                r.weights = (w.version, r.pieces.ranges.indices.map { r.gathering!.pieces[$0]! })
                r.gathering = nil
            }
            return replaceRun(r)
        case .reject(let x): return [.log("worker: the parameter server rejected our gradient: \(x.detail)")]
        default: return []
        }
    }

    /// Starts the pending shard when its weights allow, or asks for them.
    func tryCompute(_ run: Run) -> [Action] {
        var r = run
        state = .ready(r)
        guard let p = r.pending else { return [] }
        let async = r.config.mode == .async
        if let v = r.weights?.version, v == p.task.weightVersion || (async && v > p.task.weightVersion) {
            var task = p.task
            task.weightVersion = v  // async: newer weights than dealt are only less stale
            // Sync: ask for the next version before computing, so the server counts us among the
            // peers it sends each updated piece to the moment it is ready.
            let ask = async ? [] : requestWeights(&r, minVersion: v + 1)
            return ask + start(task, p, &r)
        }
        if startsEarly, !async, let g = r.gathering, g.version == p.task.weightVersion, g.pieces[0] != nil {
            // The rest is handed to the computation as it arrives.
            let ask = requestWeights(&r, minVersion: g.version + 1)
            return ask + start(p.task, p, &r)
        }
        if let v = r.weights?.version, v > p.task.weightVersion, r.config.mode == .sync {
            r.pending = nil  // the step moved on without us: the shard was done elsewhere
            state = .ready(r)
            return [.log("worker: task for version \(p.task.weightVersion) is obsolete (have \(v))"),
                    .toCoordinator(message(.result(WireResult(leaseID: p.task.leaseID, step: p.task.step, shard: p.task.shard,
                                                              weightVersion: v, lossSum: 0, tokenCount: 0, computeMs: 0))))]
        }
        let ask = requestWeights(&r, minVersion: p.task.weightVersion)
        state = .ready(r)
        return ask
    }

    /// Enters `.computing` for `task`: a gradient buffer is chosen, and every piece already here
    /// is handed over at once.
    func start(_ task: WireTask, _ p: Lease, _ r: inout Run) -> [Action] {
        let slot = chooseSlot(&r, version: task.weightVersion)
        r.pending = nil
        state = .computing(r, Shard(task: task, lease: p.task.leaseID))
        return [.compute(task: task, shard: p.shard, state: p.state, gradientSlot: slot)] + handOver()
    }

    /// A free gradient buffer for a shard computed on weights `version`, marked as holding it. A
    /// buffer whose shard was computed on weights w is free once the worker holds weights newer
    /// than w + staleness (0 in sync mode): the server had then read every gradient of w it will
    /// ever apply (sync: it finished step w; async: it refuses anything that stale). None free:
    /// the shard's gradient uses a private buffer (and travels over TCP).
    func chooseSlot(_ r: inout Run, version: UInt64) -> Int? {
        let newest = max(version, r.weights?.version ?? 0)
        let staleness = UInt64(r.config.mode == .async ? r.config.staleness : 0)
        guard let k = r.slots.indices.first(where: { k in r.slots[k].map { $0 &+ staleness < newest } ?? true }) else { return nil }
        r.slots[k] = version
        return k
    }

    /// The computation waits for piece `p`: handed at once if here, refused if it cannot come,
    /// else handed on arrival (or refused after `pieceTimeoutMs` of the servers' silence).
    func pieceNeeded(_ p: Int) -> [Action] {
        guard case .computing(let r, var s) = state, !s.handed.contains(p) else { return [] }
        s.needed = (p, nowMs ?? 0)
        state = .computing(r, s)
        return handOver()
    }

    /// Every piece of the shard's weights that is here and not yet handed; nil for the piece the
    /// computation waits for once it cannot come.
    func handOver() -> [Action] {
        guard case .computing(let r, var s) = state else { return [] }
        let version = s.task.weightVersion
        var actions: [Action] = []
        for p in r.pieces.ranges.indices where !s.handed.contains(p) {
            guard let f = piece(p, version: version, in: r) else { continue }
            s.handed.insert(p)
            actions.append(.handPiece(p, f))
        }
        if let n = s.needed, s.handed.contains(n.piece) { s.needed = nil }
        if let n = s.needed, !Self.mayStillReceive(version: version, in: r) {
            s.needed = nil
            s.handed.insert(n.piece)
            actions.append(.handPiece(n.piece, nil))
        }
        state = .computing(r, s)
        return actions
    }

    func piece(_ p: Int, version: UInt64, in r: Run) -> WireFrame? {
        if let w = r.weights, w.version == version, p < w.frames.count { return w.frames[p] }
        if let g = r.gathering, g.version == version { return g.pieces[p] }
        return nil
    }

    static func mayStillReceive(version: UInt64, in r: Run) -> Bool {
        (r.weights?.version ?? 0) <= version && (r.gathering?.version ?? 0) <= version
    }

    /// The frame holding piece `p` of weights version `version`, if it is here (complete or
    /// being gathered).
    public func weightsPiece(_ p: Int, version: UInt64) -> WireFrame? { run.flatMap { piece(p, version: version, in: $0) } }

    /// Whether pieces of weights version `version` can still come: false once a newer version
    /// is held or being gathered.
    public func mayStillReceive(version: UInt64) -> Bool { run.map { Self.mayStillReceive(version: version, in: $0) } ?? true }

    /// Asks every slice's server for weights at least `minVersion` new, unless such a request is
    /// already waiting.
    func requestWeights(_ r: inout Run, minVersion: UInt64) -> [Action] {
        if let asked = r.asked, asked >= minVersion, r.weights.map({ $0.version < asked }) ?? true { return [] }  // still waiting
        r.asked = minVersion
        return (0..<r.shards.shards).map {
            .toPS($0, message(.weightsRequest(WireWeightsRequest(minVersion: minVersion, inPieces: true))))
        }
    }
}
