// ParameterServerMachine+Gradients: accepting gradients, the shard-order sum, the update and the
// weights it sends to every worker waiting for them.
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

extension ParameterServerMachine {
    /// The weights message of the current version.
    func weightsMessage() -> WireMessage? {
        guard let p = params, let frame = try? WireFrame(name: "params", shape: [p.count],
                                                         floats: UnsafeBufferPointer(start: p.pointer, count: p.count))
        else { return nil }
        return message(.weights(WireWeights(version: version)), frames: [frame])
    }

    func weightsRequest(from peer: String, _ r: WireWeightsRequest) -> [Action] {
        guard params != nil else { return [.log("ps: weights requested before configuration by \(peer)")] }
        if version >= r.minVersion, let w = weightsMessage() { return [.send(to: peer, w)] }
        pendingRequests.append((peer, r.minVersion))
        return []
    }

    func gradient(from peer: String, _ g: WireGradient, _ m: WireMessage) -> [Action] {
        guard let c = config, let params, let sum, let optimizer, let coordinator else {
            return [.log("ps: gradient from \(peer) before configuration; dropped")]
        }
        let shard = Int(g.shard)
        guard g.step == version, g.weightVersion == version, shard < c.shardCount else {
            counters.stale += 1
            return [.log("ps: stale gradient from \(peer) (step \(g.step), version \(g.weightVersion), shard \(g.shard); server at version \(version)); dropped")]
        }
        guard !accepted.contains(shard) else {
            counters.duplicates += 1
            return [.log("ps: duplicate gradient for step \(g.step) shard \(shard) from \(peer); dropped")]
        }
        let state: WireFrame, values: [Float]
        do {
            let frame = try m.frame(named: "gradient")
            values = try frame.floats()
            state = try m.frame(named: "state")
            guard values.count == params.count, frame.offset == 0,
                  state.elementCount == c.lanesPerShard * c.model.stateFloatsPerLane else {
                counters.badShape += 1
                return [.send(to: peer, reject(.badShape, "gradient has \(values.count) values, expected \(params.count)")),
                        .log("ps: gradient of the wrong shape from \(peer); rejected")]
            }
        } catch {
            counters.badShape += 1
            return [.send(to: peer, reject(.badShape, "\(error)")), .log("ps: bad gradient from \(peer): \(error)")]
        }
        guard values.allSatisfy({ $0.isFinite }), g.lossSum.isFinite else {
            counters.notFinite += 1
            return [.send(to: peer, reject(.notFinite, "gradient or loss of step \(g.step) shard \(shard) is not finite")),
                    .log("ps: non-finite gradient for step \(g.step) shard \(shard) from \(peer); rejected")]
        }
        accepted.insert(shard)
        waiting[shard] = (values, Int(g.tokenCount))
        var actions: [Action] = [.send(to: coordinator, message(.result(WireResult(
            leaseID: g.leaseID, step: g.step, shard: g.shard, weightVersion: g.weightVersion, lossSum: g.lossSum,
            tokenCount: g.tokenCount, computeMs: 0)), frames: [state]))]
        while let next = waiting.removeValue(forKey: nextShard) {  // add shards in shard order
            next.gradient.withUnsafeBufferPointer { UpdateRule.accumulate($0.baseAddress!, into: sum) }
            tokens += next.tokens
            nextShard += 1
        }
        if nextShard == c.shardCount {
            let norm = UpdateRule.apply(params: params, grads: sum, tokens: tokens, clip: c.clip, optimizer: optimizer)
            let step = version
            version += 1
            sum.zero()
            nextShard = 0
            tokens = 0
            accepted.removeAll()
            if let w = weightsMessage() {  // "broadcast": every worker waiting for this version gets it now
                for r in pendingRequests where r.minVersion <= version { actions.append(.send(to: r.peer, w)) }
                pendingRequests.removeAll { $0.minVersion <= version }
            }
            actions.append(.send(to: coordinator, message(.stepApplied(WireStepApplied(
                version: version, step: step, gradNorm: norm, staleness: 0)))))
        }
        return actions
    }

    func reject(_ code: WireRejectCode, _ detail: String) -> WireMessage {
        message(.reject(WireReject(code: code, detail: detail, refusedSequence: 0)))
    }
}
