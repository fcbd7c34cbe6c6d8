// Swift values for the membership and control bodies: Hello, Welcome, Heartbeat, Leave, Reject.

/// Worker or parameter-server shard → coordinator: announces a peer. No frames.
public struct WireHello: Equatable, Sendable {
    /// Sender's chosen id, unique within the run (also its ZeroMQ routing id).
    public var workerID: String
    /// Operating-system process id of the worker.
    public var pid: UInt32
    /// Host name of the worker's machine.
    public var hostname: String
    /// Compute threads the worker will use.
    public var threads: UInt32
    /// ZeroMQ security mechanism the worker speaks: "null" or "curve".
    public var securityMechanism: String
    /// What the sender is: "worker" (also when empty on the wire) or "ps".
    public var role: String
    /// A "ps" sender: the index of the parameter slice it serves.
    public var psShard: UInt32
    /// A "ps" sender: the endpoint its peers reach it at.
    public var endpoint: String

    /// Creates a Hello; `securityMechanism` defaults to "null", `role` to "worker".
    public init(workerID: String, pid: UInt32, hostname: String, threads: UInt32, securityMechanism: String = "null",
                role: String = "worker", psShard: UInt32 = 0, endpoint: String = "") {
        self.workerID = workerID
        self.pid = pid
        self.hostname = hostname
        self.threads = threads
        self.securityMechanism = securityMechanism
        self.role = role.isEmpty ? "worker" : role
        self.psShard = psShard
        self.endpoint = endpoint
    }
}

/// Coordinator → worker: accepts a Hello and hands over the run's configuration. No frames.
public struct WireWelcome: Equatable, Sendable {
    /// Model and data layout as JSON.
    public var configJSON: String
    /// Parameter-server endpoints, one per parameter shard, in shard order.
    public var psEndpoints: [String]
    /// How often the worker must send a Heartbeat, in milliseconds.
    public var heartbeatIntervalMs: UInt32
    /// Silence after which the coordinator revokes the worker's leases, in milliseconds.
    public var leaseTimeoutMs: UInt32
    /// Weight version the parameter servers currently hold.
    public var currentVersion: UInt64
    /// To a parameter server: the index of the parameter slice it serves.
    public var psShard: UInt32
    /// Random id of the sending coordinator process; another value means a restarted coordinator.
    public var incarnation: UInt64

    /// Creates a Welcome.
    public init(configJSON: String, psEndpoints: [String], heartbeatIntervalMs: UInt32, leaseTimeoutMs: UInt32,
                currentVersion: UInt64, psShard: UInt32 = 0, incarnation: UInt64 = 0) {
        self.psShard = psShard
        self.incarnation = incarnation
        self.configJSON = configJSON
        self.psEndpoints = psEndpoints
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.leaseTimeoutMs = leaseTimeoutMs
        self.currentVersion = currentVersion
    }
}

/// Any → any: liveness signal. No frames.
public struct WireHeartbeat: Equatable, Sendable {
    /// Sender's wall clock, milliseconds since the Unix epoch.
    public var nowMs: UInt64
    /// Sender's state in a word, e.g. "idle", "computing".
    public var state: String

    /// Creates a Heartbeat.
    public init(nowMs: UInt64, state: String) {
        self.nowMs = nowMs
        self.state = state
    }
}

/// Any → any: the sender is leaving the run. No frames.
public struct WireLeave: Equatable, Sendable {
    /// Human-readable reason, e.g. "interrupted".
    public var reason: String
    /// Lease being handed back unfinished, or nil (0 on the wire).
    public var leaseID: UInt64?

    /// Creates a Leave; a `leaseID` of 0 is treated as nil.
    public init(reason: String, leaseID: UInt64? = nil) {
        self.reason = reason
        self.leaseID = leaseID == 0 ? nil : leaseID
    }
}

/// Why a message was refused (`Reject.Code` in the protocol).
public enum WireRejectCode: UInt32, Equatable, Sendable, CaseIterable {
    /// No code given; also what an unknown future code decodes to.
    case unspecified = 0
    /// The protocol version is not one the receiver speaks.
    case badVersion = 1
    /// The run id belongs to another run.
    case badRun = 2
    /// The envelope did not parse, the body is missing or frames do not match their specs.
    case malformed = 3
    /// The message exceeds the receiver's size limit.
    case oversized = 4
    /// A tensor's shape does not fit the run's configuration.
    case badShape = 5
    /// A tensor holds NaN or infinity.
    case notFinite = 6
    /// The lease id is unknown or was revoked.
    case unknownLease = 7
    /// The message refers to a weight version or step too old to use.
    case stale = 8

    /// The code to send back for a decoding failure.
    public init(_ error: WireError) {
        switch error {
        case .wrongProtocolVersion: self = .badVersion
        case .wrongRun: self = .badRun
        case .oversized: self = .oversized
        case .badShape, .frameSizeMismatch, .valueCountMismatch, .wrongDType: self = .badShape
        default: self = .malformed
        }
    }
}

/// Any → sender: the previous message was refused. No frames.
public struct WireReject: Equatable, Sendable {
    /// Category of the refusal.
    public var code: WireRejectCode
    /// One-line human-readable explanation.
    public var detail: String
    /// Sequence number of the refused message (0 when it could not be read).
    public var refusedSequence: UInt64
    /// The lease whose message was refused (0 for none).
    public var leaseID: UInt64

    /// Creates a Reject.
    public init(code: WireRejectCode, detail: String, refusedSequence: UInt64 = 0, leaseID: UInt64 = 0) {
        self.code = code
        self.detail = detail
        self.refusedSequence = refusedSequence
        self.leaseID = leaseID
    }
}

/// Parameter-server shard → coordinator: sums of squares of a step's normalised gradient over
/// fixed blocks of the shard's slice. No frames.
public struct WireNormPartial: Equatable, Sendable {
    /// Optimizer step the sums belong to.
    public var step: UInt64
    /// Index of the sending shard.
    public var psShard: UInt32
    /// Index of the first block covered.
    public var firstBlock: UInt64
    /// Sum of squares of each block, in block order.
    public var blockSums: [Double]

    /// Creates a NormPartial.
    public init(step: UInt64, psShard: UInt32, firstBlock: UInt64, blockSums: [Double]) {
        self.step = step
        self.psShard = psShard
        self.firstBlock = firstBlock
        self.blockSums = blockSums
    }
}

/// Coordinator → every parameter-server shard: a step's global sum of squares. No frames.
public struct WireNormTotal: Equatable, Sendable {
    /// Optimizer step the total belongs to.
    public var step: UInt64
    /// Sum of squares over every block, in block order.
    public var sumOfSquares: Double

    /// Creates a NormTotal.
    public init(step: UInt64, sumOfSquares: Double) {
        self.step = step
        self.sumOfSquares = sumOfSquares
    }
}
