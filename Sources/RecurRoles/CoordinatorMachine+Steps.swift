// CoordinatorMachine+Steps: dealing shards under leases, taking results, expiring leases and
// advancing from step to step.
import RecurIO
import RecurMath
import RecurWire

extension CoordinatorMachine.Core {
    func beginStep() {
        if source.startsEpoch(step) { laneState.zero() }  // a new epoch starts from zero state
        shards = Array(repeating: .open, count: config.shardCount)
        losses = Array(repeating: nil, count: config.shardCount)
        refusals = [:]
        applied = []
        normParts = [:]
        arrivedStates = [:]
        acks = Array(repeating: [], count: config.shardCount)
    }

    /// A shard's result relayed by slice `k`'s server once it accepted that slice of the gradient;
    /// slice 0's carries the lanes' state. The shard is done when every slice has accepted it.
    func acceptResult(_ r: WireResult, _ m: WireMessage, fromPS k: Int, now: Int) -> [Action] {
        let s = Int(r.shard)
        let current = config.mode == .async ? (s < chunks.count ? chunks[s] : -1) : step
        guard Int(r.step) == current, s < shards.count, shards[s] != .done, !acks[s].contains(k) else {
            counters.duplicates += 1
            return [.log("coordinator: duplicate or late result for step \(r.step) shard \(r.shard); dropped")]
        }
        let per = config.stateFloatsPerLane, n = config.lanesPerShard
        if k == 0 && per > 0 {
            do {
                let frame = try m.frame(named: "state")
                guard frame.elementCount == n * per else { throw RoleError.failed("state has \(frame.elementCount) values") }
                // Kept aside until every slice has accepted the shard: until then the shard may be
                // dealt again, and it must start from the lanes' state before this step.
                var state = [Float](repeating: 0, count: n * per)
                try state.withUnsafeMutableBufferPointer { try frame.copyFloats(into: $0) }
                arrivedStates[s] = state
            } catch {
                return [.log("coordinator: bad state for step \(r.step) shard \(r.shard): \(error)")]
            }
        }
        if k == 0 { losses[s] = (r.lossSum, Int(r.tokenCount)) }
        acks[s].insert(k)
        guard acks[s].count == psEndpoints.count else { return [] }
        if let state = arrivedStates.removeValue(forKey: s) { (laneState.pointer + s * n * per).update(from: state, count: n * per) }
        // Free the worker only if it still holds this shard's lease: it may already have reported
        // and taken another shard, whose lease must not be forgotten.
        if case .leased(let lease, let w, _) = shards[s], workers[w]?.lease == lease { workers[w]?.lease = nil }
        if config.mode == .async {
            chunks[s] += 1
            if source.startsEpoch(chunks[s]) {  // the shard's lanes start a new epoch from zero
                (laneState.pointer + s * n * per).update(repeating: 0, count: n * per)
            }
            // The shard stays in flight until its update is announced (the next step_applied on this
            // pipe), so every update the coordinator has not yet seen counts against the staleness bound.
            awaitingApply.append(s)
            acks[s] = []
            window.loss += r.lossSum
            window.tokens += Int(r.tokenCount)
            return []
        }
        shards[s] = .done
        return deal(now: now)
    }

    /// The `worker_joined` event of worker `id`, saying `what`.
    func joined(_ id: String, _ what: String, welcomed: Bool) -> LogRecord {
        LogRecord(.workerJoined, "coordinator: worker \(id) \(what)",
                  [("worker", .string(id)), ("alive", .int(workers.count)), ("welcomed", .bool(welcomed))])
    }

    /// The `registration_refused` event of `peer` (a `kind` of registrant), saying `reason`.
    func refusal(_ peer: String, kind: String, _ reason: String) -> LogRecord {
        LogRecord(.registrationRefused, "coordinator: refused \(kind == "ps" ? "parameter-server registration from" : "worker") \(peer): \(reason)",
                  [("peer", .string(peer)), ("kind", .string(kind)), ("reason", .string(reason))])
    }

