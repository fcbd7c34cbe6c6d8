// Kernels: element-wise activations over whole buffers, and row-wise softmax / log-softmax.
import Foundation

/// Element-wise and row-wise kernels over contiguous Float32 storage.
///
/// Every kernel is single-threaded and processes elements in a fixed order, so its results do not
/// depend on how many threads the process runs.
public enum Kernels {
    /// Applies `f` to `count` floats from `x`, writing to `y` (which may equal `x`).
    @inlinable @inline(__always)
    public static func map(_ count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ f: (Float) -> Float) {
        for i in 0..<count { y[i] = f(x[i]) }
    }

    /// y = σ(x) over `count` elements.
    public static func sigmoid(_ count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        map(count, x, y, FastMath.sigmoid)
    }

    /// y = tanh(x) over `count` elements.
    public static func tanh(_ count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        map(count, x, y, FastMath.tanh)
    }

    /// y = max(x, 0) over `count` elements.
    public static func relu(_ count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        map(count, x, y, FastMath.relu)
    }

    /// y = eˣ over `count` elements.
    public static func exp(_ count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        map(count, x, y, FastMath.exp)
    }

    /// Row-wise softmax of `x` [rows, cols] into `y` [rows, cols] (may alias `x`).
    public static func softmaxRows(rows: Int, cols: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            var mx = -Float.infinity
            for j in 0..<cols { mx = max(mx, xr[j]) }
            for j in 0..<cols { yr[j] = FastMath.exp(xr[j] - mx) }
            var s: Float = 0
            for j in 0..<cols { s += yr[j] }
            let inv = 1 / s
            for j in 0..<cols { yr[j] *= inv }
        }
    }

    /// Row-wise log-softmax of `x` [rows, cols] into `y` [rows, cols] (may alias `x`).
    public static func logSoftmaxRows(rows: Int, cols: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            var mx = -Float.infinity
            for j in 0..<cols { mx = max(mx, xr[j]) }
            var s: Float = 0
            for j in 0..<cols { s += FastMath.exp(xr[j] - mx) }
            let lse = mx + Foundation.log(s)
            for j in 0..<cols { yr[j] = xr[j] - lse }
        }
    }
}

