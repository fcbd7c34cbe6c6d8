// Evaluator: mean negative log-likelihood of a token sequence read as parallel streams.
import RecurMath
import RecurModel

/// Scores held-out text with a fixed model.
public enum Evaluator {
    /// Mean NLL (nats per token) of `tokens` read as `lanes` streams from a zero state, in
    /// chunks of up to `chunk` steps with the state carried across chunks.
    ///
    /// With `lanes` = 1 every token after the first is scored exactly once.
    /// - Returns: the summed loss and the number of scored tokens (0 when too short).
    public static func evaluate(model: LanguageModel, params: FloatBuffer, tokens: [Int32], lanes: Int,
                                chunk: Int) -> ChunkLoss {
        let n = max(1, min(lanes, max(1, (tokens.count - 1))))
        let k = (tokens.count - 1) / n
        guard k >= 1 else { return ChunkLoss(sum: 0, count: 0) }
        let t = max(1, min(chunk, k))
        let ws = Workspace(config: model.config, steps: t, lanes: n)
        let state = FloatBuffer(count: n * model.config.stateFloatsPerLane)
        var inputs = [Int32](repeating: 0, count: t * n), targets = inputs
        var total = ChunkLoss(sum: 0, count: 0)
        var pos = 0
        while pos < k {
            let steps = min(t, k - pos)
            for s in 0..<steps {
                for j in 0..<n {
                    inputs[s * n + j] = tokens[j * k + pos + s]
                    targets[s * n + j] = tokens[j * k + pos + s + 1]
                }
            }
            let l = inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { y in
                    model.loss(params: params.pointer, ws: ws, inputs: i.baseAddress!, targets: .classes(y.baseAddress!),
                               steps: steps, state: state.pointer)
                }
            }
            total.sum += l.sum
            total.count += l.count
            pos += steps
        }
        return total
    }
}
