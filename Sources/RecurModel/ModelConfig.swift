// ModelConfig: the architecture of a recurrent model (cell, sizes, layers, directions, head) and its gates.

/// The recurrent cell of every layer.
public enum CellKind: String, Codable, Sendable, CaseIterable {
    /// Vanilla RNN, h = act(W_ih·x + b_ih + W_hh·h₋₁ + b_hh).
    case rnn
    /// The minimal GRU of the lecture notes: update gate only.
    case gruMin = "gru-min"
    /// The full GRU of the lecture notes, with the reset gate applied before the recurrent product.
    case gru
    /// The LSTM with input (update), forget and output gates; PyTorch's gate order (i, f, g, o).
    case lstm

    /// Gate blocks `G` per layer: the row count of `weight_ih` is `G·H`.
    public var gates: Int {
        switch self {
        case .rnn: return 1
        case .gruMin: return 2
        case .gru: return 3
        case .lstm: return 4
        }
    }

    /// Whether the cell carries a memory cell `c` beside `h`.
    public var hasCellState: Bool { self == .lstm }
}

/// The nonlinearity of a vanilla RNN.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// Hyperbolic tangent.
    case tanh
    /// Rectified linear unit.
    case relu
}

/// How a sequence-to-sequence decoder looks at the encoder's outputs (Luong attention).
///
/// Named in the configuration rather than inferred, because each kind has its own parameters
/// (`general` learns a key projection, `none` has no attention tensors at all) and so its own
/// checkpoint layout.
public enum AttentionKind: String, Codable, Sendable, CaseIterable {
    /// No attention: the head reads the decoder's top output directly.
    case none
    /// Scores are o_t · ē_s; needs the encoder's outputs as wide as the decoder's (unidirectional).
    case dot
    /// Scores are o_t · (W_in ē_s), with a learned projection W_in [H, D·H].
    case general
}

