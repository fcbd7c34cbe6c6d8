// Optimizer: SGD, momentum, RMSprop and Adam over flat parameter vectors, with learning-rate
// decay and global-norm gradient clipping.
import Foundation
import RecurMath

/// The update rule.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// p ← p − lr·g.
    case sgd
    /// b ← μ·b + g; p ← p − lr·b (PyTorch's form, μ = 0.9).
    case momentum
    /// v ← α·v + (1 − α)·g²; p ← p − lr·g / (√v + ε) (α = 0.99, ε = 1e−8).
    case rmsprop
    /// PyTorch's Adam: β₁ = 0.9, β₂ = 0.999, ε = 1e−8, bias-corrected moments.
    case adam
}

/// Hyper-parameters of an optimizer and its learning-rate schedule.
/// How the learning rate moves over a run.
public enum LRSchedule: String, Codable, Sendable, CaseIterable {
    /// The base rate throughout.
    case constant
    /// The base rate times `decay` every `decayEvery` steps, as char-rnn does.
    case step
    /// Half a cosine from the base rate down to `minLearningRate` over the run's steps.
    case cosine
}

public struct OptimizerConfig: Codable, Sendable, Equatable {
    /// The update rule.
    public var kind: OptimizerKind
    /// Base learning rate.
    public var learningRate: Double
    /// Multiplies the rate every `decayEvery` steps (1 disables decay), as char-rnn does.
    public var decay: Double
    /// Steps between decays.
    public var decayEvery: Int
    /// Momentum μ, or Adam's β₁.
    public var beta1: Double = 0.9
    /// RMSprop's α, or Adam's β₂.
    public var beta2: Double = 0.999
    /// Denominator guard ε.
    public var epsilon: Double = 1e-8
    /// The schedule of the rate after the warm-up.
    public var schedule: LRSchedule = .step
    /// Steps over which the rate climbs linearly from base/warmupSteps to the base rate (0: none).
    public var warmupSteps: Int = 0
    /// Where the cosine schedule ends.
    public var minLearningRate: Double = 0
    /// The run's length in steps: the cosine's horizon.
    public var totalSteps: Int = 0

    /// Creates a configuration with the rule's default betas.
    public init(kind: OptimizerKind, learningRate: Double, decay: Double = 1, decayEvery: Int = 1) {
        self.kind = kind
        self.learningRate = learningRate
        self.decay = decay
        self.decayEvery = max(1, decayEvery)
        if kind == .rmsprop { beta2 = 0.99 }
    }

    /// The learning rate in force at optimizer step `step` (0-based): a function of the step
    /// alone, so a resumed run, every parameter server and the single process agree on it.
    public func rate(atStep step: Int) -> Double {
        if step < warmupSteps { return learningRate * Double(step + 1) / Double(warmupSteps) }
        switch schedule {
        case .constant:
            return learningRate
        case .step:
            return learningRate * Foundation.pow(decay, Double(step / decayEvery))
        case .cosine:
            let span = max(1, totalSteps - warmupSteps)
            let progress = min(1, Double(step - warmupSteps) / Double(span))
            return minLearningRate + (learningRate - minLearningRate) * 0.5 * (1 + Foundation.cos(Double.pi * progress))
        }
    }
}

/// An optimizer with its state: moment buffers and the step count.
public final class Optimizer {
    /// Hyper-parameters.
    public var config: OptimizerConfig
    /// Steps applied so far.
    public var step: Int = 0
    /// First moment (momentum buffer, Adam's m) [P]; empty for SGD and RMSprop.
    public let m: FloatBuffer
    /// Second moment (RMSprop's and Adam's v) [P]; empty for SGD and momentum.
    public let v: FloatBuffer

    /// Creates an optimizer for `count` parameters with zero moments.
    public init(config: OptimizerConfig, count: Int) {
        self.config = config
        let k = config.kind
        m = FloatBuffer(count: k == .momentum || k == .adam ? count : 0)
        v = FloatBuffer(count: k == .rmsprop || k == .adam ? count : 0)
    }

