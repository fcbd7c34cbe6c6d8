// FastMath: exp, expm1, sigmoid and tanh in Float32 by Cephes-style range reduction and a
// minimax polynomial — branch-free scalar code that the compiler vectorises inside loops.

/// Transcendental functions for the gate kernels.
///
/// Written as branch-free scalar functions: inside a plain loop over a buffer the optimiser
/// turns them into vector code (Swift's generic SIMD types compile to far slower code here).
/// Accuracy is within a few ulp of libm (absolute error of tanh below 2e−7); results do not depend
/// on the thread count, since each element is computed on its own.
public enum FastMath {
    /// Splits `x` (clamped to expf's finite range) into n·ln2 + r, |r| ≤ ln2/2, and returns
    /// (2ⁿ, r). Adding 1.5·2²³ rounds x·log2(e) to the nearest integer n and leaves n in the low
    /// mantissa bits, so 2ⁿ is built with integer adds and a shift.
    @inlinable @inline(__always)
    static func reduce(_ x: Float) -> (scale: Float, r: Float) {
        let cx = Swift.min(Swift.max(x, -87.3), 88.7)
        let t = cx * 1.44269504088896341 + 12_582_912
        let n = t - 12_582_912
        let r = cx - n * 0.693359375 + n * 2.12194440e-4
        let bits = (Int32(bitPattern: t.bitPattern) &- 0x4B40_0000 &+ 127) &<< 23
        return (Float(bitPattern: UInt32(bitPattern: bits)), r)
    }

    /// (eʳ − 1 − r) / r² as a polynomial in r, |r| ≤ ln2/2.
    @inlinable @inline(__always)
    static func poly(_ r: Float) -> Float {
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        return p
    }

    /// eˣ.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let (s, r) = reduce(x)
        return (r * r * poly(r) + r + 1) * s
    }

    /// eˣ − 1, accurate near zero.
    @inlinable @inline(__always)
    public static func expm1(_ x: Float) -> Float {
        let (s, r) = reduce(x)
        return s * (r * r * poly(r) + r) + (s - 1)
    }

    /// The logistic function 1 / (1 + e⁻ˣ).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh(x) = −expm1(−2|x|) / (2 + expm1(−2|x|)), with the sign of x restored; accurate near 0.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let sign = x.bitPattern & 0x8000_0000
        let e = expm1(-2 * Float(bitPattern: x.bitPattern & 0x7FFF_FFFF))
        let t = -e / (2 + e)
        return Float(bitPattern: t.bitPattern | sign)
    }

    /// max(x, 0).
    @inlinable @inline(__always)
    public static func relu(_ x: Float) -> Float { x > 0 ? x : 0 }
}
