// CoordinatorMachine+PS: the coordinator's side of the parameter servers — registration and
// configuration of each slice's server, the global gradient norm of a sharded step, and the
// step's end once every slice has applied it.
import RecurIO
import RecurModel
import RecurWire

extension CoordinatorMachine.Core {
    /// Connects to slice `k`'s server and sends it the configuration (with a resumed run's
    /// weights and moments for its slice).
    func configurePS(_ k: Int, endpoint: String) -> [Action] {
        let r = parameterShards.ranges[k]
        let frames = resumeTensors.compactMap { t -> WireFrame? in
            guard t.values.count == parameterShards.count else { return nil }
            return t.values.withUnsafeBufferPointer { b in
                try? WireFrame(name: t.name, shape: [r.count], offset: r.lowerBound,
                               floats: UnsafeBufferPointer(rebasing: b[r]))
            }
        }
        return [.connectPS(k, endpoint: endpoint), .toPS(k, message(welcomeBody(psShard: k), frames: frames)),
                .event(LogRecord(.configuringServer, "coordinator: configuring parameter server \(k) at \(endpoint)",
                                 [("shard", .int(k)), ("endpoint", .string(endpoint))]))]
    }

    /// A parameter server announcing itself (`recur launch`): the first endpoint for a slice wins.
    func registerPS(_ id: String, _ h: WireHello) -> [Action] {
        let k = Int(h.psShard)
        guard k < psEndpoints.count, !h.endpoint.isEmpty else {
            return [.event(refusal(id, kind: "ps", "slice \(h.psShard) of \(psEndpoints.count), endpoint \"\(h.endpoint)\""))]
        }
        psRegistrants.insert(id)
        // Servers announce themselves every few seconds: a coordinator that restarted finds them.
        let process = (pid: h.pid, host: h.hostname)
        if let known = psEndpoints[k] {
            guard known == h.endpoint else {
                return [.log("coordinator: parameter server \(k) is already at \(known); ignored \(id) at \(h.endpoint)")]
            }
            guard let before = psProcess[k], before != process else { return [] }
            psProcess[k] = process
            if isConfigured(k) {  // its slice of the weights died with the old process
                state = .finished
                return [.fail("parameter server \(k) restarted (pid \(before.pid) on \(before.host), now \(h.pid) on \(h.hostname)); "
                               + "its slice is lost: restart the coordinator with --resume to continue from the newest checkpoint")]
            }
            return configurePS(k, endpoint: h.endpoint)  // it died before it was configured: configure the new one
        }
        psEndpoints[k] = h.endpoint
        psProcess[k] = process
        return configurePS(k, endpoint: h.endpoint)
    }

    func psMessage(_ k: Int, _ m: WireMessage, now: Int) -> [Action] {
        switch m.body {
        case .stepApplied(let a):
            if a.rejectionReason == nil { sliceVersions[k] = max(sliceVersions[k] ?? 0, a.version) }
            if let reason = a.rejectionReason { return [.log("coordinator: parameter server \(k) refused step \(a.step): \(reason)")] }
            if case .waitingForServers(let configured, _) = state, !configured.contains(k) { return psReady(k, a, now: now) }
            if config.mode == .async { return asyncApplied(a, now: now) }
            guard Int(a.step) == step, a.version == UInt64(step + 1), !applied.contains(k) else {
                return [.log("coordinator: unexpected step_applied (step \(a.step), version \(a.version)) from parameter server \(k) at step \(step)")]
            }
            applied.insert(k)
            guard applied.count == psEndpoints.count else { return [] }
            guard shards.allSatisfy({ $0 == .done }) else {
                return [.log("coordinator: step \(step) applied before every shard was acknowledged")]
            }
            var sum = 0.0, count = 0
            for l in losses { if let l { sum += l.sum; count += l.count } }
            version = a.version
            step += 1
            var report = StepReport(step: step, loss: sum / Double(max(count, 1)), tokens: count,
                                    gradNorm: a.gradNorm, workers: workers.count, appliedMs: now)
            lastLoss = report.loss
            let plan = schedule.after(step: step, secondsSinceCheckpoint: Double(now - lastCheckpointMs) / 1000,
                                      timeUp: timeUp(now: now))
            report.writesLine = plan.writesLine
            report.isLast = plan.isLast
            if !plan.isLast { beginStep() }
            // A step whose weights are read is reported, and its weights fetched, before the next
            // is dealt: a server that applied the next step first would answer with the wrong
            // version, since a request is answered with any version at least as new.
            if plan.readsWeights { return readWeights(report, plan, now: now) }
            // Otherwise the next shards first, so the workers compute while the loop logs.
            return deal(now: now) + [.stepDone(report)]
        case .weights(let w):
            return weightsArrived(k, w, m, now: now)
        case .normPartial(let p):
            return normPartial(k, p)
        case .result(let r):
            return acceptResult(r, m, fromPS: k, now: now)
        case .reject(let r) where r.leaseID != 0:
            guard let s = shards.firstIndex(where: { if case .leased(r.leaseID, _, _) = $0 { return true }; return false }),
                  !awaitingApply.contains(s) else { return [] }
            shards[s] = .open
            refusals[s, default: 0] += 1
            if refusals[s]! >= CoordinatorMachine.maxRefusals && r.code != .stale {
                return abort("shard \(s) of step \(step) was refused \(refusals[s]!) times (\(r.detail)); stopping the run")
            }
            return [.log("coordinator: parameter server \(k) refused lease \(r.leaseID): \(r.detail); dealing it again")]
                + deal(now: now)
        default:
            return [.log("coordinator: ignored \(m.body.kind) from parameter server \(k)")]
        }
    }