    func workerMessage(_ id: String, _ m: WireMessage, now: Int) -> [Action] {
        let known = workers[id] != nil
        if !known, case .leave = m.body { return [] }
        if !known {
            guard workers.count < CoordinatorMachine.maxWorkers else {
                counters.refusedRegistrations += 1
                return counters.refusedRegistrations % 100 == 1
                    ? [.event(refusal(id, kind: "worker", "\(CoordinatorMachine.maxWorkers) workers already registered"))] : []
            }
            workers[id] = WorkerInfo(lastSeenMs: now, lease: nil)
            if case .hello(let h) = m.body { workers[id]?.host = h.hostname }
            joinOrder.append(id)
        }
        workers[id]?.lastSeenMs = now
        let ready = version != nil  // every parameter server configured: welcomes can name them all
        if !known {
            // A newcomer, or a worker of a coordinator that was restarted (it speaks first with a
            // result or a heartbeat): it gets this coordinator's Welcome before any shard.
            guard ready else { return [.event(joined(id, "joined; welcome once the parameter servers are ready", welcomed: false))] }
            workers[id]?.welcomedMs = now
            return [.toWorker(id, message(welcomeBody())), .event(joined(id, "joined (\(workers.count) alive)", welcomed: true))]
                + deal(now: now)
        }
        switch m.body {
        case .hello(let h):
            workers[id]?.host = h.hostname
            // One welcome a second per peer: a peer repeating Hello cannot make us flood it.
            if let last = workers[id]?.welcomedMs, now - last < 1_000 {
                counters.refusedRegistrations += 1
                return []
            }
            guard ready else { return [] }
            workers[id]?.welcomedMs = now
            return [.toWorker(id, message(welcomeBody())), .log("coordinator: worker \(id) said hello again")] + deal(now: now)
        case .result(let r):
            if workers[id]?.lease == r.leaseID { workers[id]?.lease = nil }
            workers[id]?.shardsDone += 1
            workers[id]?.tokens += Int(r.tokenCount)
            workers[id]?.computeMs += r.computeMs
            return deal(now: now)
        case .leave(let l):
            // Every shard still leased to it goes back: one it reported may never have reached
            // the parameter server. Duplicates are dropped there, so this is always safe.
            let actions = [.event(LogRecord(.workerLeft, "coordinator: worker \(id) left (\(l.reason))", [("worker", .string(id)), ("reason", .string(l.reason))]))]
                + handBack(from: id, why: "it left")
            depart(id, "left", now: now)
            return actions + deal(now: now)
        case .reject(let r) where r.leaseID != 0:
            // The worker refuses the task it holds (it could not get the weights): deal it again
            // now. A lease it no longer holds, or a shard already with the server, stays as it is.
            guard workers[id]?.lease == r.leaseID else { return [] }
            workers[id]?.lease = nil
            return handBack(from: id, lease: r.leaseID, why: r.detail) + deal(now: now)
        case .heartbeat:  // answered, so workers can tell a live coordinator from a dead one
            return [.toWorker(id, message(.heartbeat(WireHeartbeat(nowMs: UInt64(now), state: ready ? "running" : "waiting"))))]
        default:
            return [.log("coordinator: ignored \(m.body.kind) from \(id)")]
        }
    }

    /// Opens again every shard leased to worker `id` (under `lease`, when given) that the server
    /// does not hold yet, counting each as handed back.
    func handBack(from id: String, lease: UInt64? = nil, why: String) -> [Action] {
        var actions: [Action] = []
        for s in shards.indices {
            guard case .leased(let l, id, _) = shards[s], lease.map({ $0 == l }) ?? true, !awaitingApply.contains(s) else { continue }
            shards[s] = .open
            counters.handedBack += 1
            actions.append(.log("coordinator: shard \(s) of step \(step) handed back by \(id) (\(why))"))
        }
        return actions
    }

