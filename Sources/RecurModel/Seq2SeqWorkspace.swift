// Seq2SeqWorkspace: every buffer of one padded batch of source–target pairs (S source and T target
// positions × N examples) for the encoder–decoder, allocated once.
import RecurMath

/// All buffers for forward and backward passes of a `Seq2SeqModel` over batches of at most `S`
/// source positions, `T` target positions and exactly `N` examples.
///
/// Built once per (configuration, S, T, N) and reused for every batch, so a pass never
/// allocates. The encoder and decoder stacks keep the example models' buffers (the encoder's
/// head input is the attention's memory ē, the decoder's is the attentional state h̃); the rest
/// holds the bridge, the attention and the gradients crossing between them.
public final class Seq2SeqWorkspace {
    /// The architecture these buffers fit.
    public let config: ModelConfig
    /// Capacity in source positions `S`.
    public let sourceSteps: Int
    /// Capacity in target positions `T`.
    public let targetSteps: Int
    /// Examples per batch `N`.
    public let lanes: Int
    /// Logits, then their gradient [T, N, Vt].
    public let logits: FloatBuffer
    /// The encoder stack's buffers; `features` [S, N, D·H] holds ē, `dFeatures` its gradient.
    let encoder: ExampleWorkspace
    /// The decoder stack's buffers; `features` [T, N, H] holds h̃, `dFeatures` its gradient,
    /// `dY[0]` the gradient of the top outputs o.
    let decoder: ExampleWorkspace
    /// General attention: keys W_in·ē [S, N, H] and their gradient (empty otherwise).
    let keys: FloatBuffer, dKeys: FloatBuffer
    /// Attention weights per example [N, T, S] (row t of example j: a_{t,·}, zero at padding).
    let weights: FloatBuffer
    /// Per lane block, one example's score gradients [T, S].
    let dScores: FloatBuffer
    /// [c_t ; o_t] [T, N, D·H + H], the input of W_out, and its gradient (empty without attention).
    let concat: FloatBuffer, dConcat: FloatBuffer
    /// Bidirectional: per layer, [→h ; ←h] and [→c ; ←c] of the encoder's final states [N, 2H].
    let bridgeH: [FloatBuffer], bridgeC: [FloatBuffer]
    /// Bidirectional: the gradient of a bridge's input [N, 2H].
    let dBridge: FloatBuffer
    /// Per layer: gradients of the decoder's initial h and c [N, H].
    let dH0: [FloatBuffer], dC0: [FloatBuffer]
    /// Bidirectional: per layer and direction, gradients of the encoder's final h and c [N, H].
    let dFinalH: [[FloatBuffer]], dFinalC: [[FloatBuffer]]
    /// LSTM: the encoder's cell-state gradients spread over positions [S, N, H].
    let cellScratch: FloatBuffer
    /// The decoder's lengths [N] (every example T: padding is handled by the targets).
    let targetLengths: UnsafeMutablePointer<Int32>
    /// Per-class scratch [Vt]: the head bias gradient's column sums; per-unit scratch [H].
    let classScratch: FloatBuffer, unitScratch: FloatBuffer

    /// Buffers for batches of up to `sourceSteps` S × `targetSteps` T positions and exactly `lanes` N examples.
    /// - Parameters:
    ///   - config: a sequence-to-sequence architecture.
    ///   - sourceSteps: source positions per batch `S` (the longest source it can hold).
    ///   - targetSteps: decoder positions per batch `T`.
    ///   - lanes: examples per batch `N`.
    public init(config: ModelConfig, sourceSteps: Int, targetSteps: Int, lanes: Int) {
        precondition(config.isSeq2Seq, "a Seq2SeqWorkspace needs a sequence-to-sequence configuration")
        precondition(sourceSteps >= 1 && targetSteps >= 1 && lanes >= 1, "a workspace needs a position and an example")
        self.config = config
        self.sourceSteps = sourceSteps
        self.targetSteps = targetSteps
        self.lanes = lanes
        let h = config.hidden, l = config.layers, n = lanes, width = config.directions * h
        let sn = sourceSteps * n, tn = targetSteps * n, attends = config.attention != AttentionKind.none
        encoder = ExampleWorkspace(config: config.encoderConfig, pooling: .everyToken, steps: sourceSteps, lanes: n)
        decoder = ExampleWorkspace(config: config.decoderConfig, pooling: .everyToken, steps: targetSteps, lanes: n)
        logits = decoder.logits
        let general = config.attention == .general
        keys = FloatBuffer(count: general ? sn * h : 0)
        dKeys = FloatBuffer(count: general ? sn * h : 0)
        weights = FloatBuffer(count: attends ? n * targetSteps * sourceSteps : 0)
        dScores = FloatBuffer(count: attends ? LaneBlocks.count(lanes: n) * targetSteps * sourceSteps : 0)
        concat = FloatBuffer(count: attends ? tn * (width + h) : 0)
        dConcat = FloatBuffer(count: attends ? tn * (width + h) : 0)
        let bi = config.bidirectional, lstm = config.cell.hasCellState
        bridgeH = (0..<l).map { _ in FloatBuffer(count: bi ? n * 2 * h : 0) }
        bridgeC = (0..<l).map { _ in FloatBuffer(count: bi && lstm ? n * 2 * h : 0) }
        dBridge = FloatBuffer(count: bi ? n * 2 * h : 0)
        dH0 = (0..<l).map { _ in FloatBuffer(count: n * h) }
        dC0 = (0..<l).map { _ in FloatBuffer(count: lstm ? n * h : 0) }
        dFinalH = (0..<l).map { _ in (0..<2).map { _ in FloatBuffer(count: bi ? n * h : 0) } }
        dFinalC = (0..<l).map { _ in (0..<2).map { _ in FloatBuffer(count: bi && lstm ? n * h : 0) } }
        cellScratch = FloatBuffer(count: lstm ? sn * h : 0)
        targetLengths = .allocate(capacity: n)
        targetLengths.initialize(repeating: Int32(targetSteps), count: n)
        classScratch = FloatBuffer(count: config.headSize)
        unitScratch = FloatBuffer(count: h)
    }

    deinit { targetLengths.deallocate() }

    /// Bytes held by the workspace's buffers.
    public var bytes: Int {
        var floats = keys.count + dKeys.count + weights.count + dScores.count + concat.count + dConcat.count
        floats += dBridge.count + cellScratch.count + classScratch.count + unitScratch.count
        for b in bridgeH + bridgeC + dH0 + dC0 + Array(dFinalH.joined()) + Array(dFinalC.joined()) { floats += b.count }
        return encoder.bytes + decoder.bytes + floats * 4 + lanes * 4
    }
}
