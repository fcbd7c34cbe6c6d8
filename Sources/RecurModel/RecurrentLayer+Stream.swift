// RecurrentLayer+Stream: one direction of a layer's backward pass that reports each range of the
// gradient as soon as it is final, shared by the language model and the example models.
import RecurMath

extension RecurrentLayer {
    /// Runs direction `d` of layer `k` backward (as `backward`) and tells `finished` of its
    /// tensors as they become final: the input weights, the recurrent weights in blocks of rows,
    /// then the biases and peepholes up to `end`, the first offset past this direction's tensors.
    ///
    /// - `embeddingFirst`: the input-weights range starts at 0, taking in the embedding, because
    ///   this pass is the last to add to the embedding's gradient (a first layer reading tokens).
    /// The other parameters are those of `backward`.
    static func backwardStreaming(_ cfg: ModelConfig, layout: ParameterLayout, layer k: Int, direction d: Int,
                                  a: LayerActivations, ws: LayerScratch, params: UnsafeMutablePointer<Float>,
                                  grads: UnsafeMutablePointer<Float>, input: LayerInput, dY: UnsafePointer<Float>,
                                  dx: UnsafeMutablePointer<Float>?, dEmbedding: UnsafeMutablePointer<Float>?,
                                  steps: Int, embeddingFirst: Bool, end: Int, finished: ((Range<Int>) -> Void)?,
                                  boundary: StateBoundary? = nil) {
        let l = ParameterLayout.suffix(layer: k, direction: d), h = cfg.hidden
        let ih = layout.offset("rnn.weight_ih_\(l)"), hh = layout.offset("rnn.weight_hh_\(l)")
        backward(cfg, layer: k, a: a, ws: ws, p: LayerParams(params, layout: layout, layer: k, direction: d),
                 g: LayerParams(grads, layout: layout, layer: k, direction: d), input: input, dY: dY, dx: dx,
                 dEmbedding: dEmbedding, steps: steps, inputWeightsDone: {
            finished?((embeddingFirst ? 0 : ih) ..< hh)
        }, recurrentRowsDone: { rows in
            finished?(hh + rows.lowerBound * h ..< hh + rows.upperBound * h)
        }, boundary: boundary)
        finished?(hh + cfg.cell.gates * h * h ..< end)  // the biases (and peepholes)
    }
}
