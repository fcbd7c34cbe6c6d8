// ParallelRanges: element-wise passes over many rows or columns, cut into two fixed halves.

extension Parallel {
    /// Runs `body` over `0..<count` cut into two halves when `count` is at least `2 · minimum`,
    /// in parallel when the process has two or more threads, whole otherwise.
    ///
    /// For passes whose every element is computed on its own (a gather, a bias fill, a row's
    /// softmax, a column's sum over rows): the halves depend on `count` alone, and no element's
    /// arithmetic depends on which half holds it, so the bits are those of one whole pass.
    public static func halves(_ count: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        if count < 2 * minimum {
            body(0..<count)
            return
        }
        run(parts: 2) { p in body(p * count / 2 ..< (p + 1) * count / 2) }
    }
}
