// LaneBlocks: the fixed split of N lanes into blocks that the time loop runs independently.
import Foundation
import RecurMath

/// Splits N lanes into a fixed number of contiguous blocks, decided by N alone, and runs a body
/// on each — concurrently with single-threaded BLAS when the process has two or more threads,
/// one after another otherwise. Since the blocks never depend on the thread count, neither do
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

    /// Runs `body` once per block.
    static func run(lanes n: Int, _ body: (Range<Int>) -> Void) {
        let c = count(lanes: n)
        let threads = MathThreads.current
        if c == 1 || threads < 2 {
            for b in 0..<c { body(range(b, lanes: n)) }
            return
        }
        MathThreads.set(1)
        defer { MathThreads.set(threads) }
        withoutActuallyEscaping(body) { f in
            DispatchQueue.concurrentPerform(iterations: c) { b in f(range(b, lanes: n)) }
        }
    }
}
