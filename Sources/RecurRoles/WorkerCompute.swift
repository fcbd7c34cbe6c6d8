// WorkerCompute: what a worker's run loop does for a `.compute` action — one shard's summed
// gradient, loss and final state, with the same code the single-process trainer runs.
import Foundation
import Synchronization
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

/// Computes shards for one run configuration, reusing its buffers.
public final class WorkerCompute {
    /// The run configuration.
    public let config: RunConfig
    let computer: ShardComputer
    let params: FloatBuffer
    /// The gradient of the shard in hand [P]. Its pieces leave without a copy (the frames borrow
    /// it), so it is written again only once no frame still holds it: see `freshGradient`.
    var grads: FloatBuffer { gradient.floats }
    private var gradient: GradientBuffer
    /// The other gradient buffer, taken while the last shard's frames are still being sent.
    private var spare: GradientBuffer
    let shards: ParameterShards
    let pieces: ParameterPieces
    var loadedVersion: UInt64?
    /// The pieces of `loadedVersion` already in `params`.
    var loaded = Set<Int>()
    /// Fault injection: the step whose gradients this worker poisons with NaN (`RunConfig.faultNaNAtStep`).
    var nanAtStep: UInt64? { config.faultNaNAtStep.map { UInt64($0) } }

    /// Builds the model and buffers for `config`.
    public init(config: RunConfig) throws {
        self.config = config
        computer = try ShardComputer(config: config.model, task: config.task, loss: config.loss,
                                     lanes: config.lanesPerShard, steps: config.bptt, targetSteps: config.targetSteps ?? 0)
        let count = computer.layout.count
        params = FloatBuffer(count: count)
        gradient = GradientBuffer(count: count)
        spare = GradientBuffer(count: count)
        shards = try config.parameterShards
        pieces = try config.parameterPieces
    }

    /// Computes `task` with `weights` (of version `version`; one frame per piece, as
    /// `WorkerMachine.weights` holds them).
    /// - Parameters:
    ///   - send: as in `run(task:shard:state:version:piece:send:into:)`.
    ///   - destination: as there.
    /// - Throws: `RoleError` when the weight frames do not hold the run's pieces.
    public func run(task: WireTask, shard: ShardBatch, state: [Float], weights: [WireFrame],
                    version: UInt64,
                    send: ((_ piece: WireFrame, _ loss: ChunkLoss, _ state: [Float]?) -> Void)? = nil,
                    into destination: (UnsafeMutablePointer<Float>, AnyObject)? = nil) throws -> WorkerMachine.ShardOutcome {
        guard weights.count == pieces.ranges.count else { throw RoleError.failed("\(weights.count) weight pieces for \(pieces.ranges.count)") }
        return try run(task: task, shard: shard, state: state, version: version,
                       piece: { weights[$0] }, send: send, into: destination)
    }

