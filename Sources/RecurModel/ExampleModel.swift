// ExampleModel: the many-to-one classifier and the aligned many-to-many tagger over a padded
// batch of whole examples: embedding → L layers, each one- or two-way → linear head.
import RecurMath

/// What an example model's head is trained against. Each pointer is read during the call only.
public enum ExampleTargets {
    /// A class per position [T, N] (tagger, softmax over C); −1 and padding are ignored.
    case tokenClasses(UnsafePointer<Int32>)
    /// A 0/1 label per position [T, N] (tagger with C = 1, sigmoid); −1 and padding are ignored.
    case tokenBinary(UnsafePointer<Int32>)
    /// A class per example [N] (classifier, softmax over C); −1 is ignored.
    case exampleClasses(UnsafePointer<Int32>)
    /// A 0/1 label per example [N] (classifier with C = 1, sigmoid); −1 is ignored.
    case exampleBinary(UnsafePointer<Int32>)
}

/// A recurrent classifier or tagger of whole examples: the computation, with parameters outside.
///
/// Unlike the language model, which carries state across chunks of endless streams, every
/// example here starts from a zero state and is read whole, so a layer may also read it right to
/// left. A batch is N examples padded to T positions, time-major; example j holds `len_j` real
/// tokens at positions 0..<len_j. The right-to-left direction reads each example's tokens
/// reversed (its padding stays after them), so padding never reaches a real position in either
/// direction, and the numbers of an example do not depend on what it is batched with. The
/// parameters are PyTorch's (`nn.Embedding`, `nn.LSTM(bidirectional:)`, `nn.Linear`) by name
/// and order, and the results are those of packed sequences.
public struct ExampleModel: Sendable {
    /// Which positions the head reads.
    public enum Pooling: String, Codable, Sendable {
        /// Classifier: one prediction per example, from the top layer's final states
        /// (PyTorch's `h_n`): left to right after the last token, right to left after the first.
        case lastToken
        /// Tagger: one prediction per position, from both directions' outputs there.
        case everyToken
    }

    /// The architecture.
    public let config: ModelConfig
    /// Where each tensor lives in the flat vector.
    public let layout: ParameterLayout
    /// The head's kind.
    public let pooling: Pooling

    /// Creates the model of a configuration.
    /// - Parameters:
    ///   - config: the architecture; its `headSize` is the number of classes C (1 for binary).
    ///   - pooling: classifier (`.lastToken`) or tagger (`.everyToken`).
    /// - Throws: `ModelError.invalidConfig` when a size or option is out of range, or the
    ///   configuration is an encoder–decoder's.
    public init(_ config: ModelConfig, pooling: Pooling) throws {
        try config.validate()
        if config.isSeq2Seq {
            throw ModelError.invalidConfig("targetVocab and attention are for Seq2SeqModel, not example models")
        }
        self.config = config
        self.layout = ParameterLayout(config)
        self.pooling = pooling
    }

    /// Runs the forward pass over a padded batch of `ws.lanes` examples.
    ///
    /// On return `ws.logits` holds [T, N, C] logits (`.everyToken`; rows at padding are
    /// computed but meaningless) or [N, C] (`.lastToken`).
    /// - Parameters:
    ///   - params: the flat parameter vector.
    ///   - ws: buffers sized for at least `steps` positions × exactly N examples.
    ///   - inputs: token ids [T, N]; padded positions may hold any id of the vocabulary.
    ///   - lengths: [N], each in 1...T: real tokens of each example.
    ///   - steps: `T`, at most `ws.steps`.
    ///   - dropout: the mask key (its `firstLane` is the global index of example 0), or nil.
    ///   - needs: called with an offset `end` before the pass reads `params[0..<end]`: each
    ///     layer's end in turn, then the whole vector for the head.
    public func forward(params: UnsafePointer<Float>, ws: ExampleWorkspace, inputs: UnsafePointer<Int32>,
                        lengths: UnsafePointer<Int32>, steps: Int, dropout: DropoutKey?,
                        needs: ((_ end: Int) -> Void)? = nil) {
        precondition(steps >= 1 && steps <= ws.steps && ws.config == config && ws.pooling == pooling,
                     "workspace does not fit the batch")
        runLayers(params: params, ws: ws, inputs: inputs, lengths: lengths, steps: steps, dropout: dropout, needs: needs)
        let cfg = config, n = ws.lanes, h = cfg.hidden, tn = steps * n, dirs = cfg.directions
        needs?(layout.count)
        let rows = pooling == .everyToken ? tn : n
        switch pooling {
        case .everyToken:
            gatherOutputs(ws: ws, layer: cfg.layers - 1, into: ws.features.pointer, masks: nil, steps: steps)
        case .lastToken:
            // Each direction's state after its last real step: row len_j of its own order.
            for j in 0..<n {
                let last = Int(lengths[j]) * n + j
                for d in 0..<dirs {
                    (ws.features.pointer + (j * dirs + d) * h).update(from: ws.layers[cfg.layers - 1][d].hs.pointer + last * h, count: h)
                }
            }
        }
        LinearHead.forward(rows: rows, inputs: dirs * h, classes: cfg.headSize, x: ws.features.pointer,
                           w: params + layout.offset("head.weight"), b: params + layout.offset("head.bias"), y: ws.logits.pointer)
    }

