// GradientCheckTests: every cell's analytic gradient against central differences of the reference.
import RecurModel
import XCTest

/// Two layers, E = 5, H = 7, N = 3, T = 4, V = 6, every parameter element (bound: GradientChecker).
final class GradientCheckTests: XCTestCase {
    private func check(_ v: CellVariant) {
        GradientChecker.check(.random(v.config(), seed: v.seed + 10), label: "\(v.rawValue) L=2")
    }

    func testRNNTanh() { check(.rnnTanh) }
    func testRNNRelu() { check(.rnnRelu) }
    func testGRUMin() { check(.gruMin) }
    func testGRU() { check(.gru) }
    func testLSTM() { check(.lstm) }
    func testLSTMPeephole() { check(.lstmPeephole) }

    /// V = 9 > T·N = 6: the first layer takes the dense path (embedded rows through W_ih) instead of
    /// the per-token one (E·W_ihᵀ gathered, gradients summed per token) the other cases take.
    func testFirstLayerDensePath() {
        for v in [CellVariant.lstm, .gru] {
            let c = ModelCase.random(v.config(hidden: 7, layers: 2, embed: 5, vocab: 9), lanes: 2, steps: 3, seed: v.seed + 12)
            GradientChecker.check(c, label: "\(v.rawValue) dense first layer")
        }
    }

    /// H = 17 puts one unit in a second, partial SIMD block of every gate kernel.
    func testAcrossSIMDBoundary() {
        for v in [CellVariant.lstmPeephole, .gru] {
            let c = ModelCase.random(v.config(hidden: 17, layers: 1, embed: 3, vocab: 4), lanes: 2, steps: 3, seed: v.seed + 11)
            GradientChecker.check(c, label: "\(v.rawValue) H=17")
        }
    }
}
