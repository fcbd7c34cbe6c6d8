// ExampleReference: an independent Double-precision classifier and tagger, one example at a time.
import Foundation
import RecurModel

/// The example models written straight from their definition, in Double: each example is run
/// alone over its own `len` tokens (so padding cannot enter), left to right and, when
/// bidirectional, right to left from a zero state; a layer above reads [→a<t>, ←a<t>].
/// Cells come from `NaiveReference.cellStep`; the head is an explicit loop.
struct ExampleReference {
    let config: ModelConfig
    let pooling: ExampleModel.Pooling
    private let cells: NaiveReference
    private let layout: ParameterLayout

    init(_ config: ModelConfig, pooling: ExampleModel.Pooling) {
        self.config = config
        self.pooling = pooling
        cells = NaiveReference(config)
        layout = ParameterLayout(config)
    }

    /// Logits of one example: [len, C] for the tagger, [1, C] for the classifier.
    /// - `mask(k, d, t)`: dropout mask [H] of layer k's direction d at position t, or nil.
    func logits(params p: [Double], tokens: [Int32], mask: ((Int, Int, Int) -> [Double])?) -> [[Double]] {
        let h = config.hidden, e = config.embed, len = tokens.count, dirs = config.directions
        let emb = layout.offset("embedding.weight")
        var x: [[Double]] = tokens.map { t in (0..<e).map { p[emb + Int(t) * e + $0] } }
        var outs: [[[Double]]] = []
        for k in 0..<config.layers {
            outs = (0..<dirs).map { d in
                var hv = [Double](repeating: 0, count: h), cv = config.cell == .lstm ? hv : []
                var out = [[Double]](repeating: [], count: len)
                for t in (d == 0 ? Array(0..<len) : Array((0..<len).reversed())) {
                    (hv, cv) = cells.cellStep(p, layer: k, direction: d, x: x[t], hPrev: hv, cPrev: cv)
                    out[t] = hv
                }
                return out
            }
            x = (0..<len).map { t in
                (0..<dirs).flatMap { d -> [Double] in
                    guard k < config.layers - 1, let mask else { return outs[d][t] }
                    let m = mask(k, d, t)
                    return (0..<h).map { outs[d][t][$0] * m[$0] }
                }
            }
        }
        let features: [[Double]] = pooling == .everyToken ? x : [(0..<dirs).flatMap { d in outs[d][d == 0 ? len - 1 : 0] }]
        let c = config.headSize, w = layout.offset("head.weight"), b = layout.offset("head.bias"), width = dirs * h
        return features.map { f in
            (0..<c).map { o in (0..<width).reduce(p[b + o]) { $0 + p[w + o * width + $1] * f[$1] } }
        }
    }

    /// The summed loss of one example: softmax cross-entropy over C > 1 classes, sigmoid binary
    /// cross-entropy for C = 1; labels [len] (tagger) or [1] (classifier), −1 ignored.
    func loss(logits: [[Double]], labels: [Int32]) -> Double {
        let c = config.headSize
        if c > 1 { return cells.crossEntropySum(logits: logits.flatMap { $0 }, targets: labels, classes: c) }
        var total = 0.0
        for (z, y) in zip(logits, labels) where y >= 0 {
            total += cells.binaryCrossEntropySum(logits: z, targets: [Double(y)])
        }
        return total
    }
}
