// WorkerMachine+Coordinator: what the coordinator says to a worker — Welcome (a run to join, or a
// restarted coordinator's run to start over in), Task, Heartbeat and Leave.
import RecurIO
import RecurModel
import RecurTrain
import RecurWire

extension WorkerMachine {
    func coordinatorMessage(_ m: WireMessage) -> [Action] {
        switch m.body {
        case .welcome(let w): return welcome(w)
        case .task(let t):
            guard var r = run else { return [.log("worker: task before welcome; ignored")] }
            do {
                let (shard, state) = try Self.readShard(t, m, r.config)
                if case .computing(_, let s) = self.state, s.lease == t.leaseID { return [] }  // the shard in hand, again
                r.pending = Lease(task: t, shard: shard, state: state)
            } catch { return [.log("worker: malformed task: \(error)")] }
            return replaceRun(r)
        case .heartbeat: return []
        case .leave(let l):
            state = .gone
            return [.event(LogRecord(.dismissed, "worker: the coordinator ended the run", [("reason", .string(l.reason))])), .exit]
        default: return [.log("worker: ignored \(m.body.kind) from the coordinator")]
        }
    }

    /// A Task's shard and carried state, checked against the run: its kind, its shape, its
    /// lengths and every token id, so no message can make the computation read out of bounds.
    /// - Throws: `RoleError.failed` naming what does not fit.
    static func readShard(_ t: WireTask, _ m: WireMessage, _ c: RunConfig) throws -> (ShardBatch, [Float]) {
        func bad(_ why: String) -> RoleError { .failed("step \(t.step) shard \(t.shard): \(why)") }
        let examples = c.task != .lm
        let kind: WireShardKind = c.task == .seq2seq ? .pairs : examples ? .examples : .stream
        guard t.kind == kind else { throw bad("a \(t.kind) shard in a --task \(c.task.rawValue) run") }
        if kind == .pairs { return (try readPairs(t, m, c), []) }
        let n = Int(t.laneCount), steps = Int(t.steps)
        guard n == c.lanesPerShard, steps >= 1, steps <= c.bptt, examples || steps == c.bptt else {
            throw bad("\(n) lanes × \(steps) steps do not fit \(c.lanesPerShard) × \(c.bptt)")
        }
        let inputs = try m.frame(named: "inputs").int32s(), targets = try m.frame(named: "targets").int32s()
        guard inputs.count == steps * n, inputs.allSatisfy({ $0 >= 0 && Int($0) < c.model.vocab }) else {
            throw bad("inputs must be \(steps)×\(n) ids below \(c.model.vocab)")
        }
        let classes = c.loss == .sigmoid ? 2 : c.model.headSize
        let perExample = c.task == .classify
        guard targets.count == (perExample ? n : steps * n),
              targets.allSatisfy({ Int($0) < classes && ($0 >= 0 || (!perExample && examples)) }) else {
            throw bad("targets do not fit the shard or the \(classes) classes")
        }
        guard examples else {
            let state = try m.frame(named: "state").floats()
            guard state.count == n * c.stateFloatsPerLane else { throw bad("state has \(state.count) values") }
            return (ShardBatch(inputs: inputs, targets: targets, steps: steps, lanes: n), state)
        }
        let lengths = try m.frame(named: "lengths").int32s()
        guard lengths.count == n, lengths.allSatisfy({ $0 >= 1 && Int($0) <= steps }) else {
            throw bad("lengths must be \(n) values in 1…\(steps)")
        }
        return (ShardBatch(inputs: inputs, targets: targets, lengths: lengths, steps: steps, lanes: n), [])
    }

