// ParameterPieces: the pieces a distributed step's gradient and weights travel in, so that a
// layer's gradient leaves a worker as soon as backpropagation has finished it, and a layer's
// weights leave the parameter server as soon as the update has finished them.

/// Contiguous ranges of the flat parameter vector [P], in parameter order, that together cover it.
///
/// The vector is cut at every parameter-server slice boundary and, above layer 0, at the first
/// norm-block boundary at or after each layer's first parameter (`rnn.weight_ih_l{k}`):
///
///     [embedding, layer 0, ⌈layer 1 …)[⌈layer 2 …) … [⌈layer L−1 …, head]
///
/// Backpropagation finishes the head, then layer L−1, …, then layer 0 and the embedding, so the
/// parameters from a layer's first one to the end are final as soon as that layer is done, and a
/// piece is final as soon as the layer it starts in is. Rounding each cut up to a block boundary
/// keeps every piece's start on a block boundary (so its blocks' sums of squares are those of the
/// whole vector) and only moves the first few floats of a layer into the piece finished later.
/// A piece never spans two slices. Cut by layer, a piece is also cut every `maxFloats` (a whole
/// number of blocks), so the server sends the first megabytes of the weights while it updates
/// the next, and the transfer and the update overlap.
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
        if byLayer {
            for k in 1..<max(1, layers) {
                let first = layout.offset("rnn.weight_ih_l\(k)")
                cuts.insert(min(p, (first + b - 1) / b * b))
            }
        }
        let sorted = (cuts.filter { $0 < p } + [p]).sorted()
        let whole = zip(sorted, sorted.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
        let most = byLayer ? Self.maxFloats : Int.max
        ranges = whole.flatMap { r in
            stride(from: r.lowerBound, to: r.upperBound, by: most).map { $0 ..< min(r.upperBound, $0 + most) }
        }
    }

    /// The pieces inside `slice` (one of the shards' ranges), in parameter order.
    public func pieces(in slice: Range<Int>) -> [Range<Int>] {
        ranges.filter { $0.lowerBound >= slice.lowerBound && $0.upperBound <= slice.upperBound }
    }

    /// The pieces that are final once every parameter from `offset` to the end is: those starting
    /// at or after it.
    public func finished(from offset: Int) -> [Range<Int>] {
        ranges.filter { $0.lowerBound >= offset }
    }
}
