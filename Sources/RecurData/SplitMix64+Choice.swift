// SplitMix64+Choice: integer draws and weighted choices over RecurMath's SplitMix64, for
// deterministic corpus generation.
import RecurMath

extension SplitMix64 {
    /// A number in `0..<bound` (multiply-high range reduction; the bias is below 2⁻⁵⁰ here).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// True with probability `percent` / 100.
    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    /// One element of `list`, uniformly (the built-in labelled data's word choices).
    mutating func element<Item>(of list: [Item]) -> Item {
        list[below(list.count)]
    }
}

/// A fixed list of items drawn with integer weights, reproducibly from a ``SplitMix64``.
struct WeightedChoice<Item: Sendable>: Sendable {
    /// The items, in the order their weights were given.
    let items: [Item]
    /// Running sums of the weights; the last one is the total.
    private let cumulative: [Int]

    /// Items with explicit positive weights.
    init(_ weighted: [(Item, Int)]) {
        precondition(!weighted.isEmpty && weighted.allSatisfy { $0.1 > 0 }, "weights must be positive")
        items = weighted.map(\.0)
        var sum = 0
        cumulative = weighted.map { sum += $0.1; return sum }
    }

    /// Items in rank order with Zipf weights (rank r gets weight proportional to 1 / (r + 1)).
    init(zipf ranked: [Item]) {
        self.init(ranked.enumerated().map { ($0.element, 720_720 / ($0.offset + 1)) })
    }

    /// One item, drawn with probability proportional to its weight.
    func pick(_ rng: inout SplitMix64) -> Item {
        let r = rng.below(cumulative[cumulative.count - 1])
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
        }
        return items[lo]
    }
}
