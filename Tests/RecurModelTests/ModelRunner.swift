// ModelRunner: runs a ModelCase through the Float32 LanguageModel (forward, loss, gradient).
@testable import RecurModel
import RecurMath

/// Results of running the model under test.
extension ModelCase {
    /// `LanguageModel.forward` with this case's dropout key: (logits [T, N, V], final state).
    func runForward() -> (logits: [Float], state: [Float]) {
        let ws = Workspace(config: config, steps: steps, lanes: lanes)
        let p = FloatBuffer(params), st = FloatBuffer(state)
        inputs.withUnsafeBufferPointer { x in
            model.forward(params: p.pointer, ws: ws, inputs: x.baseAddress!, steps: steps, state: st.pointer, dropout: dropout)
        }
        return (ws.logits.array, st.array)
    }

    /// `LanguageModel.loss` (no dropout) at `params` (default: the case's own).
    func runLoss(params override: [Float]? = nil) -> ChunkLoss {
        let ws = Workspace(config: config, steps: steps, lanes: lanes)
        let p = FloatBuffer(override ?? params), st = FloatBuffer(state)
        return withTargets { t in
            inputs.withUnsafeBufferPointer { x in
                model.loss(params: p.pointer, ws: ws, inputs: x.baseAddress!, targets: t, steps: steps, state: st.pointer)
            }
        }
    }

    /// `LanguageModel.lossAndGradient`, accumulating into `grads` (default: zeros).
    func runGradient(into initial: [Float]? = nil) -> (loss: ChunkLoss, grads: [Float], state: [Float]) {
        let ws = Workspace(config: config, steps: steps, lanes: lanes)
        let p = FloatBuffer(params), st = FloatBuffer(state)
        let g = FloatBuffer(initial ?? [Float](repeating: 0, count: params.count))
        let loss = withTargets { t in
            inputs.withUnsafeBufferPointer { x in
                model.lossAndGradient(params: p.pointer, grads: g.pointer, ws: ws, inputs: x.baseAddress!, targets: t,
                                      steps: steps, state: st.pointer, dropout: dropout)
            }
        }
        return (loss, g.array, st.array)
    }

    private func withTargets<R>(_ body: (LossTargets) -> R) -> R {
        if let binary {
            return binary.withUnsafeBufferPointer { body(.binary($0.baseAddress!)) }
        }
        return targets.withUnsafeBufferPointer { body(.classes($0.baseAddress!)) }
    }
}
