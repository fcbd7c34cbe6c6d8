// ParameterServerMachine+Gradients: accepting gradients piece by piece, and each piece's
// shard-order sum, so a step's sum is almost done when its last piece arrives.
import RecurIO
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

extension ParameterServerMachine {
    func gradient(from peer: String, _ g: WireGradient, _ m: WireMessage) -> [Action] {
        guard let s = serving, let c = config, let params, let sum, let optimizer, let coordinator else {
            return [.event(LogRecord(.notConfigured, "ps: gradient from \(peer) before configuration; dropped",
                                     [("peer", .string(peer)), ("kind", .string("gradient"))]))]
        }
        let shard = Int(g.shard)
        if let refusal = admission(g, shard: shard, config: c) { return refusal }
        let values: WireFrame
        var state: WireFrame?
        let covered: [Int]
        do {
            values = try m.frame(named: "gradient")
            covered = piecesCovered(by: values)
            if slice.index == 0, covered.first == 0 { state = try m.frame(named: "state") }
            guard values.dtype == .f32, !covered.isEmpty,
                  state.map({ $0.elementCount == c.lanesPerShard * c.stateFloatsPerLane }) ?? true else {
                counters.badShape += 1
                let why = "gradient has \(values.elementCount) values at offset \(values.offset), expected the slice "
                    + "(\(params.count) at \(slice.range.lowerBound)) or one of its \(pieces.count) pieces"
                return [.send(to: peer, reject(.badShape, why)), .send(to: coordinator, reject(.badShape, why, lease: g.leaseID)),
                        .log("ps: gradient of the wrong shape from \(peer); rejected")]
            }
        } catch {
            counters.badShape += 1
            return [.send(to: peer, reject(.badShape, "\(error)")), .send(to: coordinator, reject(.badShape, "\(error)", lease: g.leaseID)),
                    .log("ps: bad gradient from \(peer): \(error)")]
        }
        if c.mode == .sync, let known = s.shardTokens[shard], known != g.tokenCount {
            counters.badShape += 1
            let why = "piece of step \(g.step) shard \(shard) counts \(g.tokenCount) tokens, its other pieces \(known)"
            return [.send(to: peer, reject(.badShape, why)), .send(to: coordinator, reject(.badShape, why, lease: g.leaseID)),
                    .log("ps: \(why); rejected")]
        }
        let fresh = covered.filter { !(s.shardPieces[shard]?.contains($0) ?? false) }
        guard !fresh.isEmpty else {
            counters.duplicates += 1
            return [.log("ps: duplicate gradient for step \(g.step) shard \(shard); dropped")]
        }
        guard FrameMath.allFinite(values), g.lossSum.isFinite else {
            counters.notFinite += 1
            let why = "gradient or loss of step \(g.step) shard \(shard) is not finite"
            return [.send(to: peer, reject(.notFinite, why)), .send(to: coordinator, reject(.notFinite, why, lease: g.leaseID)),
                    .log("ps: non-finite gradient for step \(g.step) shard \(shard) from \(peer); rejected")]
        }
        if c.mode == .async {  // apply this shard's gradient on its own, now (one piece: the slice)
            s.asyncNext[shard] += 1
            let staleness = version - g.weightVersion
            sum.zero()
            FrameMath.accumulate(values, into: sum)
            let norm = UpdateRule.apply(params: params, grads: sum, tokens: Int(g.tokenCount), clip: c.clip, optimizer: optimizer)
            s.version += 1
            return [result(g, state: state)] + afterUpdate(step: g.step, norm: norm, staleness: UInt32(staleness), coordinator: coordinator)
        }
        // Sync: each piece of each shard is accepted once (a shard dealt again after a piece was
        // refused sends what it already delivered again; the computation is deterministic, so
        // those pieces are the same and are dropped). The coordinator hears of the shard once
        // every piece is in.
        var actions: [Action] = []
        s.shardTokens[shard] = g.tokenCount
        if let state { s.shardState[shard] = state }
        s.shardPieces[shard, default: []].formUnion(fresh)
        for p in fresh {
            s.folds[p].waiting[shard] = values
            advance(piece: p, shardCount: c.shardCount)
        }
        if s.shardPieces[shard]?.count == pieces.count {
            actions.append(result(g, state: s.shardState.removeValue(forKey: shard)))
        }
        guard s.folds.allSatisfy({ $0.blockSums != nil }) else { return actions }
        let sums = s.folds.flatMap { $0.blockSums! }
        if c.psShards == 1 { return actions + finishStep(sumOfSquares: NormBlocks.total(sums)) }
        s.phase = .awaitingNorm(version)  // the other slices' sums are needed for the global norm
        actions.append(.send(to: coordinator, message(.normPartial(WireNormPartial(
            step: version, psShard: UInt32(slice.index), firstBlock: UInt64(slice.range.lowerBound / NormBlocks.blockFloats),
            blockSums: sums)))))
        return actions
    }

