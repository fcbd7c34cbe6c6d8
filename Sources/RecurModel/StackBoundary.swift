// StackBoundary: the gradients that cross a stack of layers through its states, for models
// whose stacks hand states to each other (the encoder–decoder).
import RecurMath

/// What flows through a stack's states in the backward pass: gradients into each layer's final
/// states at every example's own last real step (an encoder whose states start the decoder),
/// and out of each layer's initial state (a decoder started from them).
///
/// Kept apart from the per-layer `StateBoundary` because the final step differs per example
/// (its length), while the layer pass works on whole steps.
struct StackBoundary {
    /// Per layer, per direction: [N, H] gradient into h after each example's last real token (in
    /// that direction's order), or nil.
    var finalH: [[UnsafePointer<Float>]]?
    /// Per layer, per direction: [N, H] gradient into c there (LSTM), or nil.
    var finalC: [[UnsafePointer<Float>]]?
    /// [T, N, H] scratch the cell-state gradients are spread over (needed with `finalC`).
    var cellScratch: UnsafeMutablePointer<Float>?
    /// Per layer: [N, H] written with the gradient of the initial h (one direction), or nil.
    var initialH: [UnsafeMutablePointer<Float>]?
    /// Per layer: [N, H] written with the gradient of the initial c (LSTM), or nil.
    var initialC: [UnsafeMutablePointer<Float>]?

    /// Adds the final-h gradients of layer `k`, direction `d` into `ws.dY[d]` at row
    /// (len_j − 1)·N + j of each example j, spreads the final-c gradients the same way, and
    /// returns the layer pass's boundary.
    func prepare(ws: ExampleWorkspace, layer k: Int, direction d: Int, lengths: UnsafePointer<Int32>,
                 steps: Int) -> StateBoundary {
        let n = ws.lanes, h = ws.config.hidden
        var edge = StateBoundary(dcIn: nil, dh0: initialH?[k], dc0: initialC?[k])
        if let fh = finalH?[k][d] {
            let dy = ws.dY[d].pointer
            for j in 0..<n {
                let row = dy + ((Int(lengths[j]) - 1) * n + j) * h, src = fh + j * h
                for u in 0..<h { row[u] += src[u] }
            }
        }
        if let fc = finalC?[k][d], let dc = cellScratch {
            dc.update(repeating: 0, count: steps * n * h)
            for j in 0..<n { (dc + ((Int(lengths[j]) - 1) * n + j) * h).update(from: fc + j * h, count: h) }
            edge.dcIn = UnsafePointer(dc)
        }
        return edge
    }
}