    func welcome(_ w: WireWelcome) -> [Action] {
        var actions: [Action] = []
        var shard: Shard?
        switch self.state {
        case .ready(let r), .computing(let r, _):
            guard w.incarnation != r.incarnation else { return [] }  // the same coordinator, again
            // A restarted coordinator resumes from a checkpoint: what we held is of the old run.
            actions.append(.event(LogRecord(.newCoordinator, "worker: a new coordinator (incarnation \(w.incarnation)); starting over",
                                            [("incarnation", .int(Int(truncatingIfNeeded: w.incarnation)))])))
            if case .computing(_, let s) = state { shard = s }
        case .joining, .gone: break
        }
        let c: RunConfig
        do { c = try RunConfig.parse(w.configJSON) } catch {
            state = .gone
            return [.log("worker: \(error)"), .exit]
        }
        guard let shards = try? c.parameterShards, let pieces = try? c.parameterPieces, w.psEndpoints.count == shards.shards else {
            state = .gone
            return [.log("worker: welcome with \(w.psEndpoints.count) parameter servers for \(c.psShards) slices"), .exit]
        }
        heartbeatMs = c.heartbeatIntervalMs
        let slots = c.sharedMemory ? Array(repeating: UInt64?.none, count: Self.gradientSlots(c)) : []
        // A shard in hand is finished and reported as it stands (its lease is the old run's).
        let r = Run(config: c, shards: shards, pieces: pieces, incarnation: w.incarnation, weights: nil, gathering: nil,
                    asked: nil, pending: nil, slots: slots)
        state = shard.map { .computing(r, $0) } ?? .ready(r)
        return actions + [.configure(c), .connectPS(endpoints: w.psEndpoints)]
    }

    /// The number of gradient buffers the data path keeps: a worker may compute every shard of a
    /// step before the server reads the first, up to `maxGradientSlots`.
    public static func gradientSlots(_ c: RunConfig) -> Int { min(max(2, c.shardCount), maxGradientSlots) }

    /// The most gradient buffers a worker keeps (each holds a whole gradient); a worker that has
    /// more shards of one step in flight sends the rest over TCP.
    public static let maxGradientSlots = 8

    /// A pair shard, checked against the run: n sources [S, n] of source ids with lengths in
    /// 1…S, and targets [T, n] (T at most the run's longest target) whose every column is target
    /// ids, at least one, then −1 padding.
    static func readPairs(_ t: WireTask, _ m: WireMessage, _ c: RunConfig) throws -> ShardBatch {
        func bad(_ why: String) -> RoleError { .failed("step \(t.step) shard \(t.shard): \(why)") }
        let n = Int(t.laneCount), steps = Int(t.steps), maxTarget = c.targetSteps ?? 0
        guard n == c.lanesPerShard, steps >= 1, steps <= c.bptt else {
            throw bad("\(n) lanes × \(steps) source steps do not fit \(c.lanesPerShard) × \(c.bptt)")
        }
        let inputs = try m.frame(named: "inputs").int32s(), lengths = try m.frame(named: "lengths").int32s()
        guard inputs.count == steps * n, inputs.allSatisfy({ $0 >= 0 && Int($0) < c.model.vocab }) else {
            throw bad("inputs must be \(steps)×\(n) ids below \(c.model.vocab)")
        }
        guard lengths.count == n, lengths.allSatisfy({ $0 >= 1 && Int($0) <= steps }) else {
            throw bad("lengths must be \(n) values in 1…\(steps)")
        }
        let frame = try m.frame(named: "targets"), targets = try frame.int32s(), v = c.model.headSize
        let tt = frame.shape.count == 2 ? frame.shape[0] : 0
        guard frame.shape == [tt, n], tt >= 1, tt <= maxTarget, targets.count == tt * n else {
            throw bad("targets must be T×\(n) with T in 1…\(maxTarget), got \(frame.shape)")
        }
        for j in 0..<n {
            var padded = false
            for s in 0..<tt {
                let y = targets[s * n + j]
                guard y >= -1, Int(y) < v, !(padded && y >= 0), !(s == 0 && y < 0) else {
                    throw bad("target column \(j) must be ids below \(v), at least one, then −1 padding")
                }
                padded = padded || y < 0
            }
        }
        return ShardBatch(inputs: inputs, targets: targets, lengths: lengths, steps: steps, lanes: n, targetSteps: tt)
    }
}
