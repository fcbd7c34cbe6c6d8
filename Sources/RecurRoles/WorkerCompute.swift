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
    var loadedVersion: UInt64?

    /// Builds the model and buffers for `config`.
    public init(config: RunConfig) throws {
        self.config = config
        let model = try LanguageModel(config.model)
        computer = ShardComputer(model: model, lanes: config.lanesPerShard, steps: config.bptt)
        params = FloatBuffer(count: model.layout.count)
        grads = FloatBuffer(count: model.layout.count)
    }

    /// Computes `task` with `weights` (of version `version`).
    public func run(task: WireTask, inputs: [Int32], targets: [Int32], state: [Float], weights: [Float],
                    version: UInt64) -> WorkerMachine.ShardOutcome {
        let start = Date()
        if loadedVersion != version {
            weights.withUnsafeBufferPointer { params.pointer.update(from: $0.baseAddress!, count: params.count) }
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
        return WorkerMachine.ShardOutcome(task: task, gradient: grads.array, state: s, lossSum: loss.sum,
                                          tokens: loss.count, computeMs: Date().timeIntervalSince(start) * 1000)
    }
}