    /// Slice `k`'s server took the configuration; once every slice has, the run begins.
    func psReady(_ k: Int, _ a: WireStepApplied, now: Int) -> [Action] {
        guard case .waitingForServers(var configured, let first) = state else { return [] }
        configured.insert(k)
        var actions: [Action] = [.log("coordinator: parameter server \(k) ready at version \(a.version)")]
        if let v = first, v != a.version {
            return actions + abort("parameter servers disagree on the version (\(v) and \(a.version))")
        }
        state = .waitingForServers(configured: configured, version: a.version)
        guard configured.count == psEndpoints.count else { return actions }
        version = a.version
        step = Int(a.version)
        if config.mode == .sync && schedule.isComplete(atStep: step) {  // a resume of a finished run: nothing to do
            return actions + [.event(LogRecord(.runComplete, "coordinator: " + schedule.completeNote(atStep: step), [("step", .int(step))]))]
                + finish()
        }
        state = .running
        startedAt = (now, step)
        if config.mode == .sync { beginStep() }
        // Workers that joined while the servers were not all there get their welcome now.
        for id in joinOrder { actions.append(.toWorker(id, message(welcomeBody()))) }
        return actions + deal(now: now)
    }

    /// Sync, S > 1: one slice's block sums; with every slice's, the global sum goes to all.
    func normPartial(_ k: Int, _ p: WireNormPartial) -> [Action] {
        let r = parameterShards.ranges[k]
        guard Int(p.step) == step, Int(p.psShard) == k, Int(p.firstBlock) == parameterShards.firstBlock(k),
              p.blockSums.count == NormBlocks.blockCount(r.count) else {
            return [.log("coordinator: norm partial (step \(p.step), slice \(p.psShard), \(p.blockSums.count) blocks) from parameter server \(k) does not fit step \(step); dropped")]
        }
        normParts[k] = p.blockSums
        guard normParts.count == psEndpoints.count else { return [] }
        let total = NormBlocks.total(psEndpoints.indices.lazy.flatMap { self.normParts[$0]! })  // block order
        normParts = [:]
        return psEndpoints.indices.map { .toPS($0, message(.normTotal(WireNormTotal(step: UInt64(step), sumOfSquares: total)))) }
    }

    /// A heartbeat to every registered server, once per heartbeat interval. A server gives up on a
    /// coordinator it has not heard from for its peer timeout, and in a run with one server no
    /// step message goes to it (there is no norm to total), so without these a run whose steps
    /// neither evaluate nor checkpoint for that long would lose its server.
    func serverBeats(now: Int) -> [Action] {
        if let last = psBeatMs, now - last < config.heartbeatIntervalMs { return [] }
        psBeatMs = now
        guard !psHeardMs.isEmpty, psEndpoints.contains(where: { $0 != nil }) else { return [] }  // started, and a server known
        let beat = message(.heartbeat(WireHeartbeat(nowMs: UInt64(now), state: "running")))
        return psEndpoints.indices.compactMap { psEndpoints[$0] == nil ? nil : .toPS($0, beat) }
    }
}
