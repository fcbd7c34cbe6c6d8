// ExampleWorkspace: every buffer of one padded batch of whole examples (T positions × N examples)
// for the classifier and the tagger, allocated once.
import RecurMath

/// All buffers for forward and backward passes of an `ExampleModel` over batches of at most
/// `T` positions and exactly `N` examples.
///
/// Built once per (configuration, pooling, N, T) and reused for every batch, so a pass never
/// allocates. Each direction of each layer keeps its own activations: the right-to-left
/// direction's are in its own (per-example reversed) time order.
public final class ExampleWorkspace {
    /// The architecture these buffers fit.
    public let config: ModelConfig
    /// The head these buffers fit.
    public let pooling: ExampleModel.Pooling
    /// Capacity in positions `T`.
    public let steps: Int
    /// Examples per batch `N`.
    public let lanes: Int
    /// Logits, then their gradient: [T, N, C] for `.everyToken`, [N, C] for `.lastToken`.
    public let logits: FloatBuffer
    /// Per layer, per direction (0 left to right, 1 right to left): the activations.
    let layers: [[LayerActivations]]
    /// Scratch shared by every layer and direction in turn.
    let shared: LayerScratch
    /// Per direction, embedded inputs in that direction's time order [T, N, E] (dense first
    /// layer only, when V ≥ T·N).
    let embedded: [FloatBuffer]
    /// Token ids [T, N] of the right-to-left direction: each example's tokens reversed, its
    /// padding left in place.
    let reversedIds: UnsafeMutablePointer<Int32>
    /// The row [T·N] each row of the reversed order comes from: row t·N + j ↦ rev_j(t)·N + j,
    /// with rev_j(t) = len_j − 1 − t for t < len_j and t otherwise (an involution).
    let reversedRow: UnsafeMutablePointer<Int32>
    /// Per layer k ≥ 1, per direction: the layer's input [T, N, D·H] in that direction's order,
    /// [→a, ←a] of the layer below after dropout (empty for layer 0).
    let inputs: [[FloatBuffer]]
    /// Per layer k < L − 1, per direction: its output's dropout mask [T, N, H], by position.
    let masks: [[FloatBuffer]]
    /// The head's input: [T, N, D·H] for `.everyToken`, [N, D·H] for `.lastToken`.
    let features: FloatBuffer
    /// The gradient into `features` (same shape).
    let dFeatures: FloatBuffer
    /// Per direction: gradient into the layer's outputs [T, N, H] in that direction's order.
    let dY: [FloatBuffer]
    /// Per direction: gradient into the layer's inputs [T, N, max(E, D·H)] in that direction's order.
    let dX: [FloatBuffer]
    /// Targets as scored [T, N] or [N]: padding and ignored labels set to −1.
    let labels: UnsafeMutablePointer<Int32>
    /// Per-class scratch [C]: the head bias gradient's column sums.
    let classScratch: FloatBuffer

    /// Allocates buffers for batches of up to `steps` positions × `lanes` examples.
    /// - Parameters:
    ///   - config: the architecture.
    ///   - pooling: which head the model has (it decides the logits' shape).
    ///   - steps: positions per batch, `T` (the longest example it can hold).
    ///   - lanes: examples per batch, `N`.
    public init(config: ModelConfig, pooling: ExampleModel.Pooling, steps: Int, lanes: Int) {
        precondition(steps >= 1 && lanes >= 1, "a workspace needs at least one position and one example")
        self.config = config
        self.pooling = pooling
        self.steps = steps
        self.lanes = lanes
        let h = config.hidden, d = config.directions, dh = d * h, tn = steps * lanes, l = config.layers
        let rows = pooling == .everyToken ? tn : lanes
        logits = FloatBuffer(count: rows * config.headSize)
        layers = (0..<l).map { k in
            (0..<d).map { _ in LayerActivations(config: config, layer: k, steps: steps, lanes: lanes, ownsDropout: false) }
        }
        shared = LayerScratch(config: config, steps: steps, lanes: lanes)
        // A dense first layer (V ≥ T·N) embeds at most min(T·N, V) rows per direction.
        embedded = (0..<d).map { _ in FloatBuffer(count: min(tn, config.vocab) * config.embed) }
        reversedIds = .allocate(capacity: tn)
        reversedIds.initialize(repeating: 0, count: tn)
        reversedRow = .allocate(capacity: tn)
        reversedRow.initialize(repeating: 0, count: tn)
        inputs = (0..<l).map { k in (0..<d).map { _ in FloatBuffer(count: k == 0 ? 0 : tn * dh) } }
        let drops = config.dropout > 0
        masks = (0..<l).map { k in (0..<d).map { _ in FloatBuffer(count: drops && k < l - 1 ? tn * h : 0) } }
        features = FloatBuffer(count: rows * dh)
        dFeatures = FloatBuffer(count: rows * dh)
        dY = (0..<d).map { _ in FloatBuffer(count: tn * h) }
        dX = (0..<d).map { _ in FloatBuffer(count: tn * max(config.embed, dh)) }
        labels = .allocate(capacity: rows)
        labels.initialize(repeating: -1, count: rows)
        classScratch = FloatBuffer(count: config.headSize)
    }

    deinit {
        reversedIds.deallocate()
        reversedRow.deallocate()
        labels.deallocate()
    }

    /// Whether the first layer of a `steps`-position batch reads tokens through E·W_ihᵀ (V < T·N).
    func readsTokens(steps: Int) -> Bool { shared.readsTokens(steps: steps) }

    /// Bytes held by the workspace's buffers.
    public var bytes: Int {
        var floats = logits.count + features.count + dFeatures.count + shared.floats
        for b in embedded + inputs.joined() + masks.joined() + dY + dX { floats += b.count }
        for a in layers.joined() { floats += a.floats }
        return floats * 4 + steps * lanes * 8 + (logits.count / config.headSize) * 4
    }
}
