// LanguageModel+Backward: the loss of a chunk and its gradient with respect to every parameter.
import RecurMath

extension LanguageModel {
    /// Forward, loss and backward over one chunk; gradients of the summed loss are added to
    /// `grads`.
    ///
    /// The gradient is of the *summed* loss (not the mean), so shards can be added in order and
    /// normalised once by the total token count.
    /// - Parameters:
    ///   - params: the flat parameter vector.
    ///   - grads: a flat vector of the same layout, accumulated into.
    ///   - ws: buffers for N lanes and at least `steps` steps.
    ///   - inputs: token ids [T, N].
    ///   - targets: what the head is trained against.
    ///   - steps: `T`.
    ///   - state: [N, L, S, H] initial state in, final state out (its gradient is cut).
    ///   - dropout: the mask key, or nil for no dropout.
    ///   - needs: passed to `forward` (the pass reads `params[0..<end]` next).
    ///   - finished: called with each range of `grads` as soon as it is final (nothing adds to it
    ///     any more) and the chunk's loss, so that a caller can send each finished part while the
    ///     rest is computed: the head; then per layer from the top, its input weights (with the
    ///     embedding for a first layer that reads tokens), its recurrent weights in blocks of rows,
    ///     then its biases; the embedding last otherwise. Together the ranges cover [0, P) once.
    /// - Returns: the summed loss and the number of scored targets.
    public func lossAndGradient(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, ws: Workspace,
                                inputs: UnsafePointer<Int32>, targets: LossTargets, steps: Int,
                                state: UnsafeMutablePointer<Float>, dropout: DropoutKey?,
                                needs: ((_ end: Int) -> Void)? = nil,
                                finished: ((_ range: Range<Int>, _ loss: ChunkLoss) -> Void)? = nil) -> ChunkLoss {
        forward(params: params, ws: ws, inputs: inputs, steps: steps, state: state, dropout: dropout, needs: needs)
        let loss = headLoss(ws: ws, targets: targets, steps: steps, gradient: true)
        let cfg = config, n = ws.lanes, h = cfg.hidden, v = cfg.vocab, e = cfg.embed, tn = steps * n
        let pm = UnsafeMutablePointer(mutating: params)
        let top = ws.layers[cfg.layers - 1].hs.pointer + n * h
        let dlogits = ws.logits.pointer
        LinearHead.weightGradients(rows: tn, inputs: h, classes: v, dy: dlogits, x: top,
                                   dw: grads + layout.offset("head.weight"), db: grads + layout.offset("head.bias"),
                                   scratch: ws.classScratch.pointer)
        finished?(layout.offset("head.weight") ..< layout.count, loss)
        var dY = ws.dOut.pointer, dX = ws.dIn.pointer
        LinearHead.inputGradient(rows: tn, inputs: h, classes: v, dy: dlogits, w: params + layout.offset("head.weight"), dx: dY)
        for k in stride(from: cfg.layers - 1, through: 0, by: -1) {
            let x: UnsafePointer<Float>
            if k == 0 {
                x = UnsafePointer(ws.embedded.pointer)
            } else {
                let below = ws.layers[k - 1]
                x = UnsafePointer(dropout != nil && below.mask.count > 0 ? below.dropped.pointer : below.hs.pointer + n * h)
            }
            let byToken = k == 0 && ws.readsTokens(steps: steps)
            let input: LayerInput = byToken ? .tokens(inputs, embedding: params + layout.offset("embedding.weight")) : .dense(x)
            // A first layer reading tokens adds the embedding's gradient with its input weights'.
            RecurrentLayer.backwardStreaming(cfg, layout: layout, layer: k, direction: 0, a: ws.layers[k], ws: ws.shared,
                                             params: pm, grads: grads, input: input, dY: dY, dx: byToken ? nil : dX,
                                             dEmbedding: byToken ? grads + layout.offset("embedding.weight") : nil,
                                             steps: steps, embeddingFirst: byToken, end: layerEnd(k),
                                             finished: finished.map { f in { f($0, loss) } })
            if k > 0, dropout != nil, ws.layers[k - 1].mask.count > 0 {
                let m = ws.layers[k - 1].mask.pointer
                for i in 0..<tn * h { dX[i] *= m[i] }
            }
            swap(&dY, &dX)
        }
        if ws.readsTokens(steps: steps) { return loss }  // the first layer added the embedding's gradient
        let gEmb = grads + layout.offset("embedding.weight")
        for r in 0..<tn {
            let row = gEmb + Int(inputs[r]) * e, d = dY + r * e
            for i in 0..<e { row[i] += d[i] }
        }
        finished?(0 ..< layout.offset("rnn.weight_ih_l0"), loss)
        return loss
    }
}
