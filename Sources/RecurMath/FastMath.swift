// FastMath: exp, expm1, sigmoid and tanh in Float32 by Cephes-style range reduction and a
// minimax polynomial — branch-free scalar code that the compiler vectorises inside loops.

/// Transcendental functions for the gate kernels.
///
/// Written as branch-free scalar functions: inside a plain loop over a buffer the optimiser
/// turns them into vector code (Swift's generic SIMD types compile to far slower code here).
/// Accuracy is within a few ulp of libm (absolute error of tanh below 2e−7); results do not depend
/// on the thread count, since each element is computed on its own.
public enum FastMath {
    /// Splits `x` (clamped to [−87.3, 89]) into n·ln2 + r, |r| ≤ ln2/2, and returns 2ⁿ as two
    /// factors (2ⁿ¹, 2ⁿ²), n₁ + n₂ = n, each a normal float even for n = 128 or −126, with n and r.
    /// Adding 1.5·2²³ rounds x·log2(e) to the nearest integer n and leaves n in the low mantissa
    /// bits, so the powers of two are built with integer adds and shifts.
    @inlinable @inline(__always)
    static func reduce(_ x: Float) -> (s1: Float, s2: Float, n: Float, r: Float) {
        let cx = Swift.min(Swift.max(x, -87.3), 89)
        let t = cx * 1.44269504088896341 + 12_582_912
        let n = t - 12_582_912
        let r = cx - n * 0.693359375 + n * 2.12194440e-4
        let ni = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        let n1 = ni >> 1, n2 = ni &- n1
        let s1 = Float(bitPattern: UInt32(bitPattern: (n1 &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (n2 &+ 127) &<< 23))
        return (s1, s2, n, r)
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

    /// eˣ (+∞ above about 88.72, the largest finite result's logarithm).
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let (s1, s2, _, r) = reduce(x)
        return ((r * r * poly(r) + r + 1) * s1) * s2
    }

    /// eˣ − 1, accurate near zero (the polynomial itself when n = 0, that is |x| < ln2/2).
    @inlinable @inline(__always)
    public static func expm1(_ x: Float) -> Float {
        let (s1, s2, n, r) = reduce(x)
        let q = r * r * poly(r) + r
        let e = ((q + 1) * s1) * s2 - 1
        return n == 0 ? q : e
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
