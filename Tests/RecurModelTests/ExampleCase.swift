// ExampleCase: one random padded batch for the example models, run through the Float32 model
// and through the Double reference.
@testable import RecurModel
import RecurMath

/// A padded batch of examples with everything needed to run it both ways.
struct ExampleCase {
    var config: ModelConfig
    var pooling: ExampleModel.Pooling
    var steps: Int
    /// Examples' lengths [N], each in 1...T.
    var lengths: [Int32]
    /// Flat parameters in `ParameterLayout` order.
    var params: [Float]
    /// Token ids [T, N]; padding holds random ids.
    var inputs: [Int32]
    /// Labels [T, N] (tagger; garbage at padding, which must be ignored) or [N] (classifier).
    var labels: [Int32]
    var dropout: DropoutKey?

    var lanes: Int { lengths.count }
    var layout: ParameterLayout { ParameterLayout(config) }
    var binary: Bool { config.headSize == 1 }
    var model: ExampleModel {
        do { return try ExampleModel(config, pooling: pooling) } catch { fatalError("invalid test config: \(error)") }
    }

    /// A random batch: weights U(−w, w) (w = `weights`, default 0.6), embeddings U(−1, 1), one
    /// ignored real label.
    static func random(_ config: ModelConfig, pooling: ExampleModel.Pooling, lengths: [Int32], steps: Int? = nil,
                       seed: UInt64, weights: Double = 0.6, dropout: DropoutKey? = nil) -> ExampleCase {
        var rng = TestRNG(seed: seed)
        let layout = ParameterLayout(config), t = steps ?? Int(lengths.max()!), n = lengths.count
        var params = [Float](repeating: 0, count: layout.count)
        for spec in layout.specs {
            let range = spec.name == "embedding.weight" ? 1.0 : weights
            for i in 0..<spec.count { params[spec.offset + i] = rng.float(-range, range) }
        }
        let classes = max(config.headSize, 2)
        let inputs = (0..<(t * n)).map { _ in Int32(rng.int(config.vocab)) }
        var labels = (0..<(pooling == .everyToken ? t * n : n)).map { _ in Int32(rng.int(classes)) }
        labels[pooling == .everyToken && t > 1 ? n : 0] = -1
        return ExampleCase(config: config, pooling: pooling, steps: t, lengths: lengths, params: params,
                           inputs: inputs, labels: labels, dropout: dropout)
    }

    /// Example `j`'s real tokens and labels.
    func example(_ j: Int) -> (tokens: [Int32], labels: [Int32]) {
        let n = lanes, len = Int(lengths[j])
        let tokens = (0..<len).map { inputs[$0 * n + j] }
        return (tokens, pooling == .everyToken ? (0..<len).map { labels[$0 * n + j] } : [labels[j]])
    }

    /// The reference's summed loss at `params`, with the masks the key documents
    /// (`DropoutMask.fill`: words (seed, step, k << 40 | global example, d << 63 | t << 24 | u)).
    func referenceLoss(params: [Double]) -> Double {
        let reference = ExampleReference(config, pooling: pooling)
        var total = 0.0
        for j in 0..<lanes {
            let ex = example(j)
            total += reference.loss(logits: reference.logits(params: params, tokens: ex.tokens, mask: mask(example: j)),
                                    labels: ex.labels)
        }
        return total
    }

    /// The dropout mask of example `j` by (layer, direction, position), or nil without dropout.
    func mask(example j: Int) -> ((Int, Int, Int) -> [Double])? {
        guard let key = dropout, config.dropout > 0 else { return nil }
        let p = config.dropout, keep = Double(1 / (1 - p)), lane = UInt64(key.firstLane + j)
        return { k, d, t in
            (0..<config.hidden).map { u in
                let r = CounterRandom.uniform(seed: key.seed, key.step, UInt64(k) << 40 | lane,
                                              UInt64(d) << 63 | UInt64(t) << 24 | UInt64(u))
                return r < p ? 0 : keep
            }
        }
    }

    /// Runs `body` with this case's targets.
    func withTargets<R>(_ body: (ExampleTargets) -> R) -> R {
        labels.withUnsafeBufferPointer { y in
            let p = y.baseAddress!
            switch (pooling, binary) {
            case (.everyToken, false): return body(.tokenClasses(p))
            case (.everyToken, true): return body(.tokenBinary(p))
            case (.lastToken, false): return body(.exampleClasses(p))
            case (.lastToken, true): return body(.exampleBinary(p))
            }
        }
    }

    /// `ExampleModel.lossAndGradient` into zeroed gradients, with a workspace of `capacity` steps
    /// (default: this case's), recording the ranges `finished` reports.
    func runGradient(capacity: Int? = nil) -> (loss: ChunkLoss, grads: [Float], logits: [Float], finished: [Range<Int>]) {
        let ws = ExampleWorkspace(config: config, pooling: pooling, steps: capacity ?? steps, lanes: lanes)
        let p = FloatBuffer(params), g = FloatBuffer(count: params.count)
        var ranges: [Range<Int>] = []
        let loss = withTargets { t in
            inputs.withUnsafeBufferPointer { x in
                lengths.withUnsafeBufferPointer { len in
                    model.lossAndGradient(params: p.pointer, grads: g.pointer, ws: ws, inputs: x.baseAddress!,
                                          lengths: len.baseAddress!, targets: t, steps: steps, dropout: dropout,
                                          finished: { r, _ in ranges.append(r) })
                }
            }
        }
        return (loss, g.array, forwardLogits(), ranges)
    }

    /// `ExampleModel.forward`'s logits [T, N, C] or [N, C], with this case's dropout key.
    func forwardLogits() -> [Float] {
        let ws = ExampleWorkspace(config: config, pooling: pooling, steps: steps, lanes: lanes)
        let p = FloatBuffer(params)
        inputs.withUnsafeBufferPointer { x in
            lengths.withUnsafeBufferPointer { len in
                model.forward(params: p.pointer, ws: ws, inputs: x.baseAddress!, lengths: len.baseAddress!, steps: steps,
                              dropout: dropout)
            }
        }
        let rows = pooling == .everyToken ? steps * lanes : lanes
        return Array(ws.logits.array[0..<(rows * config.headSize)])
    }

    /// Examples `range` as a batch of their own, padded to `steps` positions, with the dropout
    /// key's first example moved.
    func slice(_ range: Range<Int>, steps t: Int? = nil) -> ExampleCase {
        var c = self
        c.steps = t ?? steps
        c.lengths = Array(lengths[range])
        func column(_ x: [Int32], _ j: Int, _ s: Int) -> Int32 { s < steps ? x[s * lanes + j] : 0 }
        c.inputs = (0..<c.steps).flatMap { s in range.map { column(inputs, $0, s) } }
        c.labels = pooling == .everyToken ? (0..<c.steps).flatMap { s in range.map { column(labels, $0, s) } } : Array(labels[range])
        c.dropout = dropout.map { DropoutKey(seed: $0.seed, step: $0.step, firstLane: $0.firstLane + range.lowerBound) }
        return c
    }
}