    /// Computes `task` with the weights of version `version`, reading each piece of them only when
    /// the forward pass is about to use it (so a worker can start while the rest is on its way).
    /// - Parameters:
    ///   - piece: the frame holding piece `p` (a frame may hold more than its piece), waiting for
    ///     it if need be; nil when it cannot come (the shard is then abandoned: `Abandoned`).
    ///   - send: when given, called with each piece of the gradient as soon as backpropagation has
    ///     finished it (the head and the last layer first), with the loss and, for the piece at offset 0, the final
    ///     state; the outcome then holds no gradient. Without it, the outcome holds one frame per
    ///     slice.
    ///   - destination: where to compute the gradient [P] (zeroed first) instead of the worker's own
    ///     buffer, with the object that keeps it valid: a shared-memory slot the server reads.
    /// - Throws: `Abandoned` when a piece of the weights did not come, `RoleError` when a frame
    ///   does not hold its piece.
    public func run(task: WireTask, shard: ShardBatch, state: [Float], version: UInt64,
                    piece: @escaping (Int) -> WireFrame?,
                    send: ((_ piece: WireFrame, _ loss: ChunkLoss, _ state: [Float]?) -> Void)? = nil,
                    into destination: (UnsafeMutablePointer<Float>, AnyObject)? = nil) throws -> WorkerMachine.ShardOutcome {
        let start = Date()
        if loadedVersion != version {
            loadedVersion = version
            loaded = []
        }
        var failure: Error?
        /// Loads every piece that starts before `end`.
        func load(upTo end: Int) {
            for (p, r) in pieces.ranges.enumerated() where r.lowerBound < end && !loaded.contains(p) && failure == nil {
                guard let w = piece(p) else { failure = Abandoned(version: version, piece: p); return }
                let first = r.lowerBound - Int(w.offset)
                guard first >= 0, first + r.count <= w.elementCount,
                      (try? w.copyFloats(into: UnsafeMutableBufferPointer(start: params.pointer + r.lowerBound, count: r.count),
                                         from: first)) != nil else {
                    failure = RoleError.failed("weights at \(w.offset) (\(w.elementCount) values) do not hold the piece \(r)")
                    return
                }
                loaded.insert(p)
            }
        }
        // The gradient [P] goes to `destination` when given (the slot of the shared-memory segment
        // the server reads, so its pieces need no copy), else to `grads`.
        let target: UnsafeMutablePointer<Float>, owner: AnyObject
        if let (p, o) = destination {
            p.update(repeating: 0, count: params.count)
            (target, owner) = (p, o)
        } else {
            freshGradient()
            (target, owner) = (gradient.floats.pointer, GradientBorrow(gradient))
        }
        var s = state
        let key = DropoutKey(seed: config.seed, step: task.step, firstLane: Int(task.firstLane))
        var sent = Set<Int>(), final: [Range<Int>] = []
        let loss = s.withUnsafeMutableBufferPointer { st in
            let finalState = UnsafeBufferPointer(st)  // final once the forward pass is done
            return computer.compute(params: params.pointer, grads: target, shard: shard, state: st.baseAddress,
                                    dropout: key, needs: { load(upTo: $0) }) { range, loss in
                guard let send, failure == nil else { return }
                if range.contains(0), task.step == self.nanAtStep { target[0] = .nan }
                final.append(range)
                for p in self.pieces.covered(by: final).reversed() where !sent.contains(p) {
                    sent.insert(p)
                    let r = self.pieces.ranges[p]
                    guard let f = try? WireFrame(name: "gradient", shape: [r.count], offset: r.lowerBound,
                                                 borrowing: UnsafeBufferPointer(start: target + r.lowerBound, count: r.count),
                                                 owner: owner)
                    else { continue }
                    send(f, loss, r.lowerBound == 0 ? Array(finalState) : nil)
                }
            }
        }
        if let failure { throw failure }
        var frames: [WireFrame] = []
        if send == nil {
            if task.step == nanAtStep { target[0] = .nan }
            frames = try shards.ranges.map { r in
                try WireFrame(name: "gradient", shape: [r.count], offset: r.lowerBound,
                              borrowing: UnsafeBufferPointer(start: target + r.lowerBound, count: r.count), owner: owner)
            }
        }
        return WorkerMachine.ShardOutcome(task: task, gradients: frames, state: s, lossSum: loss.sum,
                                          tokens: loss.count, computeMs: Date().timeIntervalSince(start) * 1000)
    }

    /// Makes `grads` a zeroed buffer that no frame borrows: the last shard's gradient frames may
    /// still be on their way out (libzmq holds them until its I/O thread has written them), so
    /// while they hold `grads` the spare is taken, and a new buffer only if both are held.
    func freshGradient() {
        if gradient.isBorrowed {
            swap(&gradient, &spare)
            if gradient.isBorrowed { gradient = GradientBuffer(count: spare.floats.count) }
        }
        gradient.floats.zero()
    }

    /// A shard given up because a piece of its weights did not come (the server stopped sending
    /// it, or a newer version replaced it); nothing of it was sent.
    public struct Abandoned: Error, CustomStringConvertible {
        /// The weights version the shard needed.
        public let version: UInt64
        /// The piece that did not come.
        public let piece: Int
        /// One line.
        public var description: String { "piece \(piece) of weights version \(version) did not come; shard abandoned" }
    }
}

/// A worker's gradient buffer [P] with the number of frames' borrows still out on it.
///
/// The count is an atomic that each borrow decrements with release ordering when its last frame is
/// gone (on libzmq's side, or the server's in the same process), and that the worker reads with
/// acquire ordering before it writes the buffer again: the reads of the frames happen before the
/// next shard's writes, in a way ThreadSanitizer sees (a reference count and a fence it does not).
final class GradientBuffer {
    /// The gradient.
    let floats: FloatBuffer
    /// Borrows alive.
    let borrows = Atomic<Int>(0)

    init(count: Int) { floats = FloatBuffer(count: count) }

    /// Whether a frame may still read the buffer.
    var isBorrowed: Bool { borrows.load(ordering: .acquiring) != 0 }
}

/// The owner every gradient frame of one shard holds: it keeps its buffer alive and counts as one
/// borrow of it until the last of those frames is gone.
final class GradientBorrow {
    let buffer: GradientBuffer

    init(_ buffer: GradientBuffer) {
        self.buffer = buffer
        buffer.borrows.add(1, ordering: .relaxed)
    }

    deinit { buffer.borrows.subtract(1, ordering: .releasing) }
}
