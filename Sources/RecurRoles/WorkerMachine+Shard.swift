// WorkerMachine+Shard: what the computation of a shard reports — each gradient piece sent to its
// slice's server the moment it is done, then the result, or the shard handed back when given up.
import RecurIO
import RecurModel
import RecurTrain
import RecurWire

extension WorkerMachine {
    func gradientPieceDone(_ f: WireFrame, _ lossSum: Double, _ tokens: Int, _ state: [Float]?) -> [Action] {
        guard case .computing(let r, let s) = self.state else { return [.log("worker: a gradient piece with no shard in hand")] }
        let t = s.task
        guard let k = r.shards.ranges.firstIndex(where: { $0.contains(Int(f.offset)) }) else {
            return [.log("worker: a gradient piece at \(f.offset) is in no slice")]
        }
        var frames = [f]
        if let state {
            do {
                frames.append(try WireFrame(name: "state", shape: [Int(t.laneCount), state.count / max(1, Int(t.laneCount))], floats: state))
            } catch { return [.log("worker: cannot encode the state: \(error)")] }
        }
        return [.toPS(k, message(.gradient(gradient(t, tokens: tokens, lossSum: lossSum)), frames: frames))]
    }

    func gradient(_ t: WireTask, tokens: Int, lossSum: Double) -> WireGradient {
        WireGradient(leaseID: t.leaseID, step: t.step, shard: t.shard, shardCount: t.shardCount, weightVersion: t.weightVersion,
                     tokenCount: UInt64(tokens), lossSum: lossSum)
    }

    func computed(_ o: ShardOutcome) -> [Action] {
        guard case .computing(var r, let s) = state else { return [.log("worker: a result with no shard in hand")] }
        state = .ready(r)
        let t = o.task
        var actions: [Action] = []
        do {
            let st = try WireFrame(name: "state", shape: [Int(t.laneCount), o.state.count / max(1, Int(t.laneCount))], floats: o.state)
            for (k, g) in o.gradients.enumerated() {  // each slice to its server; the state rides with slice 0
                actions.append(.toPS(k, message(.gradient(gradient(t, tokens: o.tokens, lossSum: o.lossSum)),
                                                frames: k == 0 ? [g, st] : [g])))
            }
        } catch { return [.log("worker: cannot encode the gradient: \(error)")] }
        actions.append(.toCoordinator(message(.result(WireResult(leaseID: t.leaseID, step: t.step, shard: t.shard,
                                                                 weightVersion: t.weightVersion, lossSum: o.lossSum,
                                                                 tokenCount: UInt64(o.tokens), computeMs: o.computeMs)))))
        if s.leaveAfter { return actions + leave(r) }
        // Ask now for the weights the next task will need; the server answers when it has them.
        let ask = requestWeights(&r, minVersion: t.weightVersion + 1)
        return actions + ask + tryCompute(r)
    }

    func abandoned(_ why: String) -> [Action] {
        func gaveUp(_ lease: UInt64?) -> Action {
            .event(LogRecord(.shardAbandoned, "worker: \(why)", [("lease", lease.map { .int(Int($0)) } ?? .null), ("error", .string(why))]))
        }
        guard case .computing(let r, let s) = state else { return [gaveUp(nil)] }
        // Hand the shard back now rather than when its lease expires.
        let actions: [Action] = [gaveUp(s.lease), .toCoordinator(message(.reject(WireReject(
            code: .unspecified, detail: "shard abandoned: \(why)", leaseID: s.lease))))]
        state = .ready(r)
        return s.leaveAfter ? actions + leave(r) : actions + tryCompute(r)
    }
}
