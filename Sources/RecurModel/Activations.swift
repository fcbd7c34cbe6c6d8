// Activations: in-place activation loops over one array, the shape the optimiser vectorises.
import RecurMath

/// In-place activations used by the gate kernels.
enum Activations {
    /// x ← σ(x) over `count` elements.
    @inline(__always)
    static func sigmoidInPlace(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { x[i] = FastMath.sigmoid(x[i]) }
    }

    /// x ← tanh(x) over `count` elements.
    @inline(__always)
    static func tanhInPlace(_ x: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { x[i] = FastMath.tanh(x[i]) }
    }
}
