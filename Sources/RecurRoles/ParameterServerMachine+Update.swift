// ParameterServerMachine+Update: the sync update applied piece by piece in parameter order, each
// piece's weights sent as soon as it is updated, and the weights every other request gets.
import RecurIO
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

extension ParameterServerMachine {
    /// Sync: clips the normalised step gradient by the global norm and starts applying it, first
    /// piece first (the embedding and layer 0, which a worker's next forward pass reads first).
    func finishStep(sumOfSquares: Double) -> [Action] {
        guard let s = serving, let c = config, let optimizer else { return [] }
        let (norm, scale) = UpdateRule.clipScale(sumOfSquares: sumOfSquares, clip: c.clip)
        let next = version + 1
        let receivers = s.pendingRequests.filter { $0.inPieces && !$0.withOptimizer && $0.minVersion <= next }.map(\.peer)
        s.pendingRequests.removeAll { $0.inPieces && !$0.withOptimizer && $0.minVersion <= next }
        // A non-finite norm refuses the step: the version moves on with the weights unchanged.
        s.phase = .applying(Finishing(coefficients: scale.map { _ in optimizer.beginStep() }, scale: scale ?? 1, norm: norm,
                                    receivers: receivers))
        // The step's outcome is settled: the coordinator hears it now, so it deals the next
        // step's shards while the update is applied (a request for the new version is answered
        // once the last piece is done).
        guard let coordinator else { return [nextPiece(0)] }
        return [.send(to: coordinator, message(.stepApplied(WireStepApplied(version: next, step: version, gradNorm: norm,
                                                                            staleness: 0)))), nextPiece(0)]
    }

    /// The `.proceed` that asks where piece `p` of the version being written goes.
    func nextPiece(_ p: Int) -> Action {
        .proceed(WeightsPiece(version: version + 1, offset: pieces[p].lowerBound, count: pieces[p].count))
    }

    /// Updates the next piece (into `buffer` when given), sends it to the peers waiting for it in
    /// pieces, and asks the loop to come back for the piece after; after the last piece, the step
    /// is done.
    func proceed(into buffer: WeightsBuffer?) -> [Action] {
        guard let s = serving, var f = finishing, let params, let sum, let optimizer else { return [] }
        let r = pieces[f.next], local = (r.lowerBound - slice.range.lowerBound) ..< (r.upperBound - slice.range.lowerBound)
        var actions: [Action] = []
        if let frame = Self.update(local, params: params, grads: sum, optimizer: optimizer, coefficients: f.coefficients,
                                   scale: f.scale, name: "params", offset: r.lowerBound,
                                   into: buffer.map { ($0.pointer, $0.owner) }) {
            f.frames.append(frame)
            let m = message(.weights(WireWeights(version: version + 1)), frames: [frame])
            actions += f.receivers.map { .send(to: $0, m) }
        }
        f.next += 1
        if f.next < pieces.count {
            s.phase = .applying(f)
            return actions + [nextPiece(f.next)]
        }
        s.version += 1
        if f.frames.count == pieces.count { s.pieceFrames = (version, f.frames) }
        s.startStep()
        return actions + serveWaiting()
    }

