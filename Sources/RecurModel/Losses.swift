// Losses: softmax cross-entropy for language modelling and sigmoid binary cross-entropy summed
// over time, each with its gradient.
import Foundation
import RecurMath

/// Softmax cross-entropy over rows of logits.
public enum SoftmaxCrossEntropy {
    /// Sums −log softmax(z)[y] over the rows whose target is non-negative, and replaces the
    /// logits with the gradient of that sum (softmax − one-hot; zero rows for ignored targets).
    /// - Parameters:
    ///   - rows: number of rows, `T·N`.
    ///   - classes: `V`.
    ///   - logits: [T·N, V], overwritten with the gradient when `gradient` is true.
    ///   - targets: [T·N] class ids; negative ids are ignored.
    ///   - gradient: whether to write the gradient.
    /// - Returns: the summed loss (accumulated in Double in row order) and the counted rows.
    public static func lossSum(rows: Int, classes: Int, logits: UnsafeMutablePointer<Float>,
                               targets: UnsafePointer<Int32>, gradient: Bool) -> (loss: Double, count: Int) {
        // Rows are independent: each half of them runs on its own thread, writing its rows'
        // losses; the sum then adds the counted rows' losses in row order, as one pass would.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(rows, 1)) { perRow in
            let losses = perRow.baseAddress!
            Parallel.halves(rows, minimum: 256) { range in
                for r in range {
                    losses[r] = rowLoss(logits + r * classes, classes: classes, target: Int(targets[r]), gradient: gradient)
                }
            }
            var total = 0.0, count = 0
            for r in 0..<rows where targets[r] >= 0 && Int(targets[r]) < classes {
                total += Double(losses[r])
                count += 1
            }
            return (total, count)
        }
    }

    /// −log softmax(z)[y] of one row, replacing the row with its gradient when `gradient` is
    /// true; for a target outside 0..<classes (an ignored row) a zero gradient, and 0.
    @inline(__always)
    static func rowLoss(_ z: UnsafeMutablePointer<Float>, classes: Int, target y: Int, gradient: Bool) -> Float {
        if y < 0 || y >= classes {
            if gradient { z.update(repeating: 0, count: classes) }
            return 0
        }
        var mx = -Float.infinity
        for j in 0..<classes { mx = max(mx, z[j]) }
        var s: Float = 0
        let zy = z[y]
        if gradient {
            for j in 0..<classes { z[j] = FastMath.exp(z[j] - mx); s += z[j] }
        } else {
            for j in 0..<classes { s += FastMath.exp(z[j] - mx) }
        }
        let loss = Foundation.log(s) + mx - zy
        if gradient {
            let inv = 1 / s
            for j in 0..<classes { z[j] *= inv }
            z[y] -= 1
        }
        return loss
    }
}

/// Sigmoid with binary cross-entropy, the per-step loss of the lecture notes summed over time:
/// L = Σₜ Σᵢ −[yᵢ log ŷᵢ + (1 − yᵢ) log(1 − ŷᵢ)], ŷ = σ(z).
public enum SigmoidBinaryCrossEntropy {
    /// Sums the loss over `count` logits and writes its gradient σ(z) − y into `grad`.
    /// Computed stably as max(z, 0) − z·y + log(1 + e^−|z|).
    /// - Parameters:
    ///   - count: number of logits.
    ///   - logits: [count].
    ///   - targets: [count], each in [0, 1].
    ///   - grad: [count] output, or nil.
    /// - Returns: the summed loss, accumulated in Double in order.
    public static func lossSum(count: Int, logits: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                               grad: UnsafeMutablePointer<Float>?) -> Double {
        var total = 0.0
        for i in 0..<count {
            let z = Double(logits[i]), y = Double(targets[i])
            total += loss(z, y)
            if let grad { grad[i] = gradient(z, y) }
        }
        return total
    }

    /// The same loss over 0/1 labels, some of them ignored: the per-step loss of a binary
    /// tagger (summed over its time steps) or classifier, whose padding and unlabelled
    /// positions must add nothing.
    /// - Parameters:
    ///   - count: number of logits.
    ///   - logits: [count].
    ///   - labels: [count], each 0 or 1; negative labels are ignored.
    ///   - grad: [count] output, or nil: σ(z) − y, and 0 where the label is ignored (may be `logits`).
    /// - Returns: the summed loss, accumulated in Double in order, and the number of labels scored.
    public static func lossSum(count: Int, logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                               grad: UnsafeMutablePointer<Float>?) -> (loss: Double, count: Int) {
        var total = 0.0, scored = 0
        for i in 0..<count {
            guard labels[i] >= 0 else {
                grad?[i] = 0
                continue
            }
            precondition(labels[i] <= 1, "binary label \(labels[i]) is neither 0 nor 1")
            let z = Double(logits[i]), y = Double(labels[i])
            total += loss(z, y)
            scored += 1
            if let grad { grad[i] = gradient(z, y) }
        }
        return (total, scored)
    }

    /// max(z, 0) − z·y + log(1 + e^−|z|): −[y log σ(z) + (1 − y) log(1 − σ(z))] without overflow.
    @inline(__always)
    private static func loss(_ z: Double, _ y: Double) -> Double {
        max(z, 0) - z * y + Foundation.log1p(Foundation.exp(-abs(z)))
    }

    /// σ(z) − y, the derivative of `loss` in z.
    @inline(__always)
    private static func gradient(_ z: Double, _ y: Double) -> Float { Float(1 / (1 + Foundation.exp(-z)) - y) }
}