    /// Applies one update to `params` from `grads` × `scale` (both [P]) at the scheduled rate;
    /// each gradient is multiplied by `scale` as it is read (a Float product, so the bits are those
    /// of scaling `grads` first; `grads` itself is left as it was).
    public func apply(params: FloatBuffer, grads: FloatBuffer, scale: Float = 1) {
        precondition(params.count == grads.count)
        apply(beginStep(), params: params, grads: grads, range: 0..<params.count, scale: scale)
    }

    /// The numbers one update uses everywhere: its rate and bias corrections.
    public struct StepCoefficients: Sendable {
        let lr: Float, bc1: Float, bc2: Float
    }

    /// Counts one more step and returns its coefficients, for an update applied range by range
    /// (`apply(_:params:grads:range:scale:)`).
    public func beginStep() -> StepCoefficients {
        let lr = Float(config.rate(atStep: step))
        step += 1
        return StepCoefficients(lr: lr, bc1: Float(1 - Foundation.pow(config.beta1, Double(step))),
                                bc2: Float(1 - Foundation.pow(config.beta2, Double(step))))
    }

    /// Applies the update of the step begun with `c` to `params[range]` from `grads[range]` ×
    /// `scale` (and the moments' same range). The update is element-wise, so applying it to the
    /// ranges of a partition one at a time gives the bits of applying it to the whole vector.
    public func apply(_ c: StepCoefficients, params: FloatBuffer, grads: FloatBuffer, range: Range<Int>, scale: Float = 1) {
        precondition(params.count == grads.count && range.upperBound <= params.count)
        let lr = c.lr, bc1 = c.bc1, bc2 = c.bc2
        let b1 = Float(config.beta1), b2 = Float(config.beta2), eps = Float(config.epsilon)
        let kind = config.kind
        let total = range.count
        // Element-wise, so splitting the range in two changes nothing but the time.
        let rule = OptimizerKernels.Rule(kind: kind, lr: lr, b1: b1, b2: b2, eps: eps, stepSize: lr / bc1,
                                         rootBC2: bc2.squareRoot(), scale: scale)
        let p = params.pointer, g = grads.pointer, mb = m.count > 0 ? m.pointer : nil, vb = v.count > 0 ? v.pointer : nil
        Parallel.run(parts: total >= 1 << 16 ? 2 : 1) { part in
            let lo = range.lowerBound + part * total / 2
            let hi = range.lowerBound + (total >= 1 << 16 ? (part + 1) * total / 2 : total)
            OptimizerKernels.apply(rule, p: p, g: g, m: mb, v: vb, range: lo..<hi)
        }
    }
}

/// Gradient post-processing shared by every training mode.
public enum Gradients {
    /// Global L2 norm of `g`: the root of the block sums of squares added in block order
    /// (`NormBlocks`), so it is independent of the thread count and of parameter sharding.
    public static func norm(_ g: FloatBuffer) -> Double {
        NormBlocks.total(NormBlocks.blockSums(g.pointer, count: g.count)).squareRoot()
    }

    /// Multiplies every element by `factor`.
    public static func scale(_ g: FloatBuffer, by factor: Float) {
        let p = g.pointer
        for i in 0..<g.count { p[i] *= factor }
    }

    /// Scales `g` so its global norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`). The
    /// update itself applies `clipFactor` as the optimizer reads each gradient; this plain form is
    /// the reference the fused one is tested against.
    /// - Returns: the norm before clipping.
    @discardableResult
    public static func clip(_ g: FloatBuffer, maxNorm: Double) -> Double {
        let total = norm(g)
        clip(g, maxNorm: maxNorm, norm: total)
        return total
    }

    /// Scales `g` (all or a slice of a larger vector) for a global norm `norm` computed elsewhere,
    /// so its whole vector's norm is at most `maxNorm`.
    public static func clip(_ g: FloatBuffer, maxNorm: Double, norm total: Double) {
        let f = clipFactor(maxNorm: maxNorm, norm: total)
        if f != 1 { scale(g, by: f) }
    }

    /// The factor clipping multiplies a gradient of global norm `norm` by: maxNorm / (norm + 1e-6)
    /// when the norm exceeds `maxNorm` > 0, else exactly 1.
    public static func clipFactor(maxNorm: Double, norm total: Double) -> Float {
        maxNorm > 0 && total.isFinite && total > maxNorm ? Float(maxNorm / (total + 1e-6)) : 1
    }
}
