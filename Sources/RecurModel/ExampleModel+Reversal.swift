// ExampleModel+Reversal: moving rows between original order and each example's reversed order,
// and between the two directions' outputs and the side-by-side [→a, ←a] a layer above reads.
import RecurMath

extension ExampleModel {
    /// Checks lengths and token ids, and writes `ws.reversedRow` and `ws.reversedIds` [T, N]:
    /// reversed row t·N + j comes from row rev_j(t)·N + j, rev_j(t) = len_j − 1 − t for t < len_j
    /// and t for padding. The map is its own inverse.
    func reverse(ws: ExampleWorkspace, inputs: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, steps: Int) {
        let n = ws.lanes, v = config.vocab
        for j in 0..<n {
            let len = Int(lengths[j])
            precondition(len >= 1 && len <= steps, "example \(j) has length \(len), outside 1...\(steps)")
            for t in 0..<steps { ws.reversedRow[t * n + j] = Int32((t < len ? len - 1 - t : t) * n + j) }
        }
        for r in 0..<steps * n {
            let id = Int(inputs[r])
            precondition(id >= 0 && id < v, "token id \(id) outside the vocabulary of \(v)")
            ws.reversedIds[r] = inputs[Int(ws.reversedRow[r])]
        }
    }

    /// Writes `out` [T, N, D·H] in original order: row r = [→a(r) ∗ m₀(r), ←a(r) ∗ m₁(r)], layer
    /// `k`'s outputs of both directions at that position, times their dropout masks if any.
    func gatherOutputs(ws: ExampleWorkspace, layer k: Int, into out: UnsafeMutablePointer<Float>,
                       masks: [FloatBuffer]?, steps: Int) {
        let n = ws.lanes, h = config.hidden, dirs = config.directions, width = dirs * h
        for d in 0..<dirs {
            let hs = ws.layers[k][d].hs.pointer + n * h, m = masks?[d].pointer
            for r in 0..<steps * n {
                let src = hs + (d == 0 ? r : Int(ws.reversedRow[r])) * h, dst = out + r * width + d * h
                if let m {
                    let mr = m + r * h
                    for u in 0..<h { dst[u] = src[u] * mr[u] }
                } else {
                    dst.update(from: src, count: h)
                }
            }
        }
    }

    /// Copies rows of `width` floats from original order into reversed order (or back: the map
    /// is an involution).
    func permute(ws: ExampleWorkspace, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, width: Int,
                 steps: Int) {
        for r in 0..<steps * ws.lanes {
            (out + r * width).update(from: x + Int(ws.reversedRow[r]) * width, count: width)
        }
    }

    /// The inverse of `gatherOutputs` for gradients: from `dIn` [T, N, D·H] in original order and,
    /// when bidirectional, `dInReversed` [T, N, D·H] in reversed order (both gradients of the
    /// same side-by-side input), writes each direction's output gradient `dY[d]` [T, N, H] in its
    /// own order, times its dropout mask if any.
    func scatterGradient(ws: ExampleWorkspace, _ dIn: UnsafePointer<Float>, reversed dInReversed: UnsafePointer<Float>?,
                         masks: [FloatBuffer]?, steps: Int) {
        let n = ws.lanes, h = config.hidden, dirs = config.directions, width = dirs * h
        for d in 0..<dirs {
            let dy = ws.dY[d].pointer, m = masks?[d].pointer
            for r in 0..<steps * n {
                let rr = Int(ws.reversedRow[r]), a = dIn + r * width + d * h
                let dst = dy + (d == 0 ? r : rr) * h
                if let base = dInReversed {
                    let b = base + rr * width + d * h
                    for u in 0..<h { dst[u] = a[u] + b[u] }
                } else {
                    dst.update(from: a, count: h)
                }
                if let m {
                    let mr = m + r * h
                    for u in 0..<h { dst[u] *= mr[u] }
                }
            }
        }
    }
}
