// Seq2SeqModel+Backward: the loss of a padded batch of source–target pairs and its gradient with
// respect to every parameter: head, attention, decoder, bridge, encoder.
import RecurMath

extension Seq2SeqModel {
    /// Forward + loss + backward; the gradient of the SUMMED loss is ADDED into grads [P].
    /// `needs` is called once with layout.count before params are read; `finished` is called once with
    /// 0..<layout.count and the loss after every gradient is final (callers stream on these).
    ///
    /// The gradient is of the summed loss (not the mean), so shards of a batch add up in order
    /// and the caller normalises once. Ignored targets and padding get zero gradient.
    /// - Parameters: as `forward` and `loss`, plus `grads`, a flat vector of the same layout.
    /// - Returns: the summed loss and the number of targets scored.
    public func lossAndGradient(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, ws: Seq2SeqWorkspace,
                                source: UnsafePointer<Int32>, sourceLengths: UnsafePointer<Int32>, sourceSteps: Int,
                                decoderInputs: UnsafePointer<Int32>, targets: UnsafePointer<Int32>, targetSteps: Int,
                                dropout: DropoutKey?, needs: ((_ end: Int) -> Void)? = nil,
                                finished: ((_ range: Range<Int>, _ loss: ChunkLoss) -> Void)? = nil) -> ChunkLoss {
        needs?(layout.count)
        forward(params: params, ws: ws, source: source, sourceLengths: sourceLengths, sourceSteps: sourceSteps,
                decoderInputs: decoderInputs, targetSteps: targetSteps, dropout: dropout)
        let loss = headLoss(ws: ws, targets: targets, targetSteps: targetSteps, gradient: true)
        let h = config.hidden, tn = targetSteps * ws.lanes, head = layout.offset("decoder.head.weight")
        LinearHead.weightGradients(rows: tn, inputs: h, classes: config.headSize, dy: ws.logits.pointer,
                                   x: ws.decoder.features.pointer, dw: grads + head,
                                   db: grads + layout.offset("decoder.head.bias"), scratch: ws.classScratch.pointer)
        LinearHead.inputGradient(rows: tn, inputs: h, classes: config.headSize, dy: ws.logits.pointer, w: params + head,
                                 dx: ws.decoder.dFeatures.pointer)
        attendBackward(params: params, grads: grads, ws: ws, lengths: sourceLengths, sourceSteps: sourceSteps,
                       targetSteps: targetSteps)
        let base = decoderBase
        let lstm = config.cell.hasCellState
        decoder.backwardLayers(params: params + base, grads: grads + base, ws: ws.decoder, inputs: decoderInputs,
                               lengths: ws.targetLengths, steps: targetSteps, dropout: dropout, report: nil,
                               boundary: StackBoundary(initialH: ws.dH0.map(\.pointer),
                                                       initialC: lstm ? ws.dC0.map(\.pointer) : nil))
        var boundary = StackBoundary(cellScratch: lstm ? ws.cellScratch.pointer : nil)
        if config.bidirectional {
            bridgeBackward(params: params, grads: grads, ws: ws)
            boundary.finalH = ws.dFinalH.map { $0.map { UnsafePointer($0.pointer) } }
            if lstm { boundary.finalC = ws.dFinalC.map { $0.map { UnsafePointer($0.pointer) } } }
        } else {
            boundary.finalH = ws.dH0.map { [UnsafePointer($0.pointer)] }
            if lstm { boundary.finalC = ws.dC0.map { [UnsafePointer($0.pointer)] } }
        }
        encoder.topGradient(ws: ws.encoder, lengths: sourceLengths, steps: sourceSteps)
        encoder.backwardLayers(params: params, grads: grads, ws: ws.encoder, inputs: source, lengths: sourceLengths,
                               steps: sourceSteps, dropout: dropout, report: nil, boundary: boundary)
        finished?(0 ..< layout.count, loss)
        return loss
    }

    /// Per layer and bridge (h, and c for the LSTM): adds W's and b's gradients from the
    /// decoder's initial-state gradient, and splits the gradient of [→x ; ←x] into the encoder's
    /// final-state gradients `ws.dFinalH`, `ws.dFinalC` per direction.
    func bridgeBackward(params: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>, ws: Seq2SeqWorkspace) {
        let n = ws.lanes, h = config.hidden
        for k in 0..<config.layers {
            for (part, x, _) in bridgeParts(ws: ws, layer: k) {
                let dy = (part == "h" ? ws.dH0[k] : ws.dC0[k]).pointer
                let wName = "bridge.\(part)_l\(k).weight", wOff = layout.offset(wName)
                LinearHead.weightGradients(rows: n, inputs: 2 * h, classes: h, dy: dy, x: x, dw: grads + wOff,
                                           db: grads + layout.offset("bridge.\(part)_l\(k).bias"),
                                           scratch: ws.unitScratch.pointer)
                LinearHead.inputGradient(rows: n, inputs: 2 * h, classes: h, dy: dy, w: params + wOff, dx: ws.dBridge.pointer)
                let out = part == "h" ? ws.dFinalH[k] : ws.dFinalC[k]
                for j in 0..<n {
                    for d in 0..<2 {
                        (out[d].pointer + j * h).update(from: ws.dBridge.pointer + (j * 2 + d) * h, count: h)
                    }
                }
            }
        }
    }
}
