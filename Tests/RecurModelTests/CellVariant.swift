// CellVariant: the six cell flavours under test and the configurations built from them.
import RecurModel

/// rnn (tanh), rnn (relu), gru-min, gru, lstm and lstm with peepholes.
enum CellVariant: String, CaseIterable {
    case rnnTanh = "rnn-tanh", rnnRelu = "rnn-relu", gruMin = "gru-min", gru, lstm, lstmPeephole = "lstm-peephole"

    /// A configuration of this cell; defaults are the small shape used across the tests
    /// (E = 5 ≠ H = 7, neither a multiple of 16).
    func config(hidden: Int = 7, layers: Int = 2, embed: Int = 5, vocab: Int = 6, dropout: Float = 0) -> ModelConfig {
        let cell: CellKind
        switch self {
        case .rnnTanh, .rnnRelu: cell = .rnn
        case .gruMin: cell = .gruMin
        case .gru: cell = .gru
        case .lstm, .lstmPeephole: cell = .lstm
        }
        return ModelConfig(cell: cell, activation: self == .rnnRelu ? .relu : .tanh, hidden: hidden, layers: layers,
                           embed: embed, vocab: vocab, peephole: self == .lstmPeephole, dropout: dropout)
    }

    /// A distinct seed per variant so the cases do not share data.
    var seed: UInt64 { UInt64(CellVariant.allCases.firstIndex(of: self)! + 1) * 7919 }
}
