// Seq2SeqDecoder: step-by-step decoding of one source sentence for greedy and beam search: encode
// once, then advance a set of hypotheses one target token at a time.
import RecurMath

/// Step-by-step decoding of ONE source sentence for greedy/beam search (inference only).
///
/// The encoder runs once per source (`start`); each `advance` then moves K ≤ `maxHypotheses`
/// hypotheses one decoder step, each from a parent's state, through the same cells, attention and
/// head as the teacher-forced `Seq2SeqModel.forward` (no dropout), so its log-probabilities are
/// those of the forward pass over the same prefix. Every buffer is sized at `init` (the source's
/// memory grows with the longest source seen).
public final class Seq2SeqDecoder: StepDecoder {
    /// The model decoded.
    let model: Seq2SeqModel
    /// The flat parameters (held, not copied).
    let params: [Float]
    /// Most hypotheses one `advance` may carry.
    let maxHypotheses: Int
    /// Encoder buffers for one example (grown to the longest source).
    private var encoderSpace: ExampleWorkspace?
    /// The source's encoder outputs ē [S, D·H] and attention keys [S, H or D·H].
    private var memory: FloatBuffer, keys: FloatBuffer
    /// Real source positions of the current sentence.
    private var sourceLength = 0
    /// Hypotheses held.
    private var count = 0
    /// Per layer: the hypotheses' states [K, H] (h, and c for the LSTM), and their parents' copies.
    private let hs: [FloatBuffer], cs: [FloatBuffer], parentH: [FloatBuffer], parentC: [FloatBuffer]
    /// Step scratch: embedded tokens [K, E], gates [K, G·H], r ∗ h₋₁ [K, H], scores [K, S],
    /// [c ; o] [K, D·H + H], h̃ [K, H], logits [K, Vt], summed biases [G·H].
    private let inputs: FloatBuffer, gates: FloatBuffer, rh: FloatBuffer, concat: FloatBuffer, state: FloatBuffer,
                logits: FloatBuffer, bias: FloatBuffer
    private var scores: FloatBuffer

    /// `params` is kept (no copy beyond Swift's CoW); `maxHypotheses` K bounds `advance`'s count.
    public init(model: Seq2SeqModel, params: [Float], maxHypotheses: Int) {
        precondition(params.count == model.layout.count, "parameters do not fit the model")
        precondition(maxHypotheses >= 1, "decoding needs at least one hypothesis")
        self.model = model
        self.params = params
        self.maxHypotheses = maxHypotheses
        let cfg = model.config, k = maxHypotheses, h = cfg.hidden, w = cfg.directions * h, lstm = cfg.cell.hasCellState
        hs = (0..<cfg.layers).map { _ in FloatBuffer(count: k * h) }
        parentH = (0..<cfg.layers).map { _ in FloatBuffer(count: k * h) }
        cs = (0..<cfg.layers).map { _ in FloatBuffer(count: lstm ? k * h : 0) }
        parentC = (0..<cfg.layers).map { _ in FloatBuffer(count: lstm ? k * h : 0) }
        inputs = FloatBuffer(count: k * cfg.embed)
        gates = FloatBuffer(count: k * cfg.cell.gates * h)
        rh = FloatBuffer(count: k * h)
        concat = FloatBuffer(count: k * (w + h))
        state = FloatBuffer(count: k * h)
        logits = FloatBuffer(count: k * cfg.headSize)
        bias = FloatBuffer(count: cfg.cell.gates * h)
        memory = FloatBuffer(count: 0)
        keys = FloatBuffer(count: 0)
        scores = FloatBuffer(count: 0)
    }

    /// Vt: the width of each row `advance` returns.
    public var vocabularySize: Int { model.config.headSize }