    /// The pieces a gradient frame holds (`ParameterPieces.held`); none for a frame whose offset
    /// and size overflow, which is then refused as of the wrong shape.
    func piecesCovered(by f: WireFrame) -> [Int] {
        guard let range = f.elementRange else { return [] }
        return ParameterPieces.held(by: range, pieces: pieces, slices: [slice.range])
    }

    /// Adds every shard of piece `p` that can be added in shard order; once all are, divides the
    /// piece by the step's token count and keeps its blocks' sums of squares.
    func advance(piece p: Int, shardCount: Int) {
        guard let s = serving, let sum else { return }
        let r = pieces[p], local = sum.pointer + (r.lowerBound - slice.range.lowerBound)
        while let f = s.folds[p].waiting.removeValue(forKey: s.folds[p].next) {
            // The first shard overwrites what the last step left (0 + g: the bits of zeroing first).
            FrameMath.accumulate(f, from: r.lowerBound - Int(f.offset), count: r.count, into: local, assign: s.folds[p].next == 0)
            s.folds[p].next += 1
        }
        guard s.folds[p].next == shardCount, s.folds[p].blockSums == nil else { return }
        // Every shard has sent this piece, so every shard's token count is known.
        let tokens = s.shardTokens.values.reduce(0) { $0 + Int($1) }
        s.folds[p].blockSums = UpdateRule.normalise(local, count: r.count, tokens: tokens)
    }

    /// The Result the coordinator gets for a shard whose gradient is safe here.
    func result(_ g: WireGradient, state: WireFrame?) -> Action {
        .send(to: coordinator ?? "coordinator", message(.result(WireResult(
            leaseID: g.leaseID, step: g.step, shard: g.shard, weightVersion: g.weightVersion, lossSum: g.lossSum,
            tokenCount: g.tokenCount, computeMs: 0)), frames: state.map { [$0] } ?? []))
    }

    /// Sync, S > 1: the coordinator's global sum of squares for the step awaiting it.
    func normTotal(_ t: WireNormTotal) -> [Action] {
        guard let s = serving, let step = awaitingNorm, t.step == step else {
            return [.log("ps: norm total for step \(t.step) while awaiting \(awaitingNorm.map(String.init) ?? "none"); ignored")]
        }
        s.phase = .collecting
        return finishStep(sumOfSquares: t.sumOfSquares)
    }

    /// Why a gradient may not be applied (nil when it may): for the right step and weights
    /// (sync) or on weights at most `staleness` versions old (async), once per shard (async).
    func admission(_ g: WireGradient, shard: Int, config c: RunConfig) -> [Action]? {
        guard let s = serving, shard < c.shardCount else {
            counters.badShape += 1
            return [.log("ps: gradient for shard \(shard) of a \(c.shardCount)-shard step; dropped")]
        }
        if c.mode == .async {
            if g.step < s.asyncNext[shard] {
                counters.duplicates += 1
                return [.log("ps: duplicate gradient for shard \(shard) chunk \(g.step); dropped")]
            }
            let lag = version >= g.weightVersion ? version - g.weightVersion : 0
            guard g.step == s.asyncNext[shard], g.weightVersion <= version, lag <= UInt64(c.staleness) else {
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
            return [.log("ps: stale gradient from a worker (step \(g.step), version \(g.weightVersion); server at version \(version)); dropped")]
        }
        return nil
    }

    /// A refusal; with `lease`, addressed to the coordinator so it deals that shard again now.
    func reject(_ code: WireRejectCode, _ detail: String, lease: UInt64 = 0) -> WireMessage {
        message(.reject(WireReject(code: code, detail: detail, refusedSequence: 0, leaseID: lease)))
    }
}
