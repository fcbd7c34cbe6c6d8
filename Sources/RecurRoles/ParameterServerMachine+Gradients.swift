// ParameterServerMachine+Gradients: accepting gradients, the shard-order sum, the update and the
// weights it sends to every worker waiting for them.
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

extension ParameterServerMachine {
    /// The weights message of the current version (the served slice, at its offset); with the
    /// optimizer's moments for a checkpoint.
    func weightsMessage(withOptimizer: Bool = false) -> WireMessage? {
        guard let p = params else { return nil }
        // Every worker asks for the same version: its frame is copied out of the buffer once.
        if !withOptimizer, let cached = paramsFrame, cached.version == version {
            return message(.weights(WireWeights(version: version)), frames: [cached.frame])
        }
        var buffers = [("params", p)]
        if withOptimizer, let o = optimizer {
            for (name, b) in [("m", o.m), ("v", o.v)] where b.count > 0 { buffers.append((name, b)) }
        }
        let frames = buffers.compactMap { name, b in
            try? WireFrame(name: name, shape: [b.count], offset: slice.range.lowerBound,
                           floats: UnsafeBufferPointer(start: b.pointer, count: b.count))
        }
        if let first = frames.first { paramsFrame = (version, first) }
        return message(.weights(WireWeights(version: version)), frames: frames)
    }

    func weightsRequest(from peer: String, _ r: WireWeightsRequest) -> [Action] {
        guard params != nil else { return [.log("ps: weights requested before configuration by \(peer)")] }
        if version >= r.minVersion, let w = weightsMessage(withOptimizer: r.withOptimizer) { return [.send(to: peer, w)] }
        // One waiting request per peer and kind: a worker that asks again (after each shard it
        // computes) gets the version once, not once per question.
        pendingRequests.removeAll { $0.peer == peer && $0.withOptimizer == r.withOptimizer }
        pendingRequests.append((peer, r.minVersion, r.withOptimizer))
        return []
    }

    func gradient(from peer: String, _ g: WireGradient, _ m: WireMessage) -> [Action] {
        guard let c = config, let params, let sum, let optimizer, let coordinator else {
            return [.log("ps: gradient from \(peer) before configuration; dropped")]
        }
        let shard = Int(g.shard)
        if let refusal = admission(g, shard: shard, config: c) { return refusal }
        let values: WireFrame
        var state: WireFrame?
        do {
            values = try m.frame(named: "gradient")
            if slice.index == 0 { state = try m.frame(named: "state") }
            guard values.dtype == .f32, values.elementCount == params.count, values.offset == slice.range.lowerBound,
                  state.map({ $0.elementCount == c.lanesPerShard * c.model.stateFloatsPerLane }) ?? true else {
                counters.badShape += 1
                let why = "gradient has \(values.elementCount) values at offset \(values.offset), expected \(params.count) at \(slice.range.lowerBound)"
                return [.send(to: peer, reject(.badShape, why)), .send(to: coordinator, reject(.badShape, why, lease: g.leaseID)),
                        .log("ps: gradient of the wrong shape from \(peer); rejected")]
            }
        } catch {
            counters.badShape += 1
            return [.send(to: peer, reject(.badShape, "\(error)")), .send(to: coordinator, reject(.badShape, "\(error)", lease: g.leaseID)),
                    .log("ps: bad gradient from \(peer): \(error)")]
        }
        guard FrameMath.allFinite(values), g.lossSum.isFinite else {
            counters.notFinite += 1
            let why = "gradient or loss of step \(g.step) shard \(shard) is not finite"
            return [.send(to: peer, reject(.notFinite, why)), .send(to: coordinator, reject(.notFinite, why, lease: g.leaseID)),
                    .log("ps: non-finite gradient for step \(g.step) shard \(shard) from \(peer); rejected")]
        }
        var actions: [Action] = [.send(to: coordinator, message(.result(WireResult(
            leaseID: g.leaseID, step: g.step, shard: g.shard, weightVersion: g.weightVersion, lossSum: g.lossSum,
            tokenCount: g.tokenCount, computeMs: 0)), frames: state.map { [$0] } ?? []))]
        if c.mode == .async {  // apply this shard's gradient on its own, now
            asyncNext[shard] += 1
            let staleness = version - g.weightVersion
            sum.zero()
            FrameMath.accumulate(values, into: sum)
            let norm = UpdateRule.apply(params: params, grads: sum, tokens: Int(g.tokenCount), clip: c.clip, optimizer: optimizer)
            version += 1
            return actions + afterUpdate(step: g.step, norm: norm, staleness: UInt32(staleness), coordinator: coordinator)
        }
        accepted.insert(shard)
        waiting[shard] = (values, Int(g.tokenCount))
        while let next = waiting.removeValue(forKey: nextShard) {  // add shards in shard order
            FrameMath.accumulate(next.gradient, into: sum)
            tokens += next.tokens
            nextShard += 1
        }
        if nextShard == c.shardCount {
            let sums = UpdateRule.normalise(sum, tokens: tokens)
            if c.psShards == 1 { return actions + finishStep(sumOfSquares: NormBlocks.total(sums)) }
            awaitingNorm = version  // the other slices' sums are needed for the global norm
            actions.append(.send(to: coordinator, message(.normPartial(WireNormPartial(
                step: version, psShard: UInt32(slice.index), firstBlock: UInt64(slice.range.lowerBound / NormBlocks.blockFloats),
                blockSums: sums)))))
        }
        return actions
    }

