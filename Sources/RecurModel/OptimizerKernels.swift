// OptimizerKernels: the element-wise update of every rule, as a naive reference loop and as the
// eight-wide loop the optimizer runs; both perform the same IEEE operations in the same order per
// element (no fused multiply-add, a correctly rounded square root and division), so their bits
// agree, which the tests check.

/// The per-element update of SGD, momentum, RMSprop and Adam over a range of [P].
public enum OptimizerKernels {
    /// The numbers one step's update uses.
    public struct Rule: Sendable {
        /// The update rule.
        public var kind: OptimizerKind
        /// Learning rate at this step.
        public var lr: Float
        /// Momentum μ or Adam's β₁.
        public var b1: Float
        /// RMSprop's α or Adam's β₂.
        public var b2: Float
        /// Denominator guard ε.
        public var eps: Float
        /// Adam: lr / (1 − β₁ᵗ).
        public var stepSize: Float
        /// Adam: √(1 − β₂ᵗ).
        public var rootBC2: Float
        /// Multiplies each gradient as it is read (the clip factor).
        public var scale: Float

        /// Creates a rule.
        public init(kind: OptimizerKind, lr: Float, b1: Float, b2: Float, eps: Float, stepSize: Float, rootBC2: Float,
                    scale: Float) {
            self.kind = kind
            self.lr = lr
            self.b1 = b1
            self.b2 = b2
            self.eps = eps
            self.stepSize = stepSize
            self.rootBC2 = rootBC2
            self.scale = scale
        }
    }

    /// The reference: one element at a time. `m` is needed by momentum and Adam, `v` by RMSprop
    /// and Adam (nil otherwise); all pointers index the whole vector [P].
    public static func naive(_ r: Rule, p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
                             m: UnsafeMutablePointer<Float>?, v: UnsafeMutablePointer<Float>?, range: Range<Int>) {
        for i in range { element(r, p: p, g: g, m: m, v: v, i) }
    }

    @inline(__always)
    static func element(_ r: Rule, p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
                        m: UnsafeMutablePointer<Float>?, v: UnsafeMutablePointer<Float>?, _ i: Int) {
        let gi = g[i] * r.scale
        switch r.kind {
        case .sgd:
            p[i] -= r.lr * gi
        case .momentum:
            m![i] = r.b1 * m![i] + gi
            p[i] -= r.lr * m![i]
        case .rmsprop:
            v![i] = r.b2 * v![i] + (1 - r.b2) * gi * gi
            p[i] -= r.lr * gi / (v![i].squareRoot() + r.eps)
        case .adam:
            m![i] = r.b1 * m![i] + (1 - r.b1) * gi
            v![i] = r.b2 * v![i] + (1 - r.b2) * gi * gi
            p[i] -= r.stepSize * m![i] / (v![i].squareRoot() / r.rootBC2 + r.eps)
        }
    }

    /// The same update eight elements at a time (the square root and the divisions dominate,
    /// and the scalar loop is not vectorised by the compiler), then the tail one at a time.
    public static func apply(_ r: Rule, p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>,
                             m: UnsafeMutablePointer<Float>?, v: UnsafeMutablePointer<Float>?, range: Range<Int>) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ x: UnsafePointer<Float>, _ i: Int) -> V { UnsafeRawPointer(x + i).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ x: UnsafeMutablePointer<Float>, _ i: Int, _ y: V) {
            UnsafeMutableRawPointer(x + i).storeBytes(of: y, as: V.self)
        }
        let scale = V(repeating: r.scale), lr = V(repeating: r.lr), b1 = V(repeating: r.b1), b2 = V(repeating: r.b2)
        let c1 = V(repeating: 1 - r.b1), c2 = V(repeating: 1 - r.b2), eps = V(repeating: r.eps)
        let stepSize = V(repeating: r.stepSize), rootBC2 = V(repeating: r.rootBC2)
        var i = range.lowerBound
        switch r.kind {
        case .sgd:
            while i + 8 <= range.upperBound {
                store(p, i, load(p, i) - lr * (load(g, i) * scale))
                i += 8
            }
        case .momentum:
            let mb = m!
            while i + 8 <= range.upperBound {
                let mi = b1 * load(mb, i) + load(g, i) * scale
                store(mb, i, mi)
                store(p, i, load(p, i) - lr * mi)
                i += 8
            }
        case .rmsprop:
            let vb = v!
            while i + 8 <= range.upperBound {
                let gi = load(g, i) * scale
                let vi = b2 * load(vb, i) + c2 * gi * gi
                store(vb, i, vi)
                store(p, i, load(p, i) - lr * gi / (vi.squareRoot() + eps))
                i += 8
            }
        case .adam:
            let mb = m!, vb = v!
            while i + 8 <= range.upperBound {
                let gi = load(g, i) * scale
                let mi = b1 * load(mb, i) + c1 * gi
                let vi = b2 * load(vb, i) + c2 * gi * gi
                store(mb, i, mi)
                store(vb, i, vi)
                store(p, i, load(p, i) - stepSize * mi / (vi.squareRoot() / rootBC2 + eps))
                i += 8
            }
        }
        while i < range.upperBound {
            element(r, p: p, g: g, m: m, v: v, i)
            i += 1
        }
    }
}
