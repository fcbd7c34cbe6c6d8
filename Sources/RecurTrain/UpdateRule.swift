// UpdateRule: what happens to a summed gradient — normalise by tokens, clip, apply — shared by
// the single-process trainer and the parameter server so both produce the same bits.
import RecurMath
import RecurModel

/// The optimizer step applied to a gradient summed over every shard of a step.
public enum UpdateRule {
    /// Divides `grads` (summed over `tokens` targets) by the token count, clips it at the global
    /// norm `clip` (0 disables clipping) and applies `optimizer` to `params`.
    /// A gradient whose norm is not finite is refused: the weights and the optimizer are left as
    /// they were, and the caller sees the non-finite norm.
    /// - Returns: the gradient's global norm before clipping.
    @discardableResult
    public static func apply(params: FloatBuffer, grads: FloatBuffer, tokens: Int, clip: Double,
                             optimizer: Optimizer) -> Double {
        Gradients.scale(grads, by: Float(1 / Double(max(tokens, 1))))
        let norm = Gradients.clip(grads, maxNorm: clip)
        guard norm.isFinite else { return norm }  // a NaN or Inf gradient is refused: nothing changes
        optimizer.apply(params: params, grads: grads)
        return norm
    }

    /// Adds `g` into `sum` element by element (the shard-order accumulation).
    public static func accumulate(_ g: UnsafePointer<Float>, into sum: FloatBuffer) {
        let s = sum.pointer
        for i in 0..<sum.count { s[i] += g[i] }
    }
}