    /// Sync, S > 1: the coordinator's global sum of squares for the step awaiting it.
    func normTotal(_ t: WireNormTotal) -> [Action] {
        guard let step = awaitingNorm, t.step == step else {
            return [.log("ps: norm total for step \(t.step) while awaiting \(awaitingNorm.map(String.init) ?? "none"); ignored")]
        }
        return finishStep(sumOfSquares: t.sumOfSquares)
    }

    /// Sync: clips the normalised step gradient by the global norm, applies it and moves on.
    func finishStep(sumOfSquares: Double) -> [Action] {
        guard let c = config, let params, let sum, let optimizer, let coordinator else { return [] }
        let norm = UpdateRule.finish(params: params, grads: sum, sumOfSquares: sumOfSquares, clip: c.clip, optimizer: optimizer)
        let step = version
        version += 1
        sum.zero()
        nextShard = 0
        tokens = 0
        awaitingNorm = nil
        accepted.removeAll()
        return afterUpdate(step: step, norm: norm, staleness: 0, coordinator: coordinator)
    }

    /// After an update: the weights to every worker waiting for this version, and the news to the
    /// coordinator.
    func afterUpdate(step: UInt64, norm: Double, staleness: UInt32, coordinator: String) -> [Action] {
        var actions: [Action] = []
        if let w = weightsMessage() {  // "broadcast": every worker waiting for this version gets it now
            for r in pendingRequests where r.minVersion <= version {
                actions.append(.send(to: r.peer, r.withOptimizer ? weightsMessage(withOptimizer: true) ?? w : w))
            }
            pendingRequests.removeAll { $0.minVersion <= version }
        }
        actions.append(.send(to: coordinator, message(.stepApplied(WireStepApplied(
            version: version, step: step, gradNorm: norm, staleness: staleness)))))
        return actions
    }

    /// Why a gradient may not be applied (nil when it may): exactly once per (step, shard), on the
    /// right weights (sync) or on weights at most `staleness` versions old (async).
    func admission(_ g: WireGradient, shard: Int, config c: RunConfig) -> [Action]? {
        let peer = "worker"
        guard shard < c.shardCount else {
            counters.badShape += 1
            return [.log("ps: gradient for shard \(shard) of a \(c.shardCount)-shard step; dropped")]
        }
        if c.mode == .async {
            if g.step < asyncNext[shard] {
                counters.duplicates += 1
                return [.log("ps: duplicate gradient for shard \(shard) chunk \(g.step); dropped")]
            }
            let lag = version >= g.weightVersion ? version - g.weightVersion : 0
            guard g.step == asyncNext[shard], g.weightVersion <= version, lag <= UInt64(c.staleness) else {
                counters.stale += 1
                let why = "stale gradient for shard \(shard) chunk \(g.step) (weights \(g.weightVersion), server \(version), limit \(c.staleness))"
                var refusal: [Action] = [.log("ps: \(why); refused")]
                if let coordinator {  // so the shard is dealt again now, not after its lease expires
                    refusal.append(.send(to: coordinator, message(.reject(WireReject(code: .stale, detail: why, leaseID: g.leaseID)))))
                }
                return refusal
            }
            return nil
        }
        guard g.step == version, g.weightVersion == version else {
            counters.stale += 1
            return [.log("ps: stale gradient from a \(peer) (step \(g.step), version \(g.weightVersion); server at version \(version)); dropped")]
        }
        guard !accepted.contains(shard) else {
            counters.duplicates += 1
            return [.log("ps: duplicate gradient for step \(g.step) shard \(shard); dropped")]
        }
        return nil
    }

    /// A refusal; with `lease`, addressed to the coordinator so it deals that shard again now.
    func reject(_ code: WireRejectCode, _ detail: String, lease: UInt64 = 0) -> WireMessage {
        message(.reject(WireReject(code: code, detail: detail, refusedSequence: 0, leaseID: lease)))
    }
}

/// Arithmetic straight on a frame's little-endian bytes, so a gradient is never copied into an
/// array first.
enum FrameMath {
    /// Whether every float of an F32 frame is finite: x − x is 0 for a finite x and NaN for NaN or
    /// ±Inf, and eight independent lanes keep the scan at memory speed.
    static func allFinite(_ f: WireFrame) -> Bool {
        f.bytes.withUnsafeBytes { raw in
            let n = raw.count / 4
            var i = 0
            #if _endian(little)
            var acc = SIMD8<Float>()
            while i + 8 <= n {
                let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                acc += x - x
                i += 8
            }
            guard acc == SIMD8<Float>() else { return false }
            #endif
            var bad: Float = 0
            while i < n {
                let x = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                bad += x - x
                i += 1
            }
            return bad == 0
        }
    }

    /// sum += frame, element by element in index order.
    static func accumulate(_ f: WireFrame, into sum: FloatBuffer) {
        let s = sum.pointer
        f.bytes.withUnsafeBytes { raw in
            for i in 0..<min(sum.count, raw.count / 4) {
                s[i] += Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
    }
}
