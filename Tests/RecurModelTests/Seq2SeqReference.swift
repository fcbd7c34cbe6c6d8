// Seq2SeqReference: an independent Double-precision encoder–decoder with attention, one example at
// a time, written straight from the definition.
import Foundation
@testable import RecurModel

/// The seq2seq model in Double: the encoder runs over the example's own `len` source tokens
/// (each direction from a zero state), the bridge or a copy starts the decoder, the decoder runs
/// over all T decoder inputs, and each step attends over the `len` encoder outputs with explicit
/// loops. Cells come from `NaiveReference.cellStep` over the encoder's and decoder's blocks.
struct Seq2SeqReference {
    let config: ModelConfig
    let layout: ParameterLayout
    private let encoder: NaiveReference
    private let decoder: NaiveReference
    private let decoderBase: Int

    init(_ config: ModelConfig) {
        self.config = config
        layout = ParameterLayout(config)
        encoder = NaiveReference(config.encoderConfig)
        decoder = NaiveReference(config.decoderConfig)
        decoderBase = layout.offset("decoder.embedding.weight")
    }

    /// W·x (+ b) of the tensors named `w` (and `b`).
    private func linear(_ p: [Double], _ w: String, _ b: String?, _ x: [Double]) -> [Double] {
        let spec = layout.spec(w)!, rows = spec.shape[0], cols = spec.shape[1]
        precondition(x.count == cols)
        return (0..<rows).map { r in
            var acc = b.map { p[layout.offset($0) + r] } ?? 0
            for c in 0..<cols { acc += p[spec.offset + r * cols + c] * x[c] }
            return acc
        }
    }

    /// Logits [T][Vt] of one example. `mask(k, d, t)`: the dropout mask [H] of layer k (decoder
    /// layers are L + k), direction d, position t, or nil.
    func logits(params p: [Double], source: [Int32], decoderInputs: [Int32],
                mask: ((Int, Int, Int) -> [Double])?) -> [[Double]] {
        let h = config.hidden, e = config.embed, len = source.count, dirs = config.directions, l = config.layers
        let lstm = config.cell == .lstm
        var x: [[Double]] = source.map { t in (0..<e).map { p[Int(t) * e + $0] } }
        var outs: [[[Double]]] = []
        var finals: [[(h: [Double], c: [Double])]] = []
        for k in 0..<l {
            var layerFinals: [(h: [Double], c: [Double])] = []
            outs = (0..<dirs).map { d in
                var hv = [Double](repeating: 0, count: h), cv = lstm ? hv : []
                var out = [[Double]](repeating: [], count: len)
                for t in (d == 0 ? Array(0..<len) : Array((0..<len).reversed())) {
                    (hv, cv) = encoder.cellStep(p, layer: k, direction: d, x: x[t], hPrev: hv, cPrev: cv)
                    out[t] = hv
                }
                layerFinals.append((hv, cv))
                return out
            }
            finals.append(layerFinals)
            x = (0..<len).map { t in
                (0..<dirs).flatMap { d -> [Double] in
                    guard k < l - 1, let mask else { return outs[d][t] }
                    let m = mask(k, d, t)
                    return (0..<h).map { outs[d][t][$0] * m[$0] }
                }
            }
        }
        let memory = x  // the top layer's [→a ; ←a], no dropout above it
        var hs: [[Double]] = [], cs: [[Double]] = []
        for k in 0..<l {
            if config.bidirectional {
                hs.append(linear(p, "bridge.h_l\(k).weight", "bridge.h_l\(k).bias", finals[k][0].h + finals[k][1].h))
                cs.append(lstm ? linear(p, "bridge.c_l\(k).weight", "bridge.c_l\(k).bias", finals[k][0].c + finals[k][1].c) : [])
            } else {
                hs.append(finals[k][0].h)
                cs.append(finals[k][0].c)
            }
        }
        let dp = Array(p[decoderBase...])
        let keys: [[Double]] = config.attention == .general
            ? memory.map { linear(p, "attention.linear_in.weight", nil, $0) } : memory
        var result: [[Double]] = []
        for t in 0..<decoderInputs.count {
            var xin = (0..<e).map { dp[Int(decoderInputs[t]) * e + $0] }
            for k in 0..<l {
                (hs[k], cs[k]) = decoder.cellStep(dp, layer: k, x: xin, hPrev: hs[k], cPrev: cs[k])
                xin = hs[k]
                if k < l - 1, let mask {
                    let m = mask(l + k, 0, t)
                    xin = (0..<h).map { xin[$0] * m[$0] }
                }
            }
            var state = xin
            if config.attention != AttentionKind.none {
                let scores = keys.map { key in zip(key, state).reduce(0.0) { $0 + $1.0 * $1.1 } }
                let top = scores.max()!
                let ex = scores.map { Foundation.exp($0 - top) }, total = ex.reduce(0, +)
                var context = [Double](repeating: 0, count: dirs * h)
                for s in 0..<len { for i in 0..<(dirs * h) { context[i] += ex[s] / total * memory[s][i] } }
                state = linear(p, "attention.linear_out.weight", nil, context + state).map { Foundation.tanh($0) }
            }
            result.append(linear(p, "decoder.head.weight", "decoder.head.bias", state))
        }
        return result
    }

    /// Σ over positions with target ≥ 0 of −log softmax(z)[y].
    func loss(logits: [[Double]], targets: [Int32]) -> Double {
        encoder.crossEntropySum(logits: logits.flatMap { $0 }, targets: targets, classes: config.headSize)
    }
}
