// CoordinatorMachine+Weights: reading a step's weights from every slice's server, as requests out
// and replies in, for the evaluation and the checkpoint the run's schedule asks for.
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

extension CoordinatorMachine {
    /// The weights of one step, gathered from every slice's server: what the runner evaluates or
    /// writes into a checkpoint.
    public struct StepWeights: Equatable {
        /// Steps done.
        public let step: Int
        /// The servers' weight version (optimizer steps applied).
        public let version: UInt64
        /// Weights [P].
        public let params: FloatBuffer
        /// Moments [P] (empty when not asked for or when the rule keeps none).
        public let m: FloatBuffer, v: FloatBuffer
        /// Every lane's carried state [B, L, S, H] when the step ended.
        public let hidden: FloatBuffer
        /// The run's length as its checkpoint records it: the step a time limit ended it at, else
        /// the planned length.
        public var runLength: Int = 0

        /// Same step, version and values (for tests).
        public static func == (a: StepWeights, b: StepWeights) -> Bool {
            a.step == b.step && a.version == b.version && a.params.array == b.params.array && a.m.array == b.m.array
                && a.v.array == b.v.array && a.hidden.array == b.hidden.array
        }
    }

    /// A read of one step's weights under way: what it is for and what has come.
    public struct WeightsRead {
        /// The step whose weights are read, reported once they are all in.
        public let report: StepReport
        /// What the schedule asked for after this step.
        public let plan: RunSchedule.After
        let minVersion: UInt64
        let withOptimizer: Bool
        /// When the servers were last asked.
        var askedMs: Int
        /// Where each slice's reply is copied, [P] each (moments empty unless checkpointing).
        let params: FloatBuffer, m: FloatBuffer, v: FloatBuffer
        /// Each slice's version, once its reply is in.
        var got: [UInt64?]
    }
}

extension CoordinatorMachine.Core {
    /// Asks every server for the weights of the step just `report`ed (with the optimizer's moments
    /// for a checkpoint); no step is dealt until they are all in.
    func readWeights(_ report: StepReport, _ plan: RunSchedule.After, now: Int) -> [Action] {
        let p = parameterShards.count, kind = config.optimizer.kind
        let withOptimizer = plan.checkpoints
        let hasM = withOptimizer && (kind == .momentum || kind == .adam)
        let hasV = withOptimizer && (kind == .rmsprop || kind == .adam)
        let read = WeightsRead(report: report, plan: plan, minVersion: version ?? 0, withOptimizer: withOptimizer, askedMs: now,
                               params: FloatBuffer(count: p), m: FloatBuffer(count: hasM ? p : 0),
                               v: FloatBuffer(count: hasV ? p : 0), got: Array(repeating: nil, count: psEndpoints.count))
        state = .readingWeights(read)
        return request(read, from: psEndpoints.indices)
    }

    func request(_ read: WeightsRead, from slices: some Sequence<Int>) -> [Action] {
        let request = message(.weightsRequest(WireWeightsRequest(minVersion: read.minVersion, withOptimizer: read.withOptimizer)))
        return slices.map { .toPS($0, request) }
    }

    /// A read that has waited a lease timeout asks the slices that have not answered again (a
    /// request or a reply lost with a connection); a repeated reply is dropped.
    func askAgain(now: Int) -> [Action] {
        guard case .readingWeights(var read) = state, now - read.askedMs >= config.leaseTimeoutMs else { return [] }
        read.askedMs = now
        state = .readingWeights(read)
        return [.log("coordinator: asking parameter server(s) again for the weights of step \(read.report.step)")]
            + request(read, from: read.got.indices.filter { read.got[$0] == nil })
    }

    /// Slice `k`'s weights: copied into place; with every slice's in, the step is reported.
    func weightsArrived(_ k: Int, _ w: WireWeights, _ m: WireMessage, now: Int) -> [Action] {
        guard case .readingWeights(var read) = state, read.got[k] == nil, w.version >= read.minVersion,
              !read.withOptimizer || m.frames.count > 1 || config.optimizer.kind == .sgd else {
            return [.log("coordinator: weights (version \(w.version)) from parameter server \(k) not asked for; dropped")]
        }
        let r = parameterShards.ranges[k]
        do {
            for (name, b) in [("params", read.params), ("m", read.m), ("v", read.v)] where b.count > 0 {
                let f = try m.frame(named: name)
                guard f.offset == r.lowerBound else { throw RoleError.failed("\(name) slice at \(f.offset), expected \(r.lowerBound)") }
                try f.copyFloats(into: UnsafeMutableBufferPointer(start: b.pointer + r.lowerBound, count: r.count))
            }
        } catch {
            state = .finished
            return [.fail("parameter server \(k) sent unusable weights: \(error)")]
        }
        read.got[k] = w.version
        state = .readingWeights(read)
        guard !read.got.contains(nil) else { return [] }
        let versions = Set(read.got.compactMap { $0 })
        guard versions.count == 1, let v0 = versions.first else {
            state = .finished
            return [.fail("parameter servers sent different versions \(versions.sorted()) for step \(read.report.step)")]
        }
        return weightsRead(read, version: v0, now: now)
    }

    /// Every slice's weights are in: the evaluation, the report and the checkpoint, then the next
    /// step (or the end).
    func weightsRead(_ read: WeightsRead, version v0: UInt64, now: Int) -> [Action] {
        let hidden = FloatBuffer(count: laneState.count)
        hidden.copy(from: laneState)
        var weights = StepWeights(step: read.report.step, version: v0, params: read.params, m: read.m, v: read.v,
                                  hidden: hidden)
        weights.runLength = read.plan.isLast ? read.report.step : schedule.totalSteps
        var actions: [Action] = read.plan.evaluates ? [.evaluate(weights)] : []
        actions.append(.stepDone(read.report))
        if read.plan.checkpoints {
            actions.append(.checkpoint(weights))  // the runner tells whether it was written
            lastCheckpointMs = now
        }
        if read.plan.isLast { return actions + finish() }
        state = .running
        return actions + deal(now: now)
    }
}
