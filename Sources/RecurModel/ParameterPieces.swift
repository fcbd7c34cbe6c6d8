// ParameterPieces: the pieces a distributed step's gradient and weights travel in, so that a
// layer's gradient leaves a worker as soon as backpropagation has finished it, and a layer's
// weights leave the parameter server as soon as the update has finished them.

/// Contiguous ranges of the flat parameter vector [P], in parameter order, that together cover it.
///
/// The vector is cut at every parameter-server slice boundary, and at the layer boundaries in the
/// order backpropagation finishes them: the head, then per layer from the top its input weights
/// (`rnn.weight_ih_l{k}`, with the embedding for layer 0 when it reads tokens), then the rest of
/// the layer (`rnn.weight_hh_l{k}`, whose rows are finished in two halves, then the biases):
///
///     [embedding, W_ih_0 ⌋[ W_hh_0, b_0, ⌈ ⌈W_ih_1 ⌋[ W_hh_1, b_1, head ]
///
/// Each cut is rounded to a norm-block boundary (so a piece's blocks' sums of squares are those of
/// the whole vector) towards the part finished first, which leaves the straddling block in the
/// piece finished later: a piece is final as soon as the later of its parts is. A piece never spans
/// two slices.
public struct ParameterPieces: Equatable, Sendable {
    /// The pieces, in parameter order.
    public let ranges: [Range<Int>]

    /// The longest piece when cutting by layer: 2 MiB of float32.
    public static let maxFloats = 512 * NormBlocks.blockFloats

    /// The pieces of a model's parameters served by `shards`.
    /// - Parameters:
    ///   - layout: the model's parameter layout.
    ///   - layers: the model's number of stacked layers, L.
    ///   - shards: the parameter-server slices.
    ///   - byLayer: cut at layers and every `maxFloats` (true) or only at slice boundaries
    ///     (false: one piece per slice).
    public init(layout: ParameterLayout, layers: Int, shards: ParameterShards, byLayer: Bool = true) {
        let p = shards.count, b = NormBlocks.blockFloats
        var cuts = Set(shards.ranges.map(\.lowerBound))
        // An encoder–decoder's layout has no `rnn.*` of its own (its gradient is final all at once):
        // it is cut at slices and every `maxFloats` only.
        if byLayer && layout.spec("rnn.weight_ih_l0") != nil {
            for k in 0..<layers {
                if k > 0 { cuts.insert(min(p, (layout.offset("rnn.weight_ih_l\(k)") + b - 1) / b * b)) }  // layer k−1 ends later
                cuts.insert(layout.offset("rnn.weight_hh_l\(k)") / b * b)  // W_ih_k is final before W_hh_k
            }
        }
        let sorted = (cuts.filter { $0 < p } + [p]).sorted()
        let whole = zip(sorted, sorted.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
        let most = byLayer ? Self.maxFloats : max(1, p)
        ranges = whole.flatMap { r in
            stride(from: r.lowerBound, to: r.upperBound, by: most).map { $0 ..< min(r.upperBound, $0 + most) }
        }
    }

    /// The pieces inside `slice` (one of the shards' ranges), in parameter order.
    public func pieces(in slice: Range<Int>) -> [Range<Int>] {
        ranges.filter { $0.lowerBound >= slice.lowerBound && $0.upperBound <= slice.upperBound }
    }

    /// The indices (into `pieces`) of the pieces a frame of the range `r` holds: each piece of a
    /// slice for a frame of that whole slice, the one piece for a frame of exactly one piece, none
    /// for any other range.
    public static func held(by r: Range<Int>, pieces: [Range<Int>], slices: [Range<Int>]) -> [Int] {
        if slices.contains(r) { return pieces.indices.filter { r.lowerBound <= pieces[$0].lowerBound && pieces[$0].upperBound <= r.upperBound } }
        return pieces.firstIndex(of: r).map { [$0] } ?? []
    }

    /// The indices of the pieces wholly inside the union of `final` ranges.
    public func covered(by final: [Range<Int>]) -> [Int] {
        var merged: [Range<Int>] = []
        for r in final.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound ..< max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return ranges.indices.filter { i in merged.contains { $0.lowerBound <= ranges[i].lowerBound && ranges[i].upperBound <= $0.upperBound } }
    }
}
