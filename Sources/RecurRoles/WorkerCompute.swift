// WorkerCompute: what a worker's run loop does for a `.compute` action — one shard's summed
// gradient, loss and final state, with the same code the single-process trainer runs.
import Foundation
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

/// Computes shards for one run configuration, reusing its buffers.
public final class WorkerCompute {
    /// The run configuration.
    public let config: RunConfig
    let computer: ShardComputer
    let params: FloatBuffer
    let grads: FloatBuffer
    let shards: ParameterShards
    var loadedVersion: UInt64?
    /// Test hook: the step whose gradients this worker poisons with NaN (RECUR_TEST_NAN_AT_STEP).
    let nanAtStep = ProcessInfo.processInfo.environment["RECUR_TEST_NAN_AT_STEP"].flatMap(UInt64.init)

    /// Builds the model and buffers for `config`.
    public init(config: RunConfig) throws {
        self.config = config
        let model = try LanguageModel(config.model)
        computer = ShardComputer(model: model, lanes: config.lanesPerShard, steps: config.bptt)
        params = FloatBuffer(count: model.layout.count)
        grads = FloatBuffer(count: model.layout.count)
        shards = try config.parameterShards
    }

    /// Computes `task` with `weights` (of version `version`; one frame per parameter slice).
    /// - Throws: `WireError` when the weight slices do not match the run's slices.
    public func run(task: WireTask, inputs: [Int32], targets: [Int32], state: [Float], weights: [WireFrame],
                    version: UInt64) throws -> WorkerMachine.ShardOutcome {
        let start = Date()
        if loadedVersion != version {
            guard weights.count == shards.shards else { throw RoleError.failed("\(weights.count) weight slices for \(shards.shards)") }
            for (w, r) in zip(weights, shards.ranges) {
                guard w.offset == r.lowerBound else { throw RoleError.failed("weight slice at \(w.offset), expected \(r.lowerBound)") }
                try w.copyFloats(into: UnsafeMutableBufferPointer(start: params.pointer + r.lowerBound, count: r.count))
            }
            loadedVersion = version
        }
        grads.zero()
        var s = state
        let key = DropoutKey(seed: config.seed, step: task.step, firstLane: Int(task.firstLane))
        let loss = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { y in
                s.withUnsafeMutableBufferPointer { st in
                    computer.compute(params: params.pointer, grads: grads.pointer, inputs: i.baseAddress!,
                                     targets: y.baseAddress!, state: st.baseAddress!, dropout: key)
                }
            }
        }
        if task.step == nanAtStep { grads[0] = .nan }
        let frames = try shards.ranges.map { r in
            try WireFrame(name: "gradient", shape: [r.count], offset: r.lowerBound,
                          floats: UnsafeBufferPointer(start: grads.pointer + r.lowerBound, count: r.count))
        }
        return WorkerMachine.ShardOutcome(task: task, gradients: frames, state: s, lossSum: loss.sum,
                                          tokens: loss.count, computeMs: Date().timeIntervalSince(start) * 1000)
    }
}
