// NaiveReference: an independent Double-precision language model written straight from the equations.
import Foundation
import RecurModel

/// A plain, loop-per-timestep, loop-per-lane reference of the whole language model in Double.
///
/// It shares no computation with the sources: it only reads the architecture (`ModelConfig`) and
/// the tensor offsets/names of `ParameterLayout`, and indexes the flat parameter array itself.
/// No BLAS, no SIMD: every dot product is an explicit loop.
struct NaiveReference {
    let config: ModelConfig
    /// name -> (offset, columns) of every tensor in the flat vector.
    private let tensors: [String: (offset: Int, cols: Int)]

    init(_ config: ModelConfig) {
        self.config = config
        var t: [String: (offset: Int, cols: Int)] = [:]
        for spec in ParameterLayout(config).specs {
            t[spec.name] = (spec.offset, spec.shape.count > 1 ? spec.shape[1] : 1)
        }
        tensors = t
    }

    /// Output of a forward pass.
    struct Output {
        /// [T, N, V]
        var logits: [Double]
        /// [N, L, S, H] final state.
        var state: [Double]
    }

    var slots: Int { config.cell == .lstm ? 2 : 1 }

    /// Runs the model over `steps` steps of `lanes` lanes.
    /// - Parameters:
    ///   - params: the flat parameter vector.
    ///   - inputs: token ids [T, N].
    ///   - state: [N, L, S, H] initial state.
    ///   - masks: per layer k < L-1, a dropout mask [T, N, H] multiplied into that layer's
    ///     output before the next layer sees it; nil for no dropout.
    func forward(params p: [Double], inputs: [Int32], lanes n: Int, steps t: Int, state: [Double],
                 masks: [[Double]]? = nil) -> Output {
        let h = config.hidden, l = config.layers, v = config.vocab, e = config.embed, s = slots
        precondition(inputs.count == t * n && state.count == n * l * s * h)
        var hState = [[Double]](repeating: [], count: n * l), cState = hState
        for j in 0..<n {
            for k in 0..<l {
                let base = (j * l + k) * s * h
                hState[j * l + k] = Array(state[base..<(base + h)])
                cState[j * l + k] = s == 2 ? Array(state[(base + h)..<(base + 2 * h)]) : []
            }
        }
        var logits = [Double](repeating: 0, count: t * n * v)
        let emb = tensors["embedding.weight"]!.offset
        let hw = tensors["head.weight"]!.offset, hb = tensors["head.bias"]!.offset
        for step in 0..<t {
            for j in 0..<n {
                let token = Int(inputs[step * n + j])
                var x = (0..<e).map { p[emb + token * e + $0] }
                for k in 0..<l {
                    let (hNew, cNew) = cellStep(p, layer: k, x: x, hPrev: hState[j * l + k], cPrev: cState[j * l + k])
                    hState[j * l + k] = hNew
                    cState[j * l + k] = cNew
                    x = hNew
                    if let masks, k < l - 1 {
                        for u in 0..<h { x[u] *= masks[k][(step * n + j) * h + u] }
                    }
                }
                for o in 0..<v {
                    var z = p[hb + o]
                    for u in 0..<h { z += p[hw + o * h + u] * x[u] }
                    logits[(step * n + j) * v + o] = z
                }
            }
        }
        var final = [Double](repeating: 0, count: n * l * s * h)
        for j in 0..<n {
            for k in 0..<l {
                let base = (j * l + k) * s * h
                for u in 0..<h { final[base + u] = hState[j * l + k][u] }
                if s == 2 { for u in 0..<h { final[base + h + u] = cState[j * l + k][u] } }
            }
        }
        return Output(logits: logits, state: final)
    }

    /// Σ_c W[row0 + r, c] · vec[c] for r in 0..<count, of the tensor `name`.
    private func rows(_ p: [Double], _ name: String, from row0: Int, count: Int, times vec: [Double]) -> [Double] {
        let (off, cols) = tensors[name]!
        precondition(vec.count == cols, "\(name): \(vec.count) vs \(cols) columns")
        var out = [Double](repeating: 0, count: count)
        for r in 0..<count {
            var acc = 0.0
            for c in 0..<cols { acc += p[off + (row0 + r) * cols + c] * vec[c] }
            out[r] = acc
        }
        return out
    }