/// The architecture of a stacked recurrent model: embedding → L cells → linear head.
///
/// The same description serves the language model (one direction, a head over the vocabulary)
/// and the example models (classifier and tagger), which may read both ways and have a head of
/// their own size; so checkpoints and the wire carry one kind of configuration.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// The cell of every layer.
    public var cell: CellKind
    /// Activation of the vanilla RNN (ignored by other cells).
    public var activation: Activation
    /// Hidden size `H`.
    public var hidden: Int
    /// Number of stacked layers `L`.
    public var layers: Int
    /// Embedding size `E` (the input size of layer 0).
    public var embed: Int
    /// Vocabulary size `V`.
    public var vocab: Int
    /// LSTM only: diagonal peephole connections from c₋₁ into the i, f and o gates.
    public var peephole: Bool
    /// Dropout probability on the outputs of every layer but the last (0 disables it).
    public var dropout: Float
    /// Whether every layer also reads each example right to left (PyTorch's `bidirectional`),
    /// so a position sees its whole example. The language model must read one way only.
    public var bidirectional: Bool
    /// The head's size `C` when it is not the vocabulary (classes of a classifier or tagger,
    /// 1 for a binary one); nil for the language model, whose head predicts tokens.
    public var outputs: Int?
    /// Sequence-to-sequence only: the target vocabulary `Vt` the decoder reads and predicts
    /// (`vocab` is then the source vocabulary `Vs`); nil for every other model.
    public var targetVocab: Int?
    /// Sequence-to-sequence only: the decoder's attention over the encoder; nil otherwise.
    public var attention: AttentionKind?

    /// Creates a configuration.
    /// - Parameters:
    ///   - cell: the cell kind.
    ///   - activation: the vanilla RNN's nonlinearity.
    ///   - hidden: hidden size `H`.
    ///   - layers: number of layers `L`.
    ///   - embed: embedding size `E`; defaults to `H`.
    ///   - vocab: vocabulary size `V`.
    ///   - peephole: LSTM peepholes.
    ///   - dropout: dropout between layers.
    ///   - bidirectional: read each example both ways (example models only).
    ///   - outputs: the head's size `C`; nil for a head over the vocabulary.
    ///   - targetVocab: sequence-to-sequence: the target vocabulary `Vt`; nil otherwise.
    ///   - attention: sequence-to-sequence: the attention kind; nil otherwise.
    public init(cell: CellKind, activation: Activation = .tanh, hidden: Int, layers: Int = 1,
                embed: Int? = nil, vocab: Int, peephole: Bool = false, dropout: Float = 0,
                bidirectional: Bool = false, outputs: Int? = nil, targetVocab: Int? = nil,
                attention: AttentionKind? = nil) {
        self.cell = cell
        self.activation = activation
        self.hidden = hidden
        self.layers = layers
        self.embed = embed ?? hidden
        self.vocab = vocab
        self.peephole = peephole
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.outputs = outputs
        self.targetVocab = targetVocab
        self.attention = attention
    }

    /// Whether this is an encoder–decoder model (`Seq2SeqModel`): set by `targetVocab`.
    public var isSeq2Seq: Bool { targetVocab != nil }

    /// Directions `D` each layer reads in: 2 when bidirectional, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }

    /// The head's size `C`: `outputs`, the target vocabulary `Vt` of a sequence-to-sequence
    /// model, or the vocabulary for the language model.
    public var headSize: Int { targetVocab ?? outputs ?? vocab }

    /// Input size of layer `k`: `E` for the first layer; above it `D·H`, since a layer reads
    /// the outputs of both directions below it side by side, as PyTorch's stacked layers do.
    public func inputSize(layer k: Int) -> Int { k == 0 ? embed : directions * hidden }

    /// Carried state vectors per layer: 2 (h, c) for the LSTM, 1 (h) otherwise.
    public var stateSlots: Int { cell.hasCellState ? 2 : 1 }

    /// Floats of carried state per lane: `L · slots · H`.
    public var stateFloatsPerLane: Int { layers * stateSlots * hidden }

    /// Largest size of any one dimension (`hidden`, `embed`, `vocab`, `outputs`, `targetVocab`).
    /// A configuration arrives from files and peers: bounding each size first keeps the layout's
    /// products inside `Int` (at most about 2^57 with `maxLayers`), so a hostile one is refused
    /// instead of trapping on an overflow.
    public static let maxDimension = 1 << 20
    /// Most stacked layers: the layout holds a few tensors per layer, so more would only make a
    /// hostile configuration's layout slow to build.
    public static let maxLayers = 1 << 10
    /// Most parameters a model may have (16 GiB of float32): a configuration that passes the
    /// per-size bounds but would make a process allocate more than that is refused before any
    /// buffer is made.
    public static let maxParameters = 1 << 32

    /// Checks that every size is positive and within the bounds above, and the options fit the cell.
    /// - Throws: `ModelError.invalidConfig` naming the field.
    public func validate() throws {
        let sizes = [("hidden", hidden), ("embed", embed), ("vocab", vocab), ("outputs", outputs ?? 1),
                     ("targetVocab", targetVocab ?? 2)]
        for (name, size) in sizes where size > Self.maxDimension {
            throw ModelError.invalidConfig("\(name) must be at most \(Self.maxDimension), got \(size)")
        }
        if layers > Self.maxLayers { throw ModelError.invalidConfig("layers must be at most \(Self.maxLayers), got \(layers)") }
        if hidden < 1 { throw ModelError.invalidConfig("hidden must be at least 1, got \(hidden)") }
        if layers < 1 { throw ModelError.invalidConfig("layers must be at least 1, got \(layers)") }
        if embed < 1 { throw ModelError.invalidConfig("embed must be at least 1, got \(embed)") }
        if vocab < 2 { throw ModelError.invalidConfig("vocab must have at least 2 tokens, got \(vocab)") }
        if peephole && cell != .lstm { throw ModelError.invalidConfig("peephole needs --cell lstm, got \(cell.rawValue)") }
        if !(dropout >= 0 && dropout < 1) { throw ModelError.invalidConfig("dropout must be in [0, 1), got \(dropout)") }
        if let c = outputs, c < 1 { throw ModelError.invalidConfig("outputs must be at least 1, got \(c)") }
        if let vt = targetVocab, vt < 2 {
            throw ModelError.invalidConfig("targetVocab must have at least 2 tokens, got \(vt)")
        }
        if (targetVocab == nil) != (attention == nil) {
            throw ModelError.invalidConfig("targetVocab and attention go together: both set for a sequence-to-sequence "
                                           + "model, neither otherwise")
        }
        if attention == .dot && bidirectional {
            throw ModelError.invalidConfig("dot attention scores o·ē, which needs the encoder's outputs (2H wide when "
                                           + "bidirectional) as wide as the decoder's H: use general, or a unidirectional encoder")
        }
        if isSeq2Seq && outputs != nil {
            throw ModelError.invalidConfig("outputs is for example models; a sequence-to-sequence head predicts targetVocab")
        }
        let count = ParameterLayout(self).count
        if count > Self.maxParameters {
            throw ModelError.invalidConfig("the model would have \(count) parameters, more than the \(Self.maxParameters) allowed")
        }
    }

    private enum CodingKeys: String, CodingKey {
        case cell, activation, hidden, layers, embed, vocab, peephole, dropout, bidirectional, outputs, targetVocab, attention
    }

    /// Decodes a configuration; `bidirectional`, `outputs`, `targetVocab` and `attention` may be
    /// absent, so files written before example or sequence-to-sequence models existed still load
    /// as the models they describe.
    /// - Throws: `DecodingError` when a field is missing or of the wrong type.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cell = try c.decode(CellKind.self, forKey: .cell)
        activation = try c.decode(Activation.self, forKey: .activation)
        hidden = try c.decode(Int.self, forKey: .hidden)
        layers = try c.decode(Int.self, forKey: .layers)
        embed = try c.decode(Int.self, forKey: .embed)
        vocab = try c.decode(Int.self, forKey: .vocab)
        peephole = try c.decode(Bool.self, forKey: .peephole)
        dropout = try c.decode(Float.self, forKey: .dropout)
        bidirectional = try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false
        outputs = try c.decodeIfPresent(Int.self, forKey: .outputs)
        targetVocab = try c.decodeIfPresent(Int.self, forKey: .targetVocab)
        attention = try c.decodeIfPresent(AttentionKind.self, forKey: .attention)
    }

    /// Encodes a configuration, writing `bidirectional`, `outputs`, `targetVocab` and `attention`
    /// only when they differ from the language model's defaults, so a language model's (and an
    /// example model's) JSON is what it always was.
    /// - Throws: `EncodingError` from the encoder.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(activation, forKey: .activation)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(layers, forKey: .layers)
        try c.encode(embed, forKey: .embed)
        try c.encode(vocab, forKey: .vocab)
        try c.encode(peephole, forKey: .peephole)
        try c.encode(dropout, forKey: .dropout)
        if bidirectional { try c.encode(bidirectional, forKey: .bidirectional) }
        try c.encodeIfPresent(outputs, forKey: .outputs)
        try c.encodeIfPresent(targetVocab, forKey: .targetVocab)
        try c.encodeIfPresent(attention, forKey: .attention)
    }
}

/// Errors of model construction and use.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A configuration field is out of range.
    case invalidConfig(String)
    /// Tensors do not match the configuration.
    case shapeMismatch(String)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid model configuration: \(m)"
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        }
    }
}
