// ModelConfig: the architecture of a recurrent language model (cell, sizes, layers) and its gates.

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

/// The architecture of a stacked recurrent language model: embedding → L cells → linear head.
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
    public init(cell: CellKind, activation: Activation = .tanh, hidden: Int, layers: Int = 1,
                embed: Int? = nil, vocab: Int, peephole: Bool = false, dropout: Float = 0) {
        self.cell = cell
        self.activation = activation
        self.hidden = hidden
        self.layers = layers
        self.embed = embed ?? hidden
        self.vocab = vocab
        self.peephole = peephole
        self.dropout = dropout
    }

    /// Input size of layer `k`: `E` for the first layer, `H` above it.
    public func inputSize(layer k: Int) -> Int { k == 0 ? embed : hidden }

    /// Carried state vectors per layer: 2 (h, c) for the LSTM, 1 (h) otherwise.
    public var stateSlots: Int { cell.hasCellState ? 2 : 1 }

    /// Floats of carried state per lane: `L · slots · H`.
    public var stateFloatsPerLane: Int { layers * stateSlots * hidden }

    /// Checks that every size is positive and the options fit the cell.
    /// - Throws: `ModelError.invalidConfig` naming the field.
    public func validate() throws {
        if hidden < 1 { throw ModelError.invalidConfig("hidden must be at least 1, got \(hidden)") }
        if layers < 1 { throw ModelError.invalidConfig("layers must be at least 1, got \(layers)") }
        if embed < 1 { throw ModelError.invalidConfig("embed must be at least 1, got \(embed)") }
        if vocab < 2 { throw ModelError.invalidConfig("vocab must have at least 2 tokens, got \(vocab)") }
        if peephole && cell != .lstm { throw ModelError.invalidConfig("peephole needs --cell lstm, got \(cell.rawValue)") }
        if !(dropout >= 0 && dropout < 1) { throw ModelError.invalidConfig("dropout must be in [0, 1), got \(dropout)") }
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
