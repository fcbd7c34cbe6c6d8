// ExampleModel+Backward: the loss of a padded batch of examples and its gradient with respect to
// every parameter.
import RecurMath

extension ExampleModel {
    /// Forward, loss and backward over one padded batch; gradients of the summed loss are added
    /// to `grads`.
    ///
    /// The gradient is of the *summed* loss (not the mean), so shards of a batch can be added in
    /// order and normalised once by the caller. Padding and ignored labels get zero gradient.
    /// - Parameters:
    ///   - params: the flat parameter vector.
    ///   - grads: a flat vector of the same layout, accumulated into.
    ///   - ws: buffers for N examples and at least `steps` positions.
    ///   - inputs: token ids [T, N].
    ///   - lengths: [N], each in 1...T.
    ///   - targets: what the head is trained against (see `loss`).
    ///   - steps: `T`.
    ///   - dropout: the mask key, or nil for no dropout.
    ///   - needs: passed to `forward` (the pass reads `params[0..<end]` next).
    ///   - finished: called with each range of `grads` as soon as it is final and the batch's
    ///     loss, so a caller can send each part while the rest is computed: the head; then per
    ///     layer from the top and per direction from the last, its input weights (with the
    ///     embedding for the first layer's left-to-right pass when it reads tokens), its
    ///     recurrent weights in blocks of rows, its biases; the embedding last otherwise.
    ///     Together the ranges cover [0, P) once.
    /// - Returns: the summed loss and the number of labels scored.
    public func lossAndGradient(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, ws: ExampleWorkspace,
                                inputs: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, targets: ExampleTargets,
                                steps: Int, dropout: DropoutKey?, needs: ((_ end: Int) -> Void)? = nil,
                                finished: ((_ range: Range<Int>, _ loss: ChunkLoss) -> Void)? = nil) -> ChunkLoss {
        forward(params: params, ws: ws, inputs: inputs, lengths: lengths, steps: steps, dropout: dropout, needs: needs)
        let loss = headLoss(ws: ws, lengths: lengths, targets: targets, steps: steps, gradient: true)
        let cfg = config, n = ws.lanes, h = cfg.hidden, tn = steps * n, dirs = cfg.directions
        let rows = pooling == .everyToken ? tn : n, width = dirs * h
        let report = finished.map { f in { (r: Range<Int>) in f(r, loss) } }
        LinearHead.weightGradients(rows: rows, inputs: width, classes: cfg.headSize, dy: ws.logits.pointer,
                                   x: ws.features.pointer, dw: grads + layout.offset("head.weight"),
                                   db: grads + layout.offset("head.bias"), scratch: ws.classScratch.pointer)
        report?(layout.offset("head.weight") ..< layout.count)
        LinearHead.inputGradient(rows: rows, inputs: width, classes: cfg.headSize, dy: ws.logits.pointer,
                                 w: params + layout.offset("head.weight"), dx: ws.dFeatures.pointer)
        topGradient(ws: ws, lengths: lengths, steps: steps)
        backwardLayers(params: params, grads: grads, ws: ws, inputs: inputs, lengths: lengths, steps: steps,
                       dropout: dropout, report: report)
        return loss
    }

    /// The backward pass of the stacked layers alone, from the top layer's output gradients in
    /// `ws.dY`, down to the embedding; shared with `Seq2SeqModel`'s encoder and decoder.
    /// - `report`: told of each finished range of this stack's layout.
    /// - `boundary`: the gradients crossing the stack's states, or nil (every example started
    ///   from zero and its final states were not read).
    func backwardLayers(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, ws: ExampleWorkspace,
                        inputs: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, steps: Int, dropout: DropoutKey?,
                        report: ((Range<Int>) -> Void)?, boundary: StackBoundary? = nil) {
        let cfg = config, n = ws.lanes, e = cfg.embed, tn = steps * n, dirs = cfg.directions
        let pm = UnsafeMutablePointer(mutating: params)
        let byToken = ws.readsTokens(steps: steps), emb = params + layout.offset("embedding.weight")
        let gEmb = grads + layout.offset("embedding.weight")
        for k in stride(from: cfg.layers - 1, through: 0, by: -1) {
            for d in stride(from: dirs - 1, through: 0, by: -1) {
                let end = d + 1 < dirs ? layout.offset("rnn.weight_ih_\(ParameterLayout.suffix(layer: k, direction: d + 1))")
                                       : layout.end(ofLayer: k, layers: cfg.layers)
                let tokens = k == 0 && byToken
                let edge = boundary?.prepare(ws: ws, layer: k, direction: d, lengths: lengths, steps: steps)
                RecurrentLayer.backwardStreaming(cfg, layout: layout, layer: k, direction: d, a: ws.layers[k][d], ws: ws.shared,
                                                 params: pm, grads: grads,
                                                 input: layerInput(ws: ws, layer: k, direction: d, inputs: inputs,
                                                                   embedding: emb, steps: steps),
                                                 dY: ws.dY[d].pointer, dx: tokens ? nil : ws.dX[d].pointer,
                                                 dEmbedding: tokens ? gEmb : nil, steps: steps,
                                                 embeddingFirst: tokens && d == 0, end: end, finished: report,
                                                 boundary: edge)
            }
            if k > 0 {
                let masks = dropout != nil && cfg.dropout > 0 ? ws.masks[k - 1] : nil
                scatterGradient(ws: ws, ws.dX[0].pointer, reversed: dirs == 2 ? UnsafePointer(ws.dX[1].pointer) : nil,
                                masks: masks, steps: steps)
            }
        }
        if byToken { return }  // the first layer added the embedding's gradient
        for d in 0..<dirs {
            let ids = d == 0 ? inputs : UnsafePointer(ws.reversedIds), dx = ws.dX[d].pointer
            for r in 0..<tn {
                let row = gEmb + Int(ids[r]) * e, g = dx + r * e
                for i in 0..<e { row[i] += g[i] }
            }
        }
        report?(0 ..< layout.offset("rnn.weight_ih_l0"))
    }

    /// Writes the top layer's output gradients `ws.dY` from `ws.dFeatures`: at every position for
    /// the tagger; for the classifier only where each direction's final state was read (row
    /// len_j of its own order), zero elsewhere.
    func topGradient(ws: ExampleWorkspace, lengths: UnsafePointer<Int32>, steps: Int) {
        let n = ws.lanes, h = config.hidden, dirs = config.directions
        switch pooling {
        case .everyToken:
            scatterGradient(ws: ws, ws.dFeatures.pointer, reversed: nil, masks: nil, steps: steps)
        case .lastToken:
            for d in 0..<dirs {
                let dy = ws.dY[d].pointer
                dy.update(repeating: 0, count: steps * n * h)
                for j in 0..<n {
                    let last = (Int(lengths[j]) - 1) * n + j
                    (dy + last * h).update(from: ws.dFeatures.pointer + (j * dirs + d) * h, count: h)
                }
            }
        }
    }
}