    /// b_ih[block] + b_hh[block] + W_ih[block]·x, for gate block `g` of the layer named `l`.
    private func inputPart(_ p: [Double], _ l: String, block g: Int, _ x: [Double]) -> [Double] {
        let h = config.hidden
        let bi = tensors["rnn.bias_ih_\(l)"]!.offset, bh = tensors["rnn.bias_hh_\(l)"]!.offset
        var a = rows(p, "rnn.weight_ih_\(l)", from: g * h, count: h, times: x)
        for u in 0..<h { a[u] += p[bi + g * h + u] + p[bh + g * h + u] }
        return a
    }

    /// W_hh[block]·vec for gate block `g` of the layer named `l`.
    private func recurrentPart(_ p: [Double], _ l: String, block g: Int, _ vec: [Double]) -> [Double] {
        rows(p, "rnn.weight_hh_\(l)", from: g * config.hidden, count: config.hidden, times: vec)
    }

    private func sigmoid(_ z: Double) -> Double { 1 / (1 + Foundation.exp(-z)) }

    /// One cell step of layer `k` for one lane: returns (h, c) (c empty unless LSTM). Direction 1
    /// uses the layer's right-to-left tensors (PyTorch's `_reverse` names).
    func cellStep(_ p: [Double], layer k: Int, direction d: Int = 0, x: [Double], hPrev: [Double],
                  cPrev: [Double]) -> ([Double], [Double]) {
        let h = config.hidden, l = d == 0 ? "l\(k)" : "l\(k)_reverse"
        func pre(_ g: Int, _ recurrentInput: [Double]) -> [Double] {
            let a = inputPart(p, l, block: g, x), b = recurrentPart(p, l, block: g, recurrentInput)
            return (0..<h).map { a[$0] + b[$0] }
        }
        switch config.cell {
        case .rnn:
            let a = pre(0, hPrev)
            return (a.map { config.activation == .relu ? max($0, 0) : Foundation.tanh($0) }, [])
        case .gruMin:
            let u = pre(0, hPrev).map(sigmoid), cand = pre(1, hPrev).map { Foundation.tanh($0) }
            return ((0..<h).map { u[$0] * cand[$0] + (1 - u[$0]) * hPrev[$0] }, [])
        case .gru:
            let r = pre(0, hPrev).map(sigmoid), u = pre(1, hPrev).map(sigmoid)
            let gated = (0..<h).map { r[$0] * hPrev[$0] }
            let cand = pre(2, gated).map { Foundation.tanh($0) }
            return ((0..<h).map { u[$0] * cand[$0] + (1 - u[$0]) * hPrev[$0] }, [])
        case .lstm:
            var ai = pre(0, hPrev), af = pre(1, hPrev), ao = pre(3, hPrev)
            let ag = pre(2, hPrev)
            if let peep = tensors["rnn.weight_peephole_\(l)"]?.offset {
                for u in 0..<h {
                    ai[u] += p[peep + u] * cPrev[u]
                    af[u] += p[peep + h + u] * cPrev[u]
                    ao[u] += p[peep + 2 * h + u] * cPrev[u]
                }
            }
            var c = [Double](repeating: 0, count: h), hNew = c
            for u in 0..<h {
                c[u] = sigmoid(af[u]) * cPrev[u] + sigmoid(ai[u]) * Foundation.tanh(ag[u])
                hNew[u] = sigmoid(ao[u]) * Foundation.tanh(c[u])
            }
            return (hNew, c)
        }
    }

    /// Σ over rows with target ≥ 0 of −log softmax(z)[y]; logits [R, V] (or [R, classes]), targets [R].
    func crossEntropySum(logits: [Double], targets: [Int32], classes: Int? = nil) -> Double {
        let v = classes ?? config.vocab
        var total = 0.0
        for r in 0..<targets.count where targets[r] >= 0 {
            let row = logits[(r * v)..<((r + 1) * v)]
            let top = row.max()!
            let logSum = top + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp($1 - top) })
            total += logSum - row[r * v + Int(targets[r])]
        }
        return total
    }

    /// Σ over every output of −[y log σ(z) + (1 − y) log(1 − σ(z))]; logits and targets [R, V].
    func binaryCrossEntropySum(logits: [Double], targets: [Double]) -> Double {
        precondition(logits.count == targets.count)
        // log σ(z) without overflow: −log(1 + e^−z) for z ≥ 0, z − log(1 + e^z) otherwise.
        func logSigmoid(_ z: Double) -> Double { z >= 0 ? -Foundation.log1p(Foundation.exp(-z)) : z - Foundation.log1p(Foundation.exp(z)) }
        var total = 0.0
        for i in 0..<logits.count {
            total -= targets[i] * logSigmoid(logits[i]) + (1 - targets[i]) * logSigmoid(-logits[i])
        }
        return total
    }
}
