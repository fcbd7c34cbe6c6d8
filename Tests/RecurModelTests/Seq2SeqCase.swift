// Seq2SeqCase: one random padded batch of source–target pairs, run through the Float32
// encoder–decoder and through the Double reference.
@testable import RecurModel
import RecurMath

/// A padded batch with everything needed to run it both ways.
struct Seq2SeqCase {
    var config: ModelConfig
    /// Source positions S and decoder positions T.
    var sourceSteps: Int, targetSteps: Int
    /// [N], each in 1...S.
    var sourceLengths: [Int32]
    /// Source ids [S, N]; padding holds random ids.
    var source: [Int32]
    /// Decoder inputs [T, N]; padding holds random ids.
    var decoderInputs: [Int32]
    /// Targets [T, N]; −1 after each example's target length.
    var targets: [Int32]
    /// Flat parameters in layout order.
    var params: [Float]
    var dropout: DropoutKey?

    var lanes: Int { sourceLengths.count }
    var layout: ParameterLayout { ParameterLayout(config) }
    var model: Seq2SeqModel {
        do { return try Seq2SeqModel(config) } catch { fatalError("invalid test config: \(error)") }
    }

    /// A seq2seq configuration of a test cell variant.
    static func config(_ v: CellVariant, hidden: Int = 4, layers: Int = 1, embed: Int = 3, sourceVocab: Int = 7,
                       targetVocab: Int = 6, bidirectional: Bool, attention: AttentionKind, dropout: Float = 0) -> ModelConfig {
        var c = v.config(hidden: hidden, layers: layers, embed: embed, vocab: sourceVocab, dropout: dropout)
        c.bidirectional = bidirectional
        c.targetVocab = targetVocab
        c.attention = attention
        return c
    }

    /// A random batch: weights U(−w, w), embeddings U(−1, 1); targets −1 from each example's
    /// `targetLengths` on.
    static func random(_ config: ModelConfig, sourceLengths: [Int32], targetLengths: [Int32], seed: UInt64,
                       sourceSteps: Int? = nil, targetSteps: Int? = nil, weights: Double = 0.6,
                       dropout: DropoutKey? = nil) -> Seq2SeqCase {
        var rng = TestRNG(seed: seed)
        let layout = ParameterLayout(config), n = sourceLengths.count
        let s = sourceSteps ?? Int(sourceLengths.max()!), t = targetSteps ?? Int(targetLengths.max()!)
        var params = [Float](repeating: 0, count: layout.count)
        for spec in layout.specs {
            let range = spec.name.hasSuffix("embedding.weight") ? 1.0 : weights
            for i in 0..<spec.count { params[spec.offset + i] = rng.float(-range, range) }
        }
        let vt = config.targetVocab!
        let source = (0..<(s * n)).map { _ in Int32(rng.int(config.vocab)) }
        let inputs = (0..<(t * n)).map { _ in Int32(rng.int(vt)) }
        var targets = (0..<(t * n)).map { _ in Int32(rng.int(vt)) }
        for q in 0..<t { for j in 0..<n where q >= Int(targetLengths[j]) { targets[q * n + j] = -1 } }
        return Seq2SeqCase(config: config, sourceSteps: s, targetSteps: t, sourceLengths: sourceLengths, source: source,
                           decoderInputs: inputs, targets: targets, params: params, dropout: dropout)
    }

    /// Example `j`'s real source tokens, its decoder inputs and targets (all T positions).
    func example(_ j: Int) -> (source: [Int32], inputs: [Int32], targets: [Int32]) {
        let n = lanes
        return ((0..<Int(sourceLengths[j])).map { source[$0 * n + j] }, (0..<targetSteps).map { decoderInputs[$0 * n + j] },
                (0..<targetSteps).map { targets[$0 * n + j] })
    }

    /// The dropout mask of example `j` by (layer, direction, position) as `DropoutMask.fill` keys
    /// it, or nil.
    func mask(example j: Int) -> ((Int, Int, Int) -> [Double])? {
        guard let key = dropout, config.dropout > 0 else { return nil }
        let p = config.dropout, keep = Double(1 / (1 - p)), lane = UInt64(key.firstLane + j), h = config.hidden
        return { k, d, t in
            (0..<h).map { u in
                let r = CounterRandom.uniform(seed: key.seed, key.step, UInt64(k) << 40 | lane,
                                              UInt64(d) << 63 | UInt64(t) << 24 | UInt64(u))
                return r < p ? 0 : keep
            }
        }
    }

