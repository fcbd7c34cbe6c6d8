// CoordinatorMachine+Steps: dealing shards under leases, taking results, expiring leases and
// advancing from step to step.
import RecurMath
import RecurWire

extension CoordinatorMachine {
    func psMessage(_ m: WireMessage, now: Int) -> [Action] {
        switch m.body {
        case .stepApplied(let a):
            if let reason = a.rejectionReason { return [.log("coordinator: the parameter server refused step \(a.step): \(reason)")] }
            if version == nil {  // configured: begin the run at the server's version
                version = a.version
                step = Int(a.version)
                beginStep()
                return [.log("coordinator: parameter server ready at version \(a.version)")] + deal(now: now)
            }
            guard Int(a.step) == step, a.version == UInt64(step + 1), shards.allSatisfy({ $0 == .done }) else {
                return [.log("coordinator: unexpected step_applied (step \(a.step), version \(a.version)) at step \(step)")]
            }
            var sum = 0.0, count = 0
            for l in losses { if let l { sum += l.sum; count += l.count } }
            version = a.version
            step += 1
            var actions: [Action] = [.stepDone(StepReport(step: step, loss: sum / Double(max(count, 1)), tokens: count,
                                                          gradNorm: a.gradNorm, workers: workers.count))]
            if step >= config.totalSteps {
                finished = true
                return actions + [.finished]
            }
            beginStep()
            actions += deal(now: now)
            return actions
        case .result(let r):
            return acceptResult(r, m, now: now)
        default:
            return [.log("coordinator: ignored \(m.body.kind) from the parameter server")]
        }
    }

    func beginStep() {
        if step % layout.chunksPerEpoch == 0 { laneState.zero() }  // a new epoch starts from zero state
        shards = Array(repeating: .open, count: config.shardCount)
        losses = Array(repeating: nil, count: config.shardCount)
    }

    func acceptResult(_ r: WireResult, _ m: WireMessage, now: Int) -> [Action] {
        let s = Int(r.shard)
        guard Int(r.step) == step, s < shards.count, shards[s] != .done else {
            counters.duplicates += 1
            return [.log("coordinator: duplicate or late result for step \(r.step) shard \(r.shard); dropped")]
        }
        let per = config.model.stateFloatsPerLane, n = config.lanesPerShard
        do {
            let frame = try m.frame(named: "state")
            guard frame.elementCount == n * per else { throw RoleError.failed("state has \(frame.elementCount) values") }
            try frame.copyFloats(into: UnsafeMutableBufferPointer(start: laneState.pointer + s * n * per, count: n * per))
        } catch {
            return [.log("coordinator: bad state for step \(r.step) shard \(r.shard): \(error)")]
        }
        if case .leased(_, let w, _) = shards[s] { workers[w]?.lease = nil }
        shards[s] = .done
        losses[s] = (r.lossSum, Int(r.tokenCount))
        return deal(now: now)
    }

    func workerMessage(_ id: String, _ m: WireMessage, now: Int) -> [Action] {
        let known = workers[id] != nil
        if !known, case .leave = m.body { return [] }
        if !known {
            workers[id] = WorkerInfo(lastSeenMs: now, lease: nil)
            joinOrder.append(id)
        }
        workers[id]?.lastSeenMs = now
        switch m.body {
        case .hello:
            return [.toWorker(id, message(welcomeBody())), .log("coordinator: worker \(id) joined (\(workers.count) alive)")]
                + deal(now: now)
        case .result(let r):
            if workers[id]?.lease == r.leaseID { workers[id]?.lease = nil }
            return deal(now: now)
        case .leave(let l):
            var actions: [Action] = [.log("coordinator: worker \(id) left (\(l.reason))")]
            if let lease = workers[id]?.lease, let s = shards.firstIndex(where: { if case .leased(lease, _, _) = $0 { return true }; return false }) {
                shards[s] = .open
                counters.handedBack += 1
                actions.append(.log("coordinator: shard \(s) of step \(step) handed back"))
            }
            workers[id] = nil
            joinOrder.removeAll { $0 == id }
            return actions + deal(now: now)
        case .heartbeat:
            return known ? [] : [.toWorker(id, message(welcomeBody()))] + deal(now: now)
        default:
            return [.log("coordinator: ignored \(m.body.kind) from \(id)")]
        }
    }

    func expire(now: Int) -> [Action] {
        var actions: [Action] = []
        for s in shards.indices {
            if case .leased(let lease, let w, let deadline) = shards[s], now >= deadline {
                shards[s] = .open
                counters.expired += 1
                actions.append(.log("coordinator: lease \(lease) of worker \(w) (step \(step) shard \(s)) expired; dealing it again"))
                workers[w] = nil
                joinOrder.removeAll { $0 == w }
            }
        }
        for id in joinOrder where workers[id]?.lease == nil && now - (workers[id]?.lastSeenMs ?? now) > 3 * config.leaseTimeoutMs {
            workers[id] = nil
            actions.append(.log("coordinator: worker \(id) silent for \(3 * config.leaseTimeoutMs) ms; forgotten"))
        }
        joinOrder.removeAll { workers[$0] == nil }
        return actions
    }

    func deal(now: Int) -> [Action] {
        guard let version, !finished else { return [] }
        var actions: [Action] = []
        var idle = joinOrder.filter { workers[$0]?.lease == nil }
        for s in shards.indices where shards[s] == .open {
            guard !idle.isEmpty else { break }
            let w = idle.removeFirst()
            let lease = nextLease
            nextLease += 1
            shards[s] = .leased(lease: lease, worker: w, deadlineMs: now + config.leaseTimeoutMs)
            workers[w]?.lease = lease
            actions.append(.toWorker(w, taskMessage(shard: s, lease: lease, version: version)))
        }
        return actions
    }

    func taskMessage(shard s: Int, lease: UInt64, version: UInt64) -> WireMessage {
        let n = config.lanesPerShard, t = config.bptt, per = config.model.stateFloatsPerLane
        var inputs = [Int32](repeating: 0, count: t * n), targets = inputs
        let chunk = step % layout.chunksPerEpoch
        tokens.withUnsafeBufferPointer { tok in
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { o in
                    layout.fill(chunk: chunk, lanes: s * n ..< (s + 1) * n, from: tok, inputs: i.baseAddress!, targets: o.baseAddress!)
                }
            }
        }
        let state = UnsafeBufferPointer(start: laneState.pointer + s * n * per, count: n * per)
        let frames = [try! WireFrame(name: "inputs", shape: [t, n], int32s: inputs),
                      try! WireFrame(name: "targets", shape: [t, n], int32s: targets),
                      try! WireFrame(name: "state", shape: [n, per], floats: state)]
        return message(.task(WireTask(step: UInt64(step), shard: UInt32(s), shardCount: UInt32(config.shardCount),
                                      firstLane: UInt32(s * n), laneCount: UInt32(n), steps: UInt32(t),
                                      weightVersion: version, leaseID: lease)), frames: frames)
    }
}