    /// Applies the step to `params[local]` and returns the updated values as a frame at `offset`,
    /// a cache-sized chunk at a time: each chunk is updated and copied out while it is in cache
    /// (the same bits as two passes), into `destination` when given (`Event.proceed(into:)`), else
    /// into a new array. `grads` is left as it is: the next step's first shard overwrites it
    /// (`FrameMath.accumulate(assign:)`).
    static func update(_ local: Range<Int>, params: FloatBuffer, grads: FloatBuffer, optimizer: Optimizer,
                       coefficients: Optimizer.StepCoefficients?, scale: Float, name: String, offset: Int,
                       into destination: (UnsafeMutableRawPointer, AnyObject)? = nil) -> WireFrame? {
        let chunk = 1 << 16
        func step(_ r: Range<Int>) {
            if let co = coefficients { optimizer.apply(co, params: params, grads: grads, range: r, scale: scale) }
        }
        #if _endian(little)
        func stepAndCopy(to out: UnsafeMutableRawPointer) {
            for lo in stride(from: local.lowerBound, to: local.upperBound, by: chunk) {
                let r = lo ..< min(local.upperBound, lo + chunk)
                step(r)
                (out + (lo - local.lowerBound) * 4).copyMemory(from: params.pointer + lo, byteCount: r.count * 4)
            }
        }
        if let (out, owner) = destination {
            stepAndCopy(to: out)
            return try? WireFrame(name: name, dtype: .f32, shape: [local.count], offset: offset,
                                  payload: WireBytes(borrowing: out, count: local.count * 4, owner: owner))
        }
        let bytes = [UInt8](unsafeUninitializedCapacity: local.count * 4) { buffer, count in
            stepAndCopy(to: UnsafeMutableRawPointer(buffer.baseAddress!))
            count = local.count * 4
        }
        return try? WireFrame(name: name, dtype: .f32, shape: [local.count], offset: offset, bytes: bytes)
        #else
        step(local)
        return try? WireFrame(name: name, shape: [local.count], offset: offset,
                              floats: UnsafeBufferPointer(start: params.pointer + local.lowerBound, count: local.count))
        #endif
    }

    /// The weights message of the current version (the served slice, at its offset); with the
    /// optimizer's moments for a checkpoint.
    func weightsMessage(withOptimizer: Bool = false) -> WireMessage? {
        guard let s = serving, let p = params else { return nil }
        // Every worker asks for the same version: its frame is copied out of the buffer once.
        if !withOptimizer, let cached = s.paramsFrame, cached.version == version {
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
        if let first = frames.first { s.paramsFrame = (version, first) }
        return message(.weights(WireWeights(version: version)), frames: frames)
    }

    /// The current version as one Weights message per piece, in parameter order.
    func pieceMessages() -> [WireMessage] {
        guard let s = serving, let params else { return [] }
        if s.pieceFrames?.version != version {
            let frames = pieces.compactMap { r in
                try? WireFrame(name: "params", shape: [r.count], offset: r.lowerBound,
                               floats: UnsafeBufferPointer(start: params.pointer + (r.lowerBound - slice.range.lowerBound), count: r.count))
            }
            s.pieceFrames = (version, frames)
        }
        return s.pieceFrames!.frames.map { message(.weights(WireWeights(version: version)), frames: [$0]) }
    }

    /// What a waiting peer gets once the version it needs is here.
    func reply(to w: WeightsWaiter) -> [Action] {
        if w.inPieces && !w.withOptimizer { return pieceMessages().map { .send(to: w.peer, $0) } }
        return weightsMessage(withOptimizer: w.withOptimizer).map { [.send(to: w.peer, $0)] } ?? []
    }

    func weightsRequest(from peer: String, _ r: WireWeightsRequest) -> [Action] {
        guard let s = serving else {
            return [.event(LogRecord(.notConfigured, "ps: weights requested before configuration by \(peer)",
                                     [("peer", .string(peer)), ("kind", .string("weights_request"))]))]
        }
        let waiter = WeightsWaiter(peer: peer, minVersion: r.minVersion, withOptimizer: r.withOptimizer, inPieces: r.inPieces)
        // Mid-update the weights are part old, part new: such a request waits for the new version.
        if version >= r.minVersion, finishing == nil { return reply(to: waiter) }
        // One waiting request per peer and kind: a worker that asks again gets the version once.
        s.pendingRequests.removeAll { $0.peer == peer && $0.withOptimizer == r.withOptimizer }
        s.pendingRequests.append(waiter)
        return []
    }

    /// After an update: the weights to every peer still waiting for this version, and the news to
    /// the coordinator.
    func afterUpdate(step: UInt64, norm: Double, staleness: UInt32, coordinator: String) -> [Action] {
        serveWaiting() + [.send(to: coordinator, message(.stepApplied(WireStepApplied(
            version: version, step: step, gradNorm: norm, staleness: staleness))))]
    }

    /// The current version to every peer waiting for it.
    func serveWaiting() -> [Action] {
        guard let s = serving else { return [] }
        var actions: [Action] = []
        for w in s.pendingRequests where w.minVersion <= version { actions += reply(to: w) }
        s.pendingRequests.removeAll { $0.minVersion <= version }
        return actions
    }
}
