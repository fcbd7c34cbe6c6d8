// Workspace: every activation and scratch buffer of one chunk (T steps × N lanes), allocated once.
import RecurMath

/// Activations of one layer over a chunk, kept for the backward pass.
public final class LayerActivations {
    /// Hidden states [T+1, N, H]; row block 0 is the initial state.
    let hs: FloatBuffer
    /// LSTM cell states [T+1, N, H]; row block 0 is the initial state (empty for other cells).
    let cs: FloatBuffer
    /// Gate values after their nonlinearity [T, N, G·H] (pre-activations while being built, and
    /// their gradients after the backward pass).
    let gates: FloatBuffer
    /// GRU only: r ∗ h₋₁ [T, N, H] (empty otherwise).
    let aux: FloatBuffer
    /// The recurrent weights packed for `PackedGEMM`: forward uses W_hhᵀ, backward W_hh. The
    /// GRU's candidate block is packed apart, since it multiplies r ∗ h₋₁ rather than h₋₁.
    let packForward: PackedPanels, packForwardC: PackedPanels?
    let packBackward: PackedPanels, packBackwardC: PackedPanels?
    /// Inverted-dropout mask applied to this layer's outputs [T, N, H] (empty when unused).
    let mask: FloatBuffer
    /// This layer's outputs after dropout [T, N, H], the next layer's input (empty when unused).
    let dropped: FloatBuffer

    /// - Parameter ownsDropout: whether to allocate `mask` and `dropped` for a layer that drops
    ///   its outputs (the language model); example models keep their masks elsewhere.
    init(config: ModelConfig, layer k: Int, steps t: Int, lanes n: Int, ownsDropout: Bool = true) {
        let h = config.hidden, g = config.cell.gates
        hs = FloatBuffer(count: (t + 1) * n * h)
        cs = FloatBuffer(count: config.cell.hasCellState ? (t + 1) * n * h : 0)
        gates = FloatBuffer(count: t * n * g * h)
        let needsAux = config.cell == .gru  // the LSTM's tanh(c) is recomputed in the backward pass
        aux = FloatBuffer(count: needsAux ? t * n * h : 0)
        let dropsOutput = ownsDropout && config.dropout > 0 && k < config.layers - 1
        let gru = config.cell == .gru
        packForward = PackedPanels(k: h, n: gru ? 2 * h : g * h)
        packForwardC = gru ? PackedPanels(k: h, n: h) : nil
        packBackward = PackedPanels(k: gru ? 2 * h : g * h, n: h)
        packBackwardC = gru ? PackedPanels(k: h, n: h) : nil
        mask = FloatBuffer(count: dropsOutput ? t * n * h : 0)
        dropped = FloatBuffer(count: dropsOutput ? t * n * h : 0)
    }
}

/// All buffers for forward and backward passes over chunks of at most `T` steps and `N` lanes.
///
/// Built once per (configuration, N, T) and reused for every chunk, so the time loop never
/// allocates.
public final class Workspace {
    /// The architecture these buffers fit.
    public let config: ModelConfig
    /// Capacity in time steps `T`.
    public let steps: Int
    /// Capacity in lanes `N`.
    public let lanes: Int
    /// Embedded inputs [T, N, E].
    let embedded: FloatBuffer
    /// Per-layer activations.
    let layers: [LayerActivations]
    /// Logits, then their gradient [T, N, V].
    public let logits: FloatBuffer
    /// Gradient into a layer's outputs [T, N, max(E, H)] (two buffers used in turn).
    let dOut: FloatBuffer, dIn: FloatBuffer
    /// The scratch every layer's pass uses in turn.
    let shared: LayerScratch
    /// Per-class scratch [V]: the head bias gradient's column sums.
    let classScratch: FloatBuffer

    /// Allocates buffers for chunks of up to `steps` × `lanes`.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - steps: time steps per chunk, `T`.
    ///   - lanes: parallel streams, `N`.
    public init(config: ModelConfig, steps: Int, lanes: Int) {
        self.config = config
        self.steps = steps
        self.lanes = lanes
        let h = config.hidden, tn = steps * lanes
        // Reading tokens through E·W_ihᵀ, the first layer only embeds chunks of at most V rows.
        embedded = FloatBuffer(count: min(tn, config.vocab < tn ? config.vocab : tn) * config.embed)
        layers = (0..<config.layers).map { LayerActivations(config: config, layer: $0, steps: steps, lanes: lanes) }
        logits = FloatBuffer(count: tn * config.vocab)
        dOut = FloatBuffer(count: tn * max(config.embed, h))
        dIn = FloatBuffer(count: tn * max(config.embed, h))
        shared = LayerScratch(config: config, steps: steps, lanes: lanes)
        classScratch = FloatBuffer(count: config.vocab)
    }

