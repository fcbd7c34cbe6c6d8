// Random: counter-based and sequential random numbers that are identical on every platform.

/// SplitMix64's finaliser: a bijective 64-bit mixing function.
/// - Parameter z: the input word.
/// - Returns: a well-mixed 64-bit word.
@inlinable
public func mix64(_ z: UInt64) -> UInt64 {
    var x = z &+ 0x9E37_79B9_7F4A_7C15
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    return x ^ (x >> 31)
}

/// A small, fast, seedable generator (SplitMix64) whose stream is fixed by its seed.
///
/// Its whole state is one word, so it is checkpointed and restored exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
    /// The generator's state; the next output is a function of it alone.
    public var state: UInt64

    /// Creates a generator from a seed.
    /// - Parameter seed: any 64-bit value.
    public init(seed: UInt64) { state = seed }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var x = state
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// Stateless random numbers addressed by a key, for values that must not depend on the order in
/// which they are drawn (dropout masks that are identical however the lanes are sharded).
public enum CounterRandom {
    /// A uniform Float in [0, 1) determined by the four key words alone.
    /// - Parameters:
    ///   - seed: the run's seed.
    ///   - a: first coordinate (for example the step).
    ///   - b: second coordinate (for example the layer and lane).
    ///   - c: third coordinate (for example the time step and unit).
    @inlinable
    public static func uniform(seed: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64) -> Float {
        let h = mix64(mix64(mix64(seed ^ 0x5EED) ^ a) ^ (b &* 0x1_0000_0001)) ^ c
        return Float(mix64(h) >> 40) * 0x1p-24
    }
}