    func expire(now: Int) -> [Action] {
        var actions: [Action] = []
        for s in shards.indices {
            if case .leased(let lease, let w, let deadline) = shards[s], now >= deadline {
                shards[s] = .open
                counters.expired += 1
                actions.append(.event(LogRecord(.leaseExpired, "coordinator: lease \(lease) of worker \(w) (step \(step) shard \(s)) expired; dealing it again",
                                                [("worker", .string(w)), ("lease", .int(Int(lease))), ("step", .int(step)), ("shard", .int(s))])))
                depart(w, "lease expired", now: now)
            }
        }
        for id in joinOrder where workers[id]?.lease == nil && now - (workers[id]?.lastSeenMs ?? now) > 3 * config.leaseTimeoutMs {
            depart(id, "silent", now: now)
            actions.append(.event(LogRecord(.workerForgotten, "coordinator: worker \(id) silent for \(3 * config.leaseTimeoutMs) ms; forgotten",
                                                [("worker", .string(id))])))
        }
        joinOrder.removeAll { workers[$0] == nil }
        return actions
    }

    func deal(now: Int) -> [Action] {
        guard let version, case .running = state else { return [] }
        var actions: [Action] = []
        if let expected = expectedWorkers {  // rendezvous: wait for the world, or for the deadline
            let deadline = rendezvousDeadlineMs ?? (now + config.leaseTimeoutMs)
            rendezvousDeadlineMs = deadline
            guard workers.count >= expected || now >= deadline else { return [] }
            expectedWorkers = nil
            actions.append(.log("coordinator: starting with \(workers.count) of \(expected) expected workers"))
        }
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
        let n = config.lanesPerShard, per = config.stateFloatsPerLane
        let at = config.mode == .async ? chunks[s] : step
        let b = source.shard(step: at, index: s, lanesPerShard: n)
        var frames = [try! WireFrame(name: "inputs", shape: [b.steps, n], int32s: b.inputs)]
        if b.isPairs {
            frames.append(try! WireFrame(name: "lengths", shape: [n], int32s: b.lengths))
            frames.append(try! WireFrame(name: "targets", shape: [b.targetSteps, n], int32s: b.targets))
        } else if b.isExamples {
            frames.append(try! WireFrame(name: "lengths", shape: [n], int32s: b.lengths))
            frames.append(try! WireFrame(name: "targets", shape: b.targets.count == n ? [n] : [b.steps, n], int32s: b.targets))
        } else {
            let state = UnsafeBufferPointer(start: laneState.pointer + s * n * per, count: n * per)
            frames.append(try! WireFrame(name: "targets", shape: [b.steps, n], int32s: b.targets))
            frames.append(try! WireFrame(name: "state", shape: [n, per], floats: state))
        }
        return message(.task(WireTask(step: UInt64(at), shard: UInt32(s), shardCount: UInt32(config.shardCount),
                                      firstLane: UInt32(s * n), laneCount: UInt32(n), steps: UInt32(b.steps),
                                      weightVersion: version, leaseID: lease,
                                      kind: b.isPairs ? .pairs : b.isExamples ? .examples : .stream)),
                       frames: frames)
    }
}

extension CoordinatorMachine.Core {
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
        guard updates % config.shardCount == 0 else { return deal(now: now) }
        step = updates / config.shardCount
        let k = Double(config.shardCount)
        var report = StepReport(step: step, loss: window.loss / Double(max(window.tokens, 1)),
                                tokens: window.tokens, gradNorm: window.norm / k,
                                staleness: Double(window.staleness) / k, maxStaleness: window.maxStaleness,
                                workers: workers.count, appliedMs: now)
        lastLoss = report.loss
        window = (0, 0, 0, 0, 0)
        let plan = schedule.after(step: step, secondsSinceCheckpoint: Double(now - lastCheckpointMs) / 1000,
                                  timeUp: timeUp(now: now))
        report.writesLine = plan.writesLine
        report.isLast = plan.isLast
        // No step can end while another's weights are read: nothing is dealt meanwhile, and fewer
        // shards than a step has are in flight. Were one to, it is reported without a read.
        if case .readingWeights = state { return [.stepDone(report)] }
        if plan.readsWeights { return readWeights(report, plan, now: now) }
        return [.stepDone(report)] + deal(now: now)
    }
}
