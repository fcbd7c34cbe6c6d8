// WorkspaceReuseTests: reused or oversized workspaces, gradient accumulation, and E > H gradients.
@testable import RecurModel
import RecurMath
import XCTest

final class WorkspaceReuseTests: XCTestCase {
    /// A workspace built for more steps than the chunk, and reused across chunks (including a
    /// dropout chunk in between), gives the same loss, gradient and state as a fresh exact one.
    func testOversizedAndReusedWorkspace() {
        for v in CellVariant.allCases {
            let c = ModelCase.random(v.config(dropout: 0.3), steps: 3, seed: 900 + v.seed)
            let fresh = c.runGradient()
            let ws = Workspace(config: c.config, steps: 7, lanes: c.lanes)
            let p = FloatBuffer(c.params)
            // A longer chunk with dropout first, to leave stale values everywhere.
            let long = ModelCase.random(v.config(dropout: 0.3), steps: 7, seed: 950 + v.seed,
                                        dropout: DropoutKey(seed: 1, step: 1, firstLane: 0))
            let g = FloatBuffer(count: p.count), st0 = FloatBuffer(long.state)
            long.inputs.withUnsafeBufferPointer { x in
                long.targets.withUnsafeBufferPointer { y in
                    _ = c.model.lossAndGradient(params: p.pointer, grads: g.pointer, ws: ws, inputs: x.baseAddress!,
                                                targets: .classes(y.baseAddress!), steps: 7, state: st0.pointer,
                                                dropout: long.dropout)
                }
            }
            g.zero()
            var losses: [Double] = []
            for _ in 0..<2 {  // twice: the gradient accumulates
                let st = FloatBuffer(c.state)
                c.inputs.withUnsafeBufferPointer { x in
                    c.targets.withUnsafeBufferPointer { y in
                        losses.append(c.model.lossAndGradient(params: p.pointer, grads: g.pointer, ws: ws, inputs: x.baseAddress!,
                                                              targets: .classes(y.baseAddress!), steps: 3, state: st.pointer,
                                                              dropout: nil).sum)
                    }
                }
                XCTAssertEqual(ErrorMetrics.mixed(st.array.doubles, fresh.state.doubles).error, 0, accuracy: 1e-6, v.rawValue)
            }
            XCTAssertEqual(losses[0], fresh.loss.sum, accuracy: 1e-9 * abs(fresh.loss.sum), v.rawValue)
            XCTAssertEqual(losses[1], fresh.loss.sum, accuracy: 1e-9 * abs(fresh.loss.sum), v.rawValue)
            let twice = fresh.grads.map { 2 * $0 }
            let err = ErrorMetrics.relative(g.array.doubles, twice.doubles, floor: 1e-3)
            XCTAssertLessThan(err.error, 1e-6, "\(v.rawValue) reused workspace gradient \(err)")
        }
    }

    /// Embedding wider than the hidden size: the input-gradient buffers must hold [T, N, E].
    func testGradientWithEmbedWiderThanHidden() {
        for v in [CellVariant.lstmPeephole, .gru, .rnnRelu] {
            let c = ModelCase.random(v.config(hidden: 3, embed: 9), seed: 980 + v.seed)
            GradientChecker.check(c, label: "\(v.rawValue) E=9 H=3")
        }
    }
}
