// ParameterLayout: where each named tensor lives in the flat parameter vector, in PyTorch's names.
import Foundation
import RecurMath

/// One named tensor inside the flat parameter vector.
public struct ParameterSpec: Sendable, Equatable {
    /// PyTorch-style name, e.g. `rnn.weight_ih_l0`.
    public let name: String
    /// Row-major shape.
    public let shape: [Int]
    /// First element's index in the flat vector.
    public let offset: Int
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// The order and offsets of every tensor of a model in one flat Float32 vector.
///
/// The order is PyTorch's `state_dict` order for `embedding`, `rnn` and `head` modules, so the
/// flat vector, the checkpoint and the wire all agree:
/// - `embedding.weight` [V, E]
/// - per layer k: `rnn.weight_ih_l{k}` [G·H, in], `rnn.weight_hh_l{k}` [G·H, H],
///   `rnn.bias_ih_l{k}` [G·H], `rnn.bias_hh_l{k}` [G·H], and with peepholes
///   `rnn.weight_peephole_l{k}` [3, H] (rows i, f, o); when bidirectional, the same tensors of
///   the right-to-left direction follow with the suffix `_reverse` (`nn.LSTM(bidirectional=True)`)
/// - `head.weight` [C, D·H], `head.bias` [C] (C = V for the language model)
/// A sequence-to-sequence model's layout prefixes an encoder's and a decoder's with `encoder.` and
/// `decoder.`, with its bridge and attention between them (see `seq2seqTensors`).
public struct ParameterLayout: Sendable, Equatable {
    /// Every tensor in order.
    public let specs: [ParameterSpec]
    /// Total floats.
    public let count: Int

    /// Builds the layout of a configuration: the one above, or for a sequence-to-sequence
    /// configuration the encoder–decoder's (`seq2seqTensors`).
    /// - Parameter config: the model architecture.
    public init(_ config: ModelConfig) {
        self.init(named: config.isSeq2Seq ? Self.seq2seqTensors(config) : Self.stackTensors(config))
    }

    /// The tensors of a language or example model, in order.
    static func stackTensors(_ config: ModelConfig) -> [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        func add(_ name: String, _ shape: [Int]) { out.append((name, shape)) }
        let h = config.hidden, gh = config.cell.gates * h
        add("embedding.weight", [config.vocab, config.embed])
        for k in 0..<config.layers {
            for d in 0..<config.directions {
                let l = Self.suffix(layer: k, direction: d)
                add("rnn.weight_ih_\(l)", [gh, config.inputSize(layer: k)])
                add("rnn.weight_hh_\(l)", [gh, h])
                add("rnn.bias_ih_\(l)", [gh])
                add("rnn.bias_hh_\(l)", [gh])
                if config.peephole { add("rnn.weight_peephole_\(l)", [3, h]) }
            }
        }
        add("head.weight", [config.headSize, config.directions * h])
        add("head.bias", [config.headSize])
        return out
    }

    /// A layout of the given tensors, in this order and back to back from offset 0.
    init(named tensors: [(name: String, shape: [Int])]) {
        var specs: [ParameterSpec] = []
        var offset = 0
        for t in tensors {
            specs.append(ParameterSpec(name: t.name, shape: t.shape, offset: offset))
            offset += t.shape.reduce(1, *)
        }
        self.specs = specs
        self.count = offset
    }

    /// The name suffix of layer `k`'s tensors read in direction `d`: `l{k}` left to right (d = 0),
    /// `l{k}_reverse` right to left (d = 1), PyTorch's names.
    public static func suffix(layer k: Int, direction d: Int) -> String { d == 0 ? "l\(k)" : "l\(k)_reverse" }

    /// The end of layer `k`'s tensors (both directions) in the flat vector: the first offset of
    /// layer k+1, or of the head after the last of `layers` layers; a pass that streams its
    /// parameters in needs up to here before running layer k.
    func end(ofLayer k: Int, layers: Int) -> Int {
        k + 1 < layers ? offset("rnn.weight_ih_l\(k + 1)") : offset("head.weight")
    }

    /// The spec named `name`, if any.
    public func spec(_ name: String) -> ParameterSpec? { specs.first { $0.name == name } }

    /// Offset of the tensor named `name`; traps if absent (names are fixed by the layout).
    public func offset(_ name: String) -> Int {
        guard let s = spec(name) else { preconditionFailure("no parameter named \(name)") }
        return s.offset
    }
}

/// Initial parameter values, following PyTorch's defaults for each module.
public enum ParameterInit {
    /// Fills `params` (of `layout.count` floats): embedding ~ N(0, 1); recurrent weights and
    /// biases of both directions ~ U(−1/√H, 1/√H); head ~ U(−1/√(D·H), 1/√(D·H)) (nn.Linear's
    /// bound for its D·H inputs); peepholes ~ U(−1/√H, 1/√H).
    /// - Parameters:
    ///   - params: the flat vector to fill.
    ///   - config: the architecture.
    ///   - seed: the run's seed.
    public static func fill(_ params: FloatBuffer, config: ModelConfig, seed: UInt64) {
        let layout = ParameterLayout(config)
        precondition(params.count == layout.count)
        var rng = SplitMix64(seed: mix64(seed ^ 0x1A17))
        if config.isSeq2Seq {
            fillSeq2Seq(params, layout: layout, hidden: config.hidden, rng: &rng)
            return
        }
        let bound = 1 / Float(config.hidden).squareRoot()
        let headBound = 1 / Float(config.directions * config.hidden).squareRoot()
        for spec in layout.specs {
            let p = params.pointer + spec.offset
            if spec.name == "embedding.weight" {
                normal(p, count: spec.count, rng: &rng)
            } else {
                let b = spec.name.hasPrefix("head.") ? headBound : bound
                for i in 0..<spec.count { p[i] = (rng.nextUniform() * 2 - 1) * b }
            }
        }
    }

    /// Fills `count` floats with N(0, 1) draws, Box–Muller pairs from `rng`.
    static func normal(_ p: UnsafeMutablePointer<Float>, count: Int, rng: inout SplitMix64) {
        var i = 0
        while i < count {  // Box–Muller pairs
            let u1 = max(rng.nextDouble(), 1e-300), u2 = rng.nextDouble()
            let r = (-2 * log(u1)).squareRoot()
            p[i] = Float(r * cos(2 * Double.pi * u2))
            if i + 1 < count { p[i + 1] = Float(r * sin(2 * Double.pi * u2)) }
            i += 2
        }
    }

    /// The sequence-to-sequence rule, in layout order from the same generator: embeddings
    /// N(0, 1); recurrent tensors U(±1/√H); every linear layer's weight and bias U(±1/√in), `in`
    /// its weight's columns (bridge 2H, linear_in D·H, linear_out D·H + H, head H).
    static func fillSeq2Seq(_ params: FloatBuffer, layout: ParameterLayout, hidden: Int, rng: inout SplitMix64) {
        let recurrent = 1 / Float(hidden).squareRoot()
        for spec in layout.specs {
            let p = params.pointer + spec.offset
            if spec.name.hasSuffix("embedding.weight") {
                normal(p, count: spec.count, rng: &rng)
                continue
            }
            let b: Float
            if spec.name.contains(".rnn.") {
                b = recurrent
            } else {
                let weight = spec.name.hasSuffix(".bias") ? String(spec.name.dropLast(4)) + "weight" : spec.name
                b = 1 / Float(layout.spec(weight)!.shape[1]).squareRoot()
            }
            for i in 0..<spec.count { p[i] = (rng.nextUniform() * 2 - 1) * b }
        }
    }
}
