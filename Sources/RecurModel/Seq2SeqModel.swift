// Seq2SeqModel: the encoder–decoder with Luong attention over a padded batch of source–target
// pairs: encoder stack → (bridge) → teacher-forced decoder stack → attention → linear head.
import RecurMath

/// A recurrent encoder–decoder (sequence to sequence) with Luong attention: the computation,
/// with parameters outside, like the other models, so one model serves training, shards,
/// evaluation and decoding.
///
/// The encoder is an example model's stack (one- or two-way, packed-sequence semantics) over a
/// padded, time-major source batch [S, N] with lengths [N]; its top outputs ē [S, N, D·H] are
/// the attention's memory, and its final states start the decoder (through a learned linear
/// bridge per layer when bidirectional, since the decoder's state is H wide). The decoder reads
/// the target inputs `<BOS> y1 … ym` teacher-forced; at each step its top output o_t attends
/// over the real source positions (scores o_t·ē_s or o_t·W_in ē_s, softmax, context c_t), and
/// h̃_t = tanh(W_out [c_t ; o_t]) feeds the head. Names, order and results are those of the
/// PyTorch reference module (scripts/torch_golden_seq2seq.py).
public struct Seq2SeqModel: Sendable {
    /// The architecture (`vocab` is the source vocabulary, `targetVocab` the target's).
    public let config: ModelConfig
    /// Where each tensor lives in the flat vector (`ParameterLayout(config)`).
    public let layout: ParameterLayout
    /// The encoder stack, on the vector from offset 0 (its head is never run).
    let encoder: ExampleModel
    /// The decoder stack (and head), on the vector from `decoderBase`.
    let decoder: ExampleModel
    /// Offset of the decoder's block.
    let decoderBase: Int

    /// Creates the model of a sequence-to-sequence configuration.
    /// - Throws: `ModelError.invalidConfig` unless `config.isSeq2Seq` and it validates.
    public init(_ config: ModelConfig) throws {
        guard config.isSeq2Seq else {
            throw ModelError.invalidConfig("a sequence-to-sequence model needs targetVocab and attention")
        }
        try config.validate()
        self.config = config
        layout = ParameterLayout(config)
        encoder = try ExampleModel(config.encoderConfig, pooling: .everyToken)
        decoder = try ExampleModel(config.decoderConfig, pooling: .everyToken)
        decoderBase = layout.decoderBase
    }

    /// Teacher-forced forward; afterwards ws.logits holds [T, N, Vt] (rows at padding meaningless).
    /// - Parameters:
    ///   - params: the flat parameter vector.
    ///   - ws: buffers for at least `sourceSteps` × `targetSteps` positions and exactly N examples.
    ///   - source: source token ids [S, N]; padding may hold any id of the source vocabulary.
    ///   - sourceLengths: [N], each in 1...S.
    ///   - sourceSteps: `S`.
    ///   - decoderInputs: [T, N] ids of the target vocabulary, `<BOS> y1 … ym` then any padding id.
    ///   - targetSteps: `T`.
    ///   - dropout: the mask key (its `firstLane` is the global index of example 0), or nil.
    public func forward(params: UnsafePointer<Float>, ws: Seq2SeqWorkspace, source: UnsafePointer<Int32>,
                        sourceLengths: UnsafePointer<Int32>, sourceSteps: Int, decoderInputs: UnsafePointer<Int32>,
                        targetSteps: Int, dropout: DropoutKey?) {
        precondition(ws.config == config && sourceSteps >= 1 && sourceSteps <= ws.sourceSteps
                     && targetSteps >= 1 && targetSteps <= ws.targetSteps, "workspace does not fit the batch")
        let n = ws.lanes, h = config.hidden, tn = targetSteps * n
        encoder.runLayers(params: params, ws: ws.encoder, inputs: source, lengths: sourceLengths, steps: sourceSteps,
                          dropout: dropout, needs: nil)
        encoder.gatherOutputs(ws: ws.encoder, layer: config.layers - 1, into: ws.encoder.features.pointer, masks: nil,
                              steps: sourceSteps)
        initialStates(params: params, ws: ws, lengths: sourceLengths)
        ws.targetLengths.update(repeating: Int32(targetSteps), count: n)
        decoder.runLayers(params: params + decoderBase, ws: ws.decoder, inputs: decoderInputs, lengths: ws.targetLengths,
                          steps: targetSteps, dropout: dropout, needs: nil, initialState: true, maskLayer: config.layers)
        attend(params: params, ws: ws, lengths: sourceLengths, sourceSteps: sourceSteps, targetSteps: targetSteps)
        LinearHead.forward(rows: tn, inputs: h, classes: config.headSize, x: ws.decoder.features.pointer,
                           w: params + layout.offset("decoder.head.weight"), b: params + layout.offset("decoder.head.bias"),
                           y: ws.logits.pointer)
    }

