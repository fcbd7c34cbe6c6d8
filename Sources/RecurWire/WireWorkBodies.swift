// Swift values for the training bodies: Task, Result, Gradient, StepApplied, WeightsRequest, Weights.

/// Coordinator → worker: compute one truncated-BPTT shard of one optimizer step.
/// Frames: "inputs" I32 [T, n], "targets" I32 [T, n], "state" F32 [n, L, S, H].
/// The two shapes of a shard (`ShardKind` in proto/recur.proto).
public enum WireShardKind: UInt32, Equatable, Sendable {
    /// A truncated-BPTT chunk of stream lanes with their carried state (language modelling).
    case stream = 0
    /// Whole examples padded to the longest, with their lengths (classification and tagging).
    case examples = 1
    /// Source–target pairs, each side padded to its longest (encoder–decoder translation).
    case pairs = 2
}

public struct WireTask: Equatable, Sendable {
    /// Optimizer step this shard belongs to.
    public var step: UInt64
    /// Index of this shard within the step, 0-based.
    public var shard: UInt32
    /// Number of shards the step is split into.
    public var shardCount: UInt32
    /// First stream lane covered by the shard.
    public var firstLane: UInt32
    /// Number of lanes covered (n).
    public var laneCount: UInt32
    /// Time steps to unroll (T).
    public var steps: UInt32
    /// Weight version the shard must be computed with.
    public var weightVersion: UInt64
    /// Lease id of this assignment (never 0).
    public var leaseID: UInt64
    /// What the shard's frames hold: a worker checks it against its run's task, so a Task of the
    /// wrong shape is refused before any frame is read as the other.
    public var kind: WireShardKind

    /// Creates a Task.
    public init(step: UInt64, shard: UInt32, shardCount: UInt32, firstLane: UInt32, laneCount: UInt32,
                steps: UInt32, weightVersion: UInt64, leaseID: UInt64, kind: WireShardKind = .stream) {
        self.kind = kind
        self.step = step
        self.shard = shard
        self.shardCount = shardCount
        self.firstLane = firstLane
        self.laneCount = laneCount
        self.steps = steps
        self.weightVersion = weightVersion
        self.leaseID = leaseID
    }
}

/// A task is done. Frames: "state" F32 [n, L, S, H]. Worker → coordinator (frames optional: a
/// loss and timing report), or parameter server → coordinator relaying the accepted state.
public struct WireResult: Equatable, Sendable {
    /// Lease id of the task.
    public var leaseID: UInt64
    /// Optimizer step of the task.
    public var step: UInt64
    /// Shard index of the task.
    public var shard: UInt32
    /// Weight version actually used.
    public var weightVersion: UInt64
    /// Sum of per-token cross-entropy losses (nats) over the shard.
    public var lossSum: Double
    /// Number of target tokens the loss was summed over.
    public var tokenCount: UInt64
    /// Wall-clock compute time of the task, in milliseconds.
    public var computeMs: Double

    /// Creates a Result.
    public init(leaseID: UInt64, step: UInt64, shard: UInt32, weightVersion: UInt64, lossSum: Double,
                tokenCount: UInt64, computeMs: Double) {
        self.leaseID = leaseID
        self.step = step
        self.shard = shard
        self.weightVersion = weightVersion
        self.lossSum = lossSum
        self.tokenCount = tokenCount
        self.computeMs = computeMs
    }
}

/// Worker → parameter server: a task's summed gradient. Frames: "gradient" F32 [P] (or slices
/// addressed by `WireFrame.offset`), then "state" F32 [n, L, S, H] for the server to relay.
public struct WireGradient: Equatable, Sendable {
    /// Lease id of the task.
    public var leaseID: UInt64
    /// Optimizer step of the task.
    public var step: UInt64
    /// Shard index of the task; the server sums gradients in shard order.
    public var shard: UInt32
    /// Number of shards in the step.
    public var shardCount: UInt32
    /// Weight version the gradient was computed with.
    public var weightVersion: UInt64
    /// Number of target tokens the gradient was summed over.
    public var tokenCount: UInt64
    /// Sum of per-token cross-entropy losses (nats) over the shard.
    public var lossSum: Double

    /// Creates a Gradient.
    public init(leaseID: UInt64, step: UInt64, shard: UInt32, shardCount: UInt32, weightVersion: UInt64,
                tokenCount: UInt64, lossSum: Double) {
        self.leaseID = leaseID
        self.step = step
        self.shard = shard
        self.shardCount = shardCount
        self.weightVersion = weightVersion
        self.tokenCount = tokenCount
        self.lossSum = lossSum
    }
}

/// Parameter server → coordinator: outcome of one optimizer step. No frames.
public struct WireStepApplied: Equatable, Sendable {
    /// Weight version after the step (unchanged when rejected).
    public var version: UInt64
    /// Optimizer step that was applied.
    public var step: UInt64
    /// L2 norm of the summed gradient before clipping.
    public var gradNorm: Double
    /// Versions between the gradient's weight version and the version it was applied to.
    public var staleness: UInt32
    /// Why the step was refused, or nil when it was applied.
    public var rejectionReason: String?

    /// True when the step was refused and the weights did not change.
    public var rejected: Bool { rejectionReason != nil }

    /// Creates a StepApplied; pass `rejectionReason` only for a refused step.
    public init(version: UInt64, step: UInt64, gradNorm: Double, staleness: UInt32, rejectionReason: String? = nil) {
        self.version = version
        self.step = step
        self.gradNorm = gradNorm
        self.staleness = staleness
        self.rejectionReason = rejectionReason
    }
}

/// Worker → parameter server: asks for weights. No frames.
public struct WireWeightsRequest: Equatable, Sendable {
    /// Reply once the server's version is at least this.
    public var minVersion: UInt64
    /// Also send the optimizer's moments (for a checkpoint).
    public var withOptimizer: Bool
    /// Send one Weights message per piece, each as soon as the update has finished it.
    public var inPieces: Bool
    /// The worker's gradient segment, offered to a server on the same host.
    public var gradientSegment: WireSegment?
    /// Token of the server's weights segment the worker has mapped (0: none).
    public var attachedToken: UInt64

    /// Creates a WeightsRequest.
    public init(minVersion: UInt64, withOptimizer: Bool = false, inPieces: Bool = false,
                gradientSegment: WireSegment? = nil, attachedToken: UInt64 = 0) {
        self.minVersion = minVersion
        self.withOptimizer = withOptimizer
        self.inPieces = inPieces
        self.gradientSegment = gradientSegment
        self.attachedToken = attachedToken
    }
}

/// Parameter server → workers: the weights. Frames: "params" F32 [P], or slices addressed by
/// `WireFrame.offset`.
public struct WireWeights: Equatable, Sendable {
    /// Weight version of the payload.
    public var version: UInt64
    /// The server's weights segment, offered to a worker on the same host.
    public var weightsSegment: WireSegment?
    /// Token of the worker's gradient segment the server has mapped (0: none).
    public var attachedToken: UInt64

    /// Creates a Weights body.
    public init(version: UInt64, weightsSegment: WireSegment? = nil, attachedToken: UInt64 = 0) {
        self.version = version
        self.weightsSegment = weightsSegment
        self.attachedToken = attachedToken
    }
}