    /// The forward pass of the stacked layers alone (embedding and every layer, no head), shared
    /// with the encoder and decoder of `Seq2SeqModel`.
    /// - `initialState`: the layers' row block 0 of `hs` (and `cs`) already holds each layer's
    ///   initial state (a decoder's); otherwise every example starts from zero.
    /// - `maskLayer`: added to the layer index keying the dropout masks (a decoder's masks
    ///   follow its encoder's layers).
    func runLayers(params: UnsafePointer<Float>, ws: ExampleWorkspace, inputs: UnsafePointer<Int32>,
                   lengths: UnsafePointer<Int32>, steps: Int, dropout: DropoutKey?, needs: ((_ end: Int) -> Void)?,
                   initialState: Bool = false, maskLayer: Int = 0) {
        let cfg = config, n = ws.lanes, h = cfg.hidden, e = cfg.embed, tn = steps * n, dirs = cfg.directions
        needs?(layout.end(ofLayer: 0, layers: cfg.layers))
        let pm = UnsafeMutablePointer(mutating: params), emb = params + layout.offset("embedding.weight")
        reverse(ws: ws, inputs: inputs, lengths: lengths, steps: steps)
        let byToken = ws.readsTokens(steps: steps)
        if !byToken {
            for d in 0..<dirs {
                let ids = d == 0 ? inputs : UnsafePointer(ws.reversedIds), x = ws.embedded[d].pointer
                for r in 0..<tn { (x + r * e).update(from: emb + Int(ids[r]) * e, count: e) }
            }
        }
        for k in 0..<cfg.layers {
            if k > 0 { needs?(layout.end(ofLayer: k, layers: cfg.layers)) }
            for d in 0..<dirs {
                let a = ws.layers[k][d]
                if !initialState {
                    a.hs.pointer.update(repeating: 0, count: n * h)  // every example starts from zero
                    if cfg.cell.hasCellState { a.cs.pointer.update(repeating: 0, count: n * h) }
                }
                RecurrentLayer.forward(cfg, layer: k, a: a, ws: ws.shared, p: LayerParams(pm, layout: layout, layer: k, direction: d),
                                       input: layerInput(ws: ws, layer: k, direction: d, inputs: inputs, embedding: emb, steps: steps),
                                       steps: steps)
            }
            guard k + 1 < cfg.layers else { break }
            let masks = dropout != nil && cfg.dropout > 0 ? ws.masks[k] : nil
            if let key = dropout, let masks {
                for d in 0..<dirs {
                    DropoutMask.fill(masks[d].pointer, hidden: h, probability: cfg.dropout, lanes: n, layer: maskLayer + k,
                                     direction: d, steps: steps, key: key)
                }
            }
            gatherOutputs(ws: ws, layer: k, into: ws.inputs[k + 1][0].pointer, masks: masks, steps: steps)
            if dirs == 2 { permute(ws: ws, ws.inputs[k + 1][0].pointer, into: ws.inputs[k + 1][1].pointer, width: 2 * h, steps: steps) }
        }
    }

    /// The summed loss of a batch without gradients (the forward pass, no dropout, plus the loss).
    /// - Parameters: as `forward`, plus `targets`, which must suit the pooling (token targets
    ///   for the tagger, example targets for the classifier) and the head (binary needs C = 1).
    /// - Returns: the summed loss and the number of labels scored.
    public func loss(params: UnsafePointer<Float>, ws: ExampleWorkspace, inputs: UnsafePointer<Int32>,
                     lengths: UnsafePointer<Int32>, targets: ExampleTargets, steps: Int) -> ChunkLoss {
        forward(params: params, ws: ws, inputs: inputs, lengths: lengths, steps: steps, dropout: nil)
        return headLoss(ws: ws, lengths: lengths, targets: targets, steps: steps, gradient: false)
    }

    /// Scores `ws.logits` against `targets`, and with `gradient` replaces them with the gradient
    /// of the summed loss (zero at padding and ignored labels).
    func headLoss(ws: ExampleWorkspace, lengths: UnsafePointer<Int32>, targets: ExampleTargets, steps: Int,
                  gradient: Bool) -> ChunkLoss {
        let n = ws.lanes, c = config.headSize, labels = ws.labels
        let perToken: Bool, binary: Bool, y: UnsafePointer<Int32>
        switch targets {
        case .tokenClasses(let p): (perToken, binary, y) = (true, false, p)
        case .tokenBinary(let p): (perToken, binary, y) = (true, true, p)
        case .exampleClasses(let p): (perToken, binary, y) = (false, false, p)
        case .exampleBinary(let p): (perToken, binary, y) = (false, true, p)
        }
        precondition(perToken == (pooling == .everyToken), "\(pooling) pooling cannot score \(targets)")
        precondition(!binary || c == 1, "binary targets need a head of 1 output, not \(c)")
        let rows = perToken ? steps * n : n
        if perToken {
            for t in 0..<steps {
                for j in 0..<n { labels[t * n + j] = t < Int(lengths[j]) ? y[t * n + j] : -1 }
            }
        } else {
            labels.update(from: y, count: n)
        }
        let z = ws.logits.pointer
        if binary {
            let r = SigmoidBinaryCrossEntropy.lossSum(count: rows, logits: z, labels: labels, grad: gradient ? z : nil)
            return ChunkLoss(sum: r.loss, count: r.count)
        }
        let r = SoftmaxCrossEntropy.lossSum(rows: rows, classes: c, logits: z, targets: labels, gradient: gradient)
        return ChunkLoss(sum: r.loss, count: r.count)
    }

    /// What direction `d` of layer `k` reads, in that direction's order.
    func layerInput(ws: ExampleWorkspace, layer k: Int, direction d: Int, inputs: UnsafePointer<Int32>,
                    embedding: UnsafePointer<Float>, steps: Int) -> LayerInput {
        if k > 0 { return .dense(ws.inputs[k][d].pointer) }
        if ws.readsTokens(steps: steps) { return .tokens(d == 0 ? inputs : UnsafePointer(ws.reversedIds), embedding: embedding) }
        return .dense(ws.embedded[d].pointer)
    }
}
