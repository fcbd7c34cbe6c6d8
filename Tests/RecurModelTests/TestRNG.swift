// TestRNG: a tiny seeded xorshift64* generator for reproducible test data.

/// Deterministic pseudo-random numbers for building test cases (independent of the sources).
struct TestRNG {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x2545_F491_4F6C_DD1D | 1 }

    mutating func nextBits() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(nextBits() >> 11) * 0x1p-53 }

    /// Uniform in [lo, hi), rounded to Float.
    mutating func float(_ lo: Double, _ hi: Double) -> Float { Float(lo + (hi - lo) * unit()) }

    /// Uniform integer in 0..<bound.
    mutating func int(_ bound: Int) -> Int { Int(nextBits() % UInt64(bound)) }
}