    /// The reference's summed loss at `params`.
    func referenceLoss(params: [Double]) -> Double {
        let reference = Seq2SeqReference(config)
        var total = 0.0
        for j in 0..<lanes {
            let ex = example(j)
            total += reference.loss(logits: reference.logits(params: params, source: ex.source, decoderInputs: ex.inputs,
                                                             mask: mask(example: j)), targets: ex.targets)
        }
        return total
    }

    /// `lossAndGradient` into zeroed gradients with a workspace of the given capacities (default:
    /// this case's), the ranges `finished` reported, and the loss `loss` computes.
    func runGradient(sourceCapacity: Int? = nil, targetCapacity: Int? = nil)
        -> (loss: ChunkLoss, grads: [Float], logits: [Float], finished: [Range<Int>], needs: [Int]) {
        let ws = Seq2SeqWorkspace(config: config, sourceSteps: sourceCapacity ?? sourceSteps,
                                  targetSteps: targetCapacity ?? targetSteps, lanes: lanes)
        let p = FloatBuffer(params), g = FloatBuffer(count: params.count)
        var ranges: [Range<Int>] = [], needs: [Int] = []
        let loss = withPointers { src, len, inp, tgt in
            model.lossAndGradient(params: p.pointer, grads: g.pointer, ws: ws, source: src, sourceLengths: len,
                                  sourceSteps: sourceSteps, decoderInputs: inp, targets: tgt, targetSteps: targetSteps,
                                  dropout: dropout, needs: { needs.append($0) }, finished: { r, _ in ranges.append(r) })
        }
        return (loss, g.array, forwardLogits(), ranges, needs)
    }

    /// `forward`'s logits [T, N, Vt] with this case's dropout key.
    func forwardLogits() -> [Float] {
        let ws = Seq2SeqWorkspace(config: config, sourceSteps: sourceSteps, targetSteps: targetSteps, lanes: lanes)
        let p = FloatBuffer(params)
        withPointers { src, len, inp, _ in
            model.forward(params: p.pointer, ws: ws, source: src, sourceLengths: len, sourceSteps: sourceSteps,
                          decoderInputs: inp, targetSteps: targetSteps, dropout: dropout)
        }
        return Array(ws.logits.array[0..<(targetSteps * lanes * config.headSize)])
    }

    /// `loss` (no gradient, no dropout).
    func plainLoss() -> ChunkLoss {
        let ws = Seq2SeqWorkspace(config: config, sourceSteps: sourceSteps, targetSteps: targetSteps, lanes: lanes)
        let p = FloatBuffer(params)
        return withPointers { src, len, inp, tgt in
            model.loss(params: p.pointer, ws: ws, source: src, sourceLengths: len, sourceSteps: sourceSteps,
                       decoderInputs: inp, targets: tgt, targetSteps: targetSteps)
        }
    }

    func withPointers<R>(_ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>) -> R) -> R {
        source.withUnsafeBufferPointer { s in
            sourceLengths.withUnsafeBufferPointer { l in
                decoderInputs.withUnsafeBufferPointer { i in
                    targets.withUnsafeBufferPointer { t in body(s.baseAddress!, l.baseAddress!, i.baseAddress!, t.baseAddress!) }
                }
            }
        }
    }

    /// Examples `range` as a batch of their own, padded to `sourceSteps` S and `targetSteps` T
    /// positions (padding id 0), with the dropout key's first example moved.
    func slice(_ range: Range<Int>, sourceSteps s: Int? = nil, targetSteps t: Int? = nil) -> Seq2SeqCase {
        var c = self
        c.sourceSteps = s ?? sourceSteps
        c.targetSteps = t ?? targetSteps
        c.sourceLengths = Array(sourceLengths[range])
        func columns(_ x: [Int32], _ steps: Int, _ newSteps: Int, pad: Int32) -> [Int32] {
            (0..<newSteps).flatMap { q in range.map { q < steps ? x[q * lanes + $0] : pad } }
        }
        c.source = columns(source, sourceSteps, c.sourceSteps, pad: 0)
        c.decoderInputs = columns(decoderInputs, targetSteps, c.targetSteps, pad: 0)
        c.targets = columns(targets, targetSteps, c.targetSteps, pad: -1)
        c.dropout = dropout.map { DropoutKey(seed: $0.seed, step: $0.step, firstLane: $0.firstLane + range.lowerBound) }
        return c
    }
}
