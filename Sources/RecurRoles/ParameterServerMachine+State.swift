// ParameterServerMachine+State: the server's states — unconfigured, or serving a slice with
// everything a Welcome establishes and every step's bookkeeping — and the records they hold.
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

extension ParameterServerMachine {
    /// Where the server is; each case carries what is valid only there.
    enum State {
        /// No configuration yet (or the last one belonged to a coordinator that was replaced).
        case unconfigured
        /// Serving a slice of a configured run.
        case serving(Serving)
    }

    /// What a Welcome establishes, and every step's bookkeeping on top of it: all of it goes
    /// when the configuration does. A reference, so the machine updates it in place (the
    /// gradient frames it holds are not copied on every message).
    final class Serving {
        let config: RunConfig
        /// The configuring coordinator's routing id (the latest Welcome's sender) and incarnation.
        var coordinator: String
        let incarnation: UInt64
        /// The slice served: its index and its element range within [P].
        let slice: (index: Int, range: Range<Int>)
        /// Parameters of the served slice [P_k].
        let params: FloatBuffer
        /// The optimizer and its state.
        let optimizer: Optimizer
        /// The step's gradient sum over the slice [P_k].
        let sum: FloatBuffer
        /// The served slice's pieces (global ranges, in parameter order).
        let pieces: [Range<Int>]
        /// Steps applied so far; also the weight version.
        var version: UInt64
        /// Sync: where the step in progress is.
        var phase = Phase.collecting
        /// Sync: each piece's shard-order sum in progress.
        var folds: [PieceFold] = []
        /// Sync: the pieces accepted from each shard of the step (kept until the step is applied,
        /// so a piece delivered again while the norm is awaited or the update applied is a duplicate).
        var shardPieces: [Int: Set<Int>] = [:]
        /// Sync: each shard's token count, from its first accepted piece.
        var shardTokens: [Int: UInt64] = [:]
        /// Sync, slice 0: each shard's final carried state, relayed once the shard is whole.
        var shardState: [Int: WireFrame] = [:]
        /// Async: the next chunk expected from each shard.
        var asyncNext: [UInt64]
        /// Peers waiting for a version not yet here.
        var pendingRequests: [WeightsWaiter] = []
        /// The weights frame of one version, shared by every reply for that version.
        var paramsFrame: (version: UInt64, frame: WireFrame)?
        /// The weights of one version as pieces, shared by every reply in pieces for that version.
        var pieceFrames: (version: UInt64, frames: [WireFrame])?

        init(config: RunConfig, coordinator: String, incarnation: UInt64, slice: (index: Int, range: Range<Int>),
             params: FloatBuffer, optimizer: Optimizer, pieces: [Range<Int>], version: UInt64) {
            self.config = config
            self.coordinator = coordinator
            self.incarnation = incarnation
            self.slice = slice
            self.params = params
            self.optimizer = optimizer
            sum = FloatBuffer(count: slice.range.count)
            self.pieces = pieces
            self.version = version
            asyncNext = Array(repeating: 0, count: config.shardCount)
            startStep()
        }

        /// Clears a sync step's bookkeeping for the next step.
        func startStep() {
            folds = Array(repeating: PieceFold(), count: pieces.count)
            shardPieces = [:]; shardTokens = [:]; shardState = [:]
            phase = .collecting
        }
    }

    /// Where a sync step is.
    enum Phase {
        /// Gathering the step's gradients, piece by piece.
        case collecting
        /// S > 1: every piece is summed; the global norm of step `UInt64` is awaited.
        case awaitingNorm(UInt64)
        /// The update is being applied piece by piece.
        case applying(Finishing)
    }

    /// A peer waiting for a weights version.
    struct WeightsWaiter {
        var peer: String
        var minVersion: UInt64
        var withOptimizer: Bool
        var inPieces: Bool
    }

    /// One piece's sum over a step's shards, added in shard order.
    struct PieceFold {
        /// The next shard to add.
        var next = 0
        /// Frames holding this piece from shards that cannot be added yet.
        var waiting: [Int: WireFrame] = [:]
        /// Set once every shard is added: the normalised piece's blocks' sums of squares.
        var blockSums: [Double]?
    }

    /// An update in progress: applied and sent one piece at a time.
    struct Finishing {
        /// The step's coefficients; nil for a refused (non-finite) step, which changes nothing.
        var coefficients: Optimizer.StepCoefficients?
        var scale: Float
        var norm: Double
        /// The next piece to update.
        var next = 0
        /// Peers that asked for this version in pieces.
        var receivers: [String]
        /// The updated pieces' frames so far.
        var frames: [WireFrame] = []
    }
}
