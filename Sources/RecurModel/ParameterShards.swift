// ParameterShards: how the flat parameter vector [P] is cut into slices for a sharded parameter
// server, and the fixed blocks over which the gradient's sum of squares is taken.

/// Fixed-size blocks of the parameter vector. The global gradient norm is the square root of the
/// sum, in block order, of each block's sum of squares; every slice boundary falls on a block
/// boundary, so the norm has the same bits whether one process or S parameter servers compute it.
public enum NormBlocks {
    /// Elements per block (4 KiB of float32).
    public static let blockFloats = 1024

    /// Blocks covering `count` elements (the last one may be short).
    public static func blockCount(_ count: Int) -> Int { (count + blockFloats - 1) / blockFloats }

    /// The sum of squares, in Double, of each block of `values[0..<count]`, in block order.
    /// `values` must start on a block boundary of the whole vector.
    public static func blockSums(_ values: UnsafePointer<Float>, count: Int) -> [Double] {
        (0..<blockCount(count)).map { b in blockSum(values, b * blockFloats ..< min(count, (b + 1) * blockFloats)) }
    }

    /// Multiplies `values[0..<count]` by `factor` in place and returns the blocks' sums of squares
    /// of the scaled values: the same numbers as scaling and then `blockSums`, in one pass (each
    /// block is summed while it is still in cache).
    public static func scaleAndBlockSums(_ values: UnsafeMutablePointer<Float>, count: Int, by factor: Float) -> [Double] {
        (0..<blockCount(count)).map { b in
            let r = b * blockFloats ..< min(count, (b + 1) * blockFloats)
            for i in r { values[i] *= factor }
            return blockSum(UnsafePointer(values), r)
        }
    }

    /// The sum of squares of `values[r]` in Double: eight fixed partial sums over the range (fast,
    /// and in an order that never changes), then the tail.
    static func blockSum(_ values: UnsafePointer<Float>, _ r: Range<Int>) -> Double {
        var acc = SIMD8<Double>()
        var i = r.lowerBound
        while i + 8 <= r.upperBound {
            let d = SIMD8<Double>(UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self))
            acc += d * d
            i += 8
        }
        var s = acc.sum()
        while i < r.upperBound { s += Double(values[i]) * Double(values[i]); i += 1 }
        return s
    }

    /// The sum of `sums` from first to last: the one order every shard count uses.
    public static func total<S: Sequence>(_ sums: S) -> Double where S.Element == Double {
        var t = 0.0
        for s in sums { t += s }
        return t
    }
}

/// The slices of a parameter vector of `count` elements served by `shards` parameter servers:
/// contiguous, in order, balanced by bytes to within one block, each starting on a block boundary.
public struct ParameterShards: Equatable, Sendable {
    /// Parameters in all, P.
    public let count: Int
    /// Element ranges of the slices, in shard order; together they cover 0..<P.
    public let ranges: [Range<Int>]

    /// Cuts `count` parameters into `shards` slices.
    /// - Throws: `ShardingError` when a slice would be empty (fewer blocks than shards) or
    ///   `shards` is not positive.
    public init(count: Int, shards: Int) throws {
        guard shards >= 1 else { throw ShardingError("--ps-shards must be at least 1 (got \(shards))") }
        let blocks = NormBlocks.blockCount(count)
        guard blocks >= shards else {
            throw ShardingError("\(count) parameters make \(blocks) blocks of \(NormBlocks.blockFloats); "
                                + "\(shards) parameter-server shards need at least one block each")
        }
        self.count = count
        ranges = (0..<shards).map { i in
            let lo = min(count, (i * blocks / shards) * NormBlocks.blockFloats)
            let hi = i == shards - 1 ? count : min(count, ((i + 1) * blocks / shards) * NormBlocks.blockFloats)
            return lo..<hi
        }
    }

    /// Number of slices, S.
    public var shards: Int { ranges.count }

    /// The index of the first block of slice `shard`.
    public func firstBlock(_ shard: Int) -> Int { ranges[shard].lowerBound / NormBlocks.blockFloats }
}

/// A parameter vector that cannot be sharded as asked.
public struct ShardingError: Error, CustomStringConvertible {
    /// One line naming the problem.
    public let description: String

    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
