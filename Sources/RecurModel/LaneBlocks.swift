// LaneBlocks: the fixed split of N lanes into blocks that the time loop runs independently.
import Foundation
import RecurMath

/// Splits N lanes into a fixed number of contiguous blocks, decided by N alone, and runs a body
/// on each — concurrently when the process has two or more threads, one after another otherwise. Since the blocks never depend on the thread count, neither do
/// the results.
enum LaneBlocks {
    /// Lanes per block below which a chunk is not split (small GEMMs lose more than they gain).
    static let minimumLanesPerBlock = 8

    /// Number of blocks for `n` lanes: 2 when each half has at least `minimumLanesPerBlock`.
    static func count(lanes n: Int) -> Int { n >= 2 * minimumLanesPerBlock ? 2 : 1 }

    /// The lanes of block `b` of `count(lanes: n)`.
    static func range(_ b: Int, lanes n: Int) -> Range<Int> {
        let c = count(lanes: n)
        return (b * n / c)..<((b + 1) * n / c)
    }

    /// The index of a block given its lanes.
    static func index(of lanes: Range<Int>, lanes n: Int) -> Int {
        (0..<count(lanes: n)).first { range($0, lanes: n) == lanes } ?? 0
    }

    /// Runs `body` once per block, in parallel when the process has two or more threads.
    static func run(lanes n: Int, _ body: (Range<Int>) -> Void) {
        Parallel.run(parts: count(lanes: n)) { b in body(range(b, lanes: n)) }
    }
}
