// ModelCase: one random test problem (config, parameters, tokens, targets, state, dropout key).
import RecurMath
import RecurModel

/// Everything needed to run one chunk through the model and through the naive reference.
struct ModelCase {
    var config: ModelConfig
    var lanes: Int
    var steps: Int
    /// Flat parameters in `ParameterLayout` order.
    var params: [Float]
    /// Token ids [T, N].
    var inputs: [Int32]
    /// Class targets [T, N] (negative = ignored); used when `binary` is nil.
    var targets: [Int32]
    /// Binary targets [T, N, V] for the sigmoid BCE loss, or nil for cross-entropy.
    var binary: [Float]?
    /// Initial state [N, L, S, H].
    var state: [Float]
    /// Dropout key, or nil for no dropout.
    var dropout: DropoutKey?

    var layout: ParameterLayout { ParameterLayout(config) }
    var model: LanguageModel {
        do { return try LanguageModel(config) } catch { fatalError("invalid test config: \(error)") }
    }

    /// A random problem: weights U(−0.6, 0.6), embeddings U(−1, 1), non-zero state U(−0.8, 0.8),
    /// one ignored target at (t=1, lane 0).
    static func random(_ config: ModelConfig, lanes: Int = 3, steps: Int = 4, seed: UInt64,
                       binary: Bool = false, dropout: DropoutKey? = nil) -> ModelCase {
        var rng = TestRNG(seed: seed)
        let layout = ParameterLayout(config)
        var params = [Float](repeating: 0, count: layout.count)
        for spec in layout.specs {
            let range = spec.name == "embedding.weight" ? 1.0 : 0.6
            for i in 0..<spec.count { params[spec.offset + i] = rng.float(-range, range) }
        }
        let tn = steps * lanes, v = config.vocab
        let inputs = (0..<tn).map { _ in Int32(rng.int(v)) }
        var targets = (0..<tn).map { _ in Int32(rng.int(v)) }
        if steps > 1 { targets[lanes] = -1 }
        let bin: [Float]? = binary ? (0..<(tn * v)).map { _ in
            let r = rng.int(4)
            return r == 0 ? 0 : r == 1 ? 1 : rng.float(0, 1)
        } : nil
        let state = (0..<(lanes * config.stateFloatsPerLane)).map { _ in rng.float(-0.8, 0.8) }
        return ModelCase(config: config, lanes: lanes, steps: steps, params: params, inputs: inputs,
                         targets: targets, binary: bin, state: state, dropout: dropout)
    }

    /// The dropout masks the model uses, re-derived from `CounterRandom.uniform` and the key layout
    /// documented at `LanguageModel.fillMask`: key words (seed, step, layer << 40 | global lane,
    /// t << 24 | unit); a unit is dropped when the uniform is below p, else scaled by 1/(1 − p).
    var referenceMasks: [[Double]]? {
        guard let key = dropout, config.dropout > 0, config.layers > 1 else { return nil }
        let h = config.hidden, p = config.dropout, keep = Double(1 / (1 - p))
        return (0..<(config.layers - 1)).map { k in
            var m = [Double](repeating: 0, count: steps * lanes * h)
            for s in 0..<steps {
                for j in 0..<lanes {
                    let lane = UInt64(key.firstLane + j)
                    for u in 0..<h {
                        let r = CounterRandom.uniform(seed: key.seed, key.step, UInt64(k) << 40 | lane, UInt64(s) << 24 | UInt64(u))
                        m[(s * lanes + j) * h + u] = r < p ? 0 : keep
                    }
                }
            }
            return m
        }
    }

    /// The naive reference's summed loss at `params` (Double), from this case's state.
    func referenceLoss(_ reference: NaiveReference, params: [Double], masks: [[Double]]?) -> Double {
        let out = reference.forward(params: params, inputs: inputs, lanes: lanes, steps: steps,
                                    state: state.map(Double.init), masks: masks)
        if let binary {
            return reference.binaryCrossEntropySum(logits: out.logits, targets: binary.map(Double.init))
        }
        return reference.crossEntropySum(logits: out.logits, targets: targets)
    }

    /// The reference forward pass from this case's parameters and state.
    func referenceForward() -> NaiveReference.Output {
        NaiveReference(config).forward(params: params.map(Double.init), inputs: inputs, lanes: lanes, steps: steps,
                                       state: state.map(Double.init), masks: referenceMasks)
    }

    /// Lanes `range` of this case as a case of its own, with the dropout key's first lane moved.
    func slice(lanes range: Range<Int>) -> ModelCase {
        var c = self
        c.lanes = range.count
        c.inputs = (0..<steps).flatMap { s -> [Int32] in range.map { inputs[s * lanes + $0] } }
        c.targets = (0..<steps).flatMap { s -> [Int32] in range.map { targets[s * lanes + $0] } }
        let v = config.vocab
        if let b = binary {
            var out: [Float] = []
            for s in 0..<steps {
                for j in range { out += b[((s * lanes + j) * v)..<((s * lanes + j + 1) * v)] }
            }
            c.binary = out
        }
        let per = config.stateFloatsPerLane
        c.state = Array(state[(range.lowerBound * per)..<(range.upperBound * per)])
        c.dropout = dropout.map { DropoutKey(seed: $0.seed, step: $0.step, firstLane: $0.firstLane + range.lowerBound) }
        return c
    }
}