    /// Summed loss without gradients (no dropout). targets [T, N], −1 ignored.
    /// - Parameters: as `forward`, plus `targets` [T, N]: the next target token at each decoder
    ///   position (`y1 … ym <EOS>`), negative where nothing is scored.
    /// - Returns: the summed loss and the number of targets scored.
    public func loss(params: UnsafePointer<Float>, ws: Seq2SeqWorkspace, source: UnsafePointer<Int32>,
                     sourceLengths: UnsafePointer<Int32>, sourceSteps: Int, decoderInputs: UnsafePointer<Int32>,
                     targets: UnsafePointer<Int32>, targetSteps: Int) -> ChunkLoss {
        forward(params: params, ws: ws, source: source, sourceLengths: sourceLengths, sourceSteps: sourceSteps,
                decoderInputs: decoderInputs, targetSteps: targetSteps, dropout: nil)
        return headLoss(ws: ws, targets: targets, targetSteps: targetSteps, gradient: false)
    }

    /// Scores `ws.logits` against `targets`, and with `gradient` replaces them with the gradient
    /// of the summed loss (zero rows where the target is ignored).
    func headLoss(ws: Seq2SeqWorkspace, targets: UnsafePointer<Int32>, targetSteps: Int, gradient: Bool) -> ChunkLoss {
        let rows = targetSteps * ws.lanes, vt = config.headSize
        for r in 0..<rows {
            precondition(targets[r] < vt, "target id \(targets[r]) outside the target vocabulary of \(vt)")
        }
        let r = SoftmaxCrossEntropy.lossSum(rows: rows, classes: vt, logits: ws.logits.pointer, targets: targets,
                                            gradient: gradient)
        return ChunkLoss(sum: r.loss, count: r.count)
    }

    /// Writes each decoder layer's initial state (row block 0 of its `hs`, `cs`) from the
    /// encoder's final states of the same layer: copied when unidirectional; through the bridge
    /// h0 = W [→h ; ←h] + b (and likewise c0) when bidirectional, keeping the bridge's inputs.
    func initialStates(params: UnsafePointer<Float>, ws: Seq2SeqWorkspace, lengths: UnsafePointer<Int32>) {
        let n = ws.lanes, h = config.hidden, lstm = config.cell.hasCellState
        for k in 0..<config.layers {
            let dec = ws.decoder.layers[k][0], enc = ws.encoder.layers[k]
            if !config.bidirectional {
                for j in 0..<n {
                    let last = (Int(lengths[j]) * n + j) * h
                    (dec.hs.pointer + j * h).update(from: enc[0].hs.pointer + last, count: h)
                    if lstm { (dec.cs.pointer + j * h).update(from: enc[0].cs.pointer + last, count: h) }
                }
                continue
            }
            for (part, x, out) in bridgeParts(ws: ws, layer: k) {
                for j in 0..<n {
                    let last = (Int(lengths[j]) * n + j) * h
                    for d in 0..<2 {
                        let src = (part == "h" ? enc[d].hs.pointer : enc[d].cs.pointer) + last
                        (x + (j * 2 + d) * h).update(from: src, count: h)
                    }
                }
                LinearHead.forward(rows: n, inputs: 2 * h, classes: h, x: x,
                                   w: params + layout.offset("bridge.\(part)_l\(k).weight"),
                                   b: params + layout.offset("bridge.\(part)_l\(k).bias"), y: out)
            }
        }
    }

    /// Layer `k`'s bridges: (name part, input [N, 2H], the decoder state it writes [N, H]).
    func bridgeParts(ws: Seq2SeqWorkspace, layer k: Int) -> [(String, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)] {
        let dec = ws.decoder.layers[k][0]
        var parts = [("h", ws.bridgeH[k].pointer, dec.hs.pointer)]
        if config.cell.hasCellState { parts.append(("c", ws.bridgeC[k].pointer, dec.cs.pointer)) }
        return parts
    }
}
