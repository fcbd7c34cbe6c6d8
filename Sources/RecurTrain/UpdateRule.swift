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
        let sums = normalise(grads, tokens: tokens)
        return finish(params: params, grads: grads, sumOfSquares: NormBlocks.total(sums), clip: clip, optimizer: optimizer)
    }

    /// First half of a sharded update: divides `grads` (one slice, starting on a block boundary)
    /// by the token count and returns its blocks' sums of squares (`NormBlocks`).
    public static func normalise(_ grads: FloatBuffer, tokens: Int) -> [Double] {
        normalise(grads.pointer, count: grads.count, tokens: tokens)
    }

    /// `normalise` for one block-aligned range of a slice: divides `count` values by the token count
    /// and returns their blocks' sums of squares.
    public static func normalise(_ grads: UnsafeMutablePointer<Float>, count: Int, tokens: Int) -> [Double] {
        NormBlocks.scaleAndBlockSums(grads, count: count, by: Float(1 / Double(max(tokens, 1))))
    }

    /// The factor `finish` multiplies each gradient by, from the global sum of squares: nil when
    /// the norm is not finite (the step is refused and nothing changes).
    /// - Returns: the norm before clipping and the factor.
    public static func clipScale(sumOfSquares: Double, clip: Double) -> (norm: Double, scale: Float?) {
        let norm = sumOfSquares.squareRoot()
        return (norm, norm.isFinite ? Gradients.clipFactor(maxNorm: clip, norm: norm) : nil)
    }

    /// Second half: clips `grads` (a slice) by the global norm √`sumOfSquares` and applies
    /// `optimizer` to `params` (the same slice). A non-finite norm changes nothing.
    /// - Returns: the global norm before clipping.
    @discardableResult
    public static func finish(params: FloatBuffer, grads: FloatBuffer, sumOfSquares: Double, clip: Double,
                              optimizer: Optimizer) -> Double {
        let norm = sumOfSquares.squareRoot()
        guard norm.isFinite else { return norm }  // a NaN or Inf gradient is refused: nothing changes
        // The clip factor is applied as the optimizer reads each gradient (one pass, same bits).
        optimizer.apply(params: params, grads: grads, scale: Gradients.clipFactor(maxNorm: clip, norm: norm))
        return norm
    }

    /// Adds `g` into `sum` element by element (the shard-order accumulation).
    public static func accumulate(_ g: UnsafePointer<Float>, into sum: FloatBuffer) {
        let s = sum.pointer
        for i in 0..<sum.count { s[i] += g[i] }
    }
}