    /// Whether the first layer of a `steps`-step chunk reads tokens through E·W_ihᵀ (V < T·N).
    func readsTokens(steps: Int) -> Bool { shared.readsTokens(steps: steps) }

    /// Bytes held by the workspace's buffers.
    public var bytes: Int {
        var floats = embedded.count + logits.count + dOut.count + dIn.count + shared.floats
        for l in layers { floats += l.floats }
        return floats * 4
    }
}

extension LayerActivations {
    /// Floats held by this layer's buffers (the packed weights aside).
    var floats: Int { hs.count + cs.count + gates.count + aux.count + mask.count + dropped.count }
}

/// The scratch of one layer's pass over a chunk, reused by every layer and direction in turn
/// (the passes run one after another), so a deeper or bidirectional model needs no more of it.
final class LayerScratch {
    /// The architecture.
    let config: ModelConfig
    /// Lanes `N` (the lane blocks of the time loop split it).
    let lanes: Int
    /// Recurrent gradients [N, H]: into h₋₁ and c₋₁ of the step being processed, and scratch.
    let dh: FloatBuffer, dhPrev: FloatBuffer, dc: FloatBuffer, scratch: FloatBuffer
    /// Per-gate-row scratch [G·H]: summed biases forward, column sums backward.
    let rowScratch: FloatBuffer
    /// First layer, when V < T·N: E·W_ihᵀ [V, G·H], and the per-token gradient sums [V, G·H].
    let tokenTable: FloatBuffer, tokenGrad: FloatBuffer
    /// Per-lane-block peephole gradient sums [blocks, 3, H].
    let peepScratch: FloatBuffer

    init(config: ModelConfig, steps: Int, lanes: Int) {
        self.config = config
        self.lanes = lanes
        let h = config.hidden, tn = steps * lanes
        dh = FloatBuffer(count: lanes * h)
        dhPrev = FloatBuffer(count: lanes * h)
        dc = FloatBuffer(count: lanes * h)
        scratch = FloatBuffer(count: lanes * h)
        rowScratch = FloatBuffer(count: config.cell.gates * h)
        let byToken = config.vocab < tn
        tokenTable = FloatBuffer(count: byToken ? config.vocab * config.cell.gates * h : 0)
        tokenGrad = FloatBuffer(count: byToken ? config.vocab * config.cell.gates * h : 0)
        peepScratch = FloatBuffer(count: config.peephole ? LaneBlocks.count(lanes: lanes) * 3 * h : 0)
    }

    /// Whether the first layer of a `steps`-step chunk reads tokens through E·W_ihᵀ (V < T·N).
    func readsTokens(steps: Int) -> Bool { tokenTable.count > 0 && config.vocab < steps * lanes }

    /// Floats held by the scratch buffers.
    var floats: Int { dh.count + dhPrev.count + dc.count + scratch.count + tokenTable.count + tokenGrad.count }
}

/// Pointers to one layer's parameters (or their gradients) inside a flat vector.
struct LayerParams {
    /// [G·H, in]
    let wih: UnsafeMutablePointer<Float>
    /// [G·H, H]
    let whh: UnsafeMutablePointer<Float>
    /// [G·H]
    let bih: UnsafeMutablePointer<Float>
    /// [G·H]
    let bhh: UnsafeMutablePointer<Float>
    /// [3, H] peepholes (i, f, o), or nil.
    let peep: UnsafeMutablePointer<Float>?

    /// The tensors of layer `k` read in direction `d` (1: the `_reverse` ones).
    init(_ base: UnsafeMutablePointer<Float>, layout: ParameterLayout, layer k: Int, direction d: Int = 0) {
        let l = ParameterLayout.suffix(layer: k, direction: d)
        wih = base + layout.offset("rnn.weight_ih_\(l)")
        whh = base + layout.offset("rnn.weight_hh_\(l)")
        bih = base + layout.offset("rnn.bias_ih_\(l)")
        bhh = base + layout.offset("rnn.bias_hh_\(l)")
        peep = layout.spec("rnn.weight_peephole_\(l)").map { base + $0.offset }
    }
}
