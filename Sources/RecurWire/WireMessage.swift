// A whole wire message: envelope header fields, exactly one body, and its payload frames.

/// Protocol constants shared by every peer.
public enum WireProtocol {
    /// The protocol version this build speaks (`Envelope.protocol_version`); 2 added gradient and
    /// weight pieces, 3 shared-memory payloads, 4 the example shards of classification and tagging
    /// (`Task.kind`), 5 the pair shards of the encoder–decoder.
    public static let version: UInt32 = 5
}

/// The body of a message: exactly one of the protocol's message kinds.
public enum WireBody: Equatable, Sendable {
    /// Worker → coordinator or parameter server: join request.
    case hello(WireHello)
    /// Coordinator → worker: join accepted.
    case welcome(WireWelcome)
    /// Coordinator → worker: a shard to compute (frames: inputs, targets, state).
    case task(WireTask)
    /// Worker → coordinator: a finished shard (frames: state).
    case result(WireResult)
    /// Worker → parameter server: a shard's gradient (frames: gradient).
    case gradient(WireGradient)
    /// Parameter server → coordinator: a step's outcome.
    case stepApplied(WireStepApplied)
    /// Worker → parameter server: ask for weights.
    case weightsRequest(WireWeightsRequest)
    /// Parameter server → workers: the weights (frames: params).
    case weights(WireWeights)
    /// Any → any: liveness.
    case heartbeat(WireHeartbeat)
    /// Any → any: orderly departure.
    case leave(WireLeave)
    /// Any → sender: refusal of the previous message.
    case reject(WireReject)
    /// Parameter-server shard → coordinator: its share of a step's gradient norm.
    case normPartial(WireNormPartial)
    /// Coordinator → parameter-server shards: a step's global gradient norm.
    case normTotal(WireNormTotal)
    /// Client → coordinator: a request for the run's status.
    case statusRequest
    /// Coordinator → client: the run's status.
    case statusReply(WireStatusReply)

    /// The protocol's field name of this body kind, e.g. "step_applied" (for logs).
    public var kind: String {
        switch self {
        case .hello: return "hello"
        case .welcome: return "welcome"
        case .task: return "task"
        case .result: return "result"
        case .gradient: return "gradient"
        case .stepApplied: return "step_applied"
        case .weightsRequest: return "weights_request"
        case .weights: return "weights"
        case .heartbeat: return "heartbeat"
        case .leave: return "leave"
        case .reject: return "reject"
        case .normPartial: return "norm_partial"
        case .normTotal: return "norm_total"
        case .statusRequest: return "status_request"
        case .statusReply: return "status_reply"
        }
    }
}

/// One message: the envelope's header fields, its body and its payload frames (frames 1…n).
public struct WireMessage: Equatable, Sendable {
    /// Protocol version: `WireProtocol.version` for every message that decoded.
    public var protocolVersion: UInt32
    /// Random id of the training run.
    public var runID: UInt64
    /// Sender's stable name, e.g. "worker-3".
    public var sender: String
    /// Per-sender message counter.
    public var sequence: UInt64
    /// The message itself.
    public var body: WireBody
    /// Payload frames, in wire order.
    public var frames: [WireFrame]

    /// Creates a message at the current protocol version.
    public init(runID: UInt64, sender: String, sequence: UInt64, body: WireBody, frames: [WireFrame] = []) {
        self.protocolVersion = WireProtocol.version
        self.runID = runID
        self.sender = sender
        self.sequence = sequence
        self.body = body
        self.frames = frames
    }

    /// The first payload frame called `name`; throws `WireError.missingFrame` when there is none.
    public func frame(named name: String) throws -> WireFrame { try frames.named(name) }
}
