// CheckpointFiles: the files of a training checkpoint — model, optimizer state, carried state and
// the trainer's position.
import Foundation
import RecurMath
import RecurModel
import RecurIO

/// Builds the file set of a checkpoint folder.
///
/// - `model.safetensors`: weights (see `ModelFile`).
/// - `optimizer.safetensors`: `m` and/or `v` [P] moments; metadata `kind`, `step`.
/// - `state.safetensors`: `hidden` [B, L, S, H], every lane's carried state.
/// - `trainer.json`: step, seed and the data layout (B, T, lanes per shard).
public enum CheckpointFiles {
    /// The trainer's current state, as functions that encode each file when it is written.
    public static func producers(trainer t: Trainer) -> [String: () throws -> [UInt8]] {
        [
            "model.safetensors": { try ModelFile.encode(model: t.model, params: t.params, tokenizer: t.data.tokenizer) },
            "optimizer.safetensors": { try optimizer(t) },
            "state.safetensors": { try state(t) },
            "trainer.json": { try trainerJSON(t) },
        ]
    }

    static func optimizer(_ t: Trainer) throws -> [UInt8] {
        var moments: [TensorView] = []
        for (name, b) in [("m", t.optimizer.m), ("v", t.optimizer.v)] where b.count > 0 {
            moments.append(TensorView(name: name, shape: [b.count], values: UnsafeBufferPointer(start: b.pointer, count: b.count)))
        }
        return try SafeTensors.encode(views: moments, metadata: [
            "kind": t.optimizer.config.kind.rawValue, "step": String(t.optimizer.step),
            "learning_rate": String(t.optimizer.config.learningRate),
        ])
    }

    static func state(_ t: Trainer) throws -> [UInt8] {
        let c = t.model.config
        return try SafeTensors.encode(views: [
            TensorView(name: "hidden", shape: [t.options.batch, c.layers, c.stateSlots, c.hidden],
                       values: UnsafeBufferPointer(start: t.engine.state.pointer, count: t.engine.state.count)),
        ], metadata: [:])
    }

    static func trainerJSON(_ t: Trainer) throws -> [UInt8] {
        let o = t.options
        var info = ResumeState.fixedFields(o, vocab: t.model.config.vocab)
        info["step"] = t.step
        info["total_steps"] = t.totalSteps
        return [UInt8](try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]))
    }
}
