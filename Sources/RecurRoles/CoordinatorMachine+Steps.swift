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
                if config.mode == .sync { beginStep() }
                return [.log("coordinator: parameter server ready at version \(a.version)")] + deal(now: now)
            }
            if config.mode == .async { return asyncApplied(a, now: now) }
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
        case .reject(let r) where r.leaseID != 0:
            guard let s = shards.firstIndex(where: { if case .leased(r.leaseID, _, _) = $0 { return true }; return false }),
                  !awaitingApply.contains(s) else { return [] }
            shards[s] = .open
            refusals[s, default: 0] += 1
            if refusals[s]! >= CoordinatorMachine.maxRefusals && r.code != .stale {
                finished = true
                return [.abort("shard \(s) of step \(step) was refused \(refusals[s]!) times (\(r.detail)); stopping the run")]
            }
            return [.log("coordinator: the parameter server refused lease \(r.leaseID): \(r.detail); dealing it again")]
                + deal(now: now)
        default:
            return [.log("coordinator: ignored \(m.body.kind) from the parameter server")]
        }
    }

    func beginStep() {
        if step % layout.chunksPerEpoch == 0 { laneState.zero() }  // a new epoch starts from zero state
        shards = Array(repeating: .open, count: config.shardCount)
        losses = Array(repeating: nil, count: config.shardCount)
        refusals = [:]
    }

    func acceptResult(_ r: WireResult, _ m: WireMessage, now: Int) -> [Action] {
        let s = Int(r.shard)
        let current = config.mode == .async ? (s < chunks.count ? chunks[s] : -1) : step
        guard Int(r.step) == current, s < shards.count, shards[s] != .done else {
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
        // Free the worker only if it still holds this shard's lease: it may already have reported
        // and taken another shard, whose lease must not be forgotten.
        if case .leased(let lease, let w, _) = shards[s], workers[w]?.lease == lease { workers[w]?.lease = nil }
        if config.mode == .async {
            chunks[s] += 1
            if chunks[s] % layout.chunksPerEpoch == 0 {  // the shard's lanes start a new epoch from zero
                (laneState.pointer + s * n * per).update(repeating: 0, count: n * per)
            }
            // The shard stays in flight until its update is announced (the next step_applied on this
            // pipe), so every update the coordinator has not yet seen counts against the staleness bound.
            awaitingApply.append(s)
            window.loss += r.lossSum
            window.tokens += Int(r.tokenCount)
            return []
        }
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
            // Every shard still leased to it goes back: one it reported may never have reached
            // the parameter server. Duplicates are dropped there, so this is always safe.
            for s in shards.indices {
                if case .leased(_, id, _) = shards[s], !awaitingApply.contains(s) {
                    shards[s] = .open
                    counters.handedBack += 1
                    actions.append(.log("coordinator: shard \(s) of step \(step) handed back"))
                }
            }
            workers[id] = nil
            joinOrder.removeAll { $0 == id }
            return actions + deal(now: now)
        case .heartbeat:  // answered, so workers can tell a live coordinator from a dead one
            return known ? [.toWorker(id, message(.heartbeat(WireHeartbeat(nowMs: UInt64(now), state: "running"))))]
                : [.toWorker(id, message(welcomeBody()))] + deal(now: now)
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
        // Async: at most staleness + 1 shards in flight, so no update lags more than `staleness`.
        var room = config.mode == .async ? config.staleness + 1 - shards.filter { if case .leased = $0 { return true }; return false }.count : Int.max
        for s in shards.indices where shards[s] == .open {
            guard !idle.isEmpty, room > 0 else { break }
            room -= 1
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
        let chunk = (config.mode == .async ? chunks[s] : step) % layout.chunksPerEpoch
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
        return message(.task(WireTask(step: UInt64(config.mode == .async ? chunks[s] : step), shard: UInt32(s), shardCount: UInt32(config.shardCount),
                                      firstLane: UInt32(s * n), laneCount: UInt32(n), steps: UInt32(t),
                                      weightVersion: version, leaseID: lease)), frames: frames)
    }
}

extension CoordinatorMachine {
    /// Async: one shard's update was applied; every `shardCount` updates make a reported step.
    func asyncApplied(_ a: WireStepApplied, now: Int) -> [Action] {
        version = max(version ?? 0, a.version)
        updates += 1
        if !awaitingApply.isEmpty {
            let s = awaitingApply.removeFirst()
            shards[s] = chunks[s] >= config.totalSteps ? .done : .open
        }
        window.staleness += Int(a.staleness)
        window.maxStaleness = max(window.maxStaleness, Int(a.staleness))
        window.norm += a.gradNorm
        var actions: [Action] = []
        if updates % config.shardCount == 0 {
            step = updates / config.shardCount
            let k = Double(config.shardCount)
            actions.append(.stepDone(StepReport(step: step, loss: window.loss / Double(max(window.tokens, 1)),
                                                tokens: window.tokens, gradNorm: window.norm / k,
                                                staleness: Double(window.staleness) / k, maxStaleness: window.maxStaleness,
                                                workers: workers.count)))
            window = (0, 0, 0, 0, 0)
        }
        if updates >= config.totalSteps * config.shardCount {
            finished = true
            return actions + [.finished]
        }
        return actions + deal(now: now)
    }
}