    /// Encodes one source (token ids, length ≥ 1) and resets to a single hypothesis holding the decoder's initial state.
    public func start(source: [Int32]) {
        let cfg = model.config, s = source.count, h = cfg.hidden, w = cfg.directions * h
        precondition(s >= 1, "a source needs at least one token")
        if encoderSpace.map({ $0.steps < s }) ?? true {
            encoderSpace = ExampleWorkspace(config: cfg.encoderConfig, pooling: .everyToken, steps: s, lanes: 1)
            memory = FloatBuffer(count: s * w)
            keys = FloatBuffer(count: s * h)
            scores = FloatBuffer(count: maxHypotheses * s)
        }
        let ws = encoderSpace!, length = [Int32(s)]
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            source.withUnsafeBufferPointer { src in
                length.withUnsafeBufferPointer { len in
                    model.encoder.runLayers(params: p, ws: ws, inputs: src.baseAddress!, lengths: len.baseAddress!,
                                            steps: s, dropout: nil, needs: nil)
                }
            }
            model.encoder.gatherOutputs(ws: ws, layer: cfg.layers - 1, into: memory.pointer, masks: nil, steps: s)
            if cfg.attention == .general {
                GEMM.sgemm(transB: true, m: s, n: h, k: w, a: memory.pointer, lda: w,
                           b: p + model.layout.offset("attention.linear_in.weight"), ldb: w, beta: 0, c: keys.pointer, ldc: h)
            }
            for k in 0..<cfg.layers {  // the state after the last token: row S of each direction's order
                let enc = ws.layers[k]
                if !cfg.bidirectional {
                    hs[k].pointer.update(from: enc[0].hs.pointer + s * h, count: h)
                    if cfg.cell.hasCellState { cs[k].pointer.update(from: enc[0].cs.pointer + s * h, count: h) }
                    continue
                }
                for part in cfg.cell.hasCellState ? ["h", "c"] : ["h"] {
                    let x = concat.pointer  // [→x ; ←x], scratch
                    for d in 0..<2 {
                        (x + d * h).update(from: (part == "h" ? enc[d].hs.pointer : enc[d].cs.pointer) + s * h, count: h)
                    }
                    LinearHead.forward(rows: 1, inputs: 2 * h, classes: h, x: x,
                                       w: p + model.layout.offset("bridge.\(part)_l\(k).weight"),
                                       b: p + model.layout.offset("bridge.\(part)_l\(k).bias"),
                                       y: (part == "h" ? hs[k] : cs[k]).pointer)
                }
            }
        }
        sourceLength = s
        count = 1
    }

    /// New hypothesis i continues old hypothesis parents[i] (state copied/reordered) and reads tokens[i];
    /// returns log-softmax probabilities of the next token, [parents.count, Vt] row-major.
    public func advance(parents: [Int], tokens: [Int32]) -> [Float] {
        let cfg = model.config, m = parents.count, h = cfg.hidden, e = cfg.embed, vt = cfg.headSize
        precondition(sourceLength > 0, "start(source:) must come before advance")
        precondition(m >= 1 && m <= maxHypotheses && tokens.count == m, "advance takes 1...\(maxHypotheses) hypotheses, one token each")
        for (i, parent) in parents.enumerated() {
            precondition(parent >= 0 && parent < count, "parent \(parent) outside the \(count) hypotheses held")
            precondition(tokens[i] >= 0 && Int(tokens[i]) < vt, "token id \(tokens[i]) outside the target vocabulary of \(vt)")
            for k in 0..<cfg.layers {
                (parentH[k].pointer + i * h).update(from: hs[k].pointer + parent * h, count: h)
                if cfg.cell.hasCellState { (parentC[k].pointer + i * h).update(from: cs[k].pointer + parent * h, count: h) }
            }
        }
        params.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!, pm = UnsafeMutablePointer(mutating: p), base = model.decoderBase
            let emb = p + base + model.decoder.layout.offset("embedding.weight")
            for i in 0..<m { (inputs.pointer + i * e).update(from: emb + Int(tokens[i]) * e, count: e) }
            var x = UnsafePointer(inputs.pointer)
            for k in 0..<cfg.layers {
                step(layer: k, p: LayerParams(pm + base, layout: model.decoder.layout, layer: k), x: x, rows: m)
                x = UnsafePointer(hs[k].pointer)
            }
            attend(p: p, rows: m)
            LinearHead.forward(rows: m, inputs: h, classes: vt, x: state.pointer,
                               w: p + model.layout.offset("decoder.head.weight"),
                               b: p + model.layout.offset("decoder.head.bias"), y: logits.pointer)
        }
        count = m
        Kernels.logSoftmaxRows(rows: m, cols: vt, logits.pointer, logits.pointer)
        return Array(UnsafeBufferPointer(start: logits.pointer, count: m * vt))
    }

    /// One step of decoder layer `k` for `rows` hypotheses: from `x` [rows, in] and the parents'
    /// states, writes the new states into `hs[k]` (and `cs[k]`), as `RecurrentLayer` computes them.
    private func step(layer k: Int, p: LayerParams, x: UnsafePointer<Float>, rows m: Int) {
        let cfg = model.config, h = cfg.hidden, gh = cfg.cell.gates * h, din = cfg.decoderConfig.inputSize(layer: k)
        let g = gates.pointer, hPrev = UnsafePointer(parentH[k].pointer), hOut = hs[k].pointer
        for j in 0..<gh { bias.pointer[j] = p.bih[j] + p.bhh[j] }
        for r in 0..<m { (g + r * gh).update(from: bias.pointer, count: gh) }
        GEMM.sgemm(transB: true, m: m, n: gh, k: din, a: x, lda: din, b: p.wih, ldb: din, beta: 1, c: g, ldc: gh)
        let recurrentRows = cfg.cell == .gru ? 2 * h : gh
        GEMM.sgemm(transB: true, m: m, n: recurrentRows, k: h, a: hPrev, lda: h, b: p.whh, ldb: h, beta: 1, c: g, ldc: gh)
        switch cfg.cell {
        case .lstm:
            LSTMKernels.forward(n: m, h: h, gates: g, cPrev: parentC[k].pointer, c: cs[k].pointer, hOut: hOut,
                                peep: p.peep.map { UnsafePointer($0) })
        case .rnn:
            for r in 0..<m {
                GRUKernels.rnnForward(count: h, relu: cfg.activation == .relu, pre: g + r * gh, hOut: hOut + r * h)
            }
        case .gruMin:
            GRUKernels.gatedForward(n: m, h: h, stride: gh, u: g, c: g + h, hPrev: hPrev, hOut: hOut)
        case .gru:
            GRUKernels.resetForward(n: m, h: h, stride: gh, r: g, hPrev: hPrev, rh: rh.pointer)
            GEMM.sgemm(transB: true, m: m, n: h, k: h, a: rh.pointer, lda: h, b: p.whh + 2 * h * h, ldb: h, beta: 1,
                       c: g + 2 * h, ldc: gh)
            GRUKernels.gatedForward(n: m, h: h, stride: gh, u: g + h, c: g + 2 * h, hPrev: hPrev, hOut: hOut)
        }
    }

    /// h̃ [rows, H] into `state` from the top layer's outputs, as `Seq2SeqModel.attend` computes it
    /// for one example over its `sourceLength` positions.
    private func attend(p: UnsafePointer<Float>, rows m: Int) {
        let cfg = model.config, h = cfg.hidden, w = cfg.directions * h, cw = w + h, s = sourceLength
        let o = hs[cfg.layers - 1].pointer, out = state.pointer
        guard cfg.attention != AttentionKind.none else {
            out.update(from: o, count: m * h)
            return
        }
        let k = cfg.attention == .general ? keys.pointer : memory.pointer, a = scores.pointer, cat = concat.pointer
        GEMM.sgemm(transB: true, m: m, n: s, k: h, a: o, lda: h, b: k, ldb: cfg.attention == .general ? h : w, beta: 0,
                   c: a, ldc: s)
        Kernels.softmaxRows(rows: m, cols: s, a, a)
        GEMM.sgemm(m: m, n: w, k: s, a: a, lda: s, b: memory.pointer, ldb: w, beta: 0, c: cat, ldc: cw)
        for r in 0..<m { (cat + r * cw + w).update(from: o + r * h, count: h) }
        GEMM.sgemm(transB: true, m: m, n: h, k: cw, a: cat, lda: cw, b: p + model.layout.offset("attention.linear_out.weight"),
                   ldb: cw, beta: 0, c: out, ldc: h)
        Activations.tanhInPlace(out, m * h)
    }
}
