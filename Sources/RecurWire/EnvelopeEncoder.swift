// Builds the protobuf-c Envelope for a WireMessage and packs it into frame-0 bytes.
import CRecurProto

/// Swift → protobuf-c conversion for frame 0. All C memory comes from one `CArena`.
enum EnvelopeEncoder {
    /// The serialized `recur.Envelope` describing `message` and its frames.
    static func pack(_ message: WireMessage) -> [UInt8] {
        let arena = CArena()
        let envelope = arena.make(Recur__Envelope.self) { recur__envelope__init($0) }
        envelope.pointee.protocol_version = message.protocolVersion
        envelope.pointee.run_id = message.runID
        envelope.pointee.sender = arena.string(message.sender)
        envelope.pointee.sequence = message.sequence
        let specs = message.frames.map { frameSpec($0, arena) }
        envelope.pointee.n_frames = specs.count
        envelope.pointee.frames = arena.copy(specs.map(Optional.some))
        setBody(message.body, of: envelope, arena)
        let size = recur__envelope__get_packed_size(envelope)
        return [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
            count = recur__envelope__pack(envelope, buffer.baseAddress)
        }
    }

    /// The C FrameSpec describing `frame`.
    private static func frameSpec(_ frame: WireFrame, _ arena: CArena) -> UnsafeMutablePointer<Recur__FrameSpec> {
        arena.make(Recur__FrameSpec.self) { spec in
            recur__frame_spec__init(spec)
            spec.pointee.name = arena.string(frame.name)
            spec.pointee.dtype = frame.dtype == .f32 ? RECUR__DTYPE__F32 : RECUR__DTYPE__I32
            spec.pointee.n_shape = frame.shape.count
            spec.pointee.shape = arena.copy(frame.shape.map { UInt64($0) })
            spec.pointee.offset = UInt64(frame.offset)
            if let ref = frame.shared {
                spec.pointee.shared = arena.make(Recur__SharedRef.self) { r in
                    recur__shared_ref__init(r)
                    r.pointee.token = ref.token
                    r.pointee.slot = ref.slot
                    r.pointee.byte_offset = ref.byteOffset
                    r.pointee.generation = ref.generation
                }
            }
        }
    }

    /// The C Segment describing `s`.
    private static func segment(_ s: WireSegment, _ arena: CArena) -> UnsafeMutablePointer<Recur__Segment> {
        arena.make(Recur__Segment.self) { c in
            recur__segment__init(c)
            c.pointee.pid = s.pid
            c.pointee.fd = s.fd
            c.pointee.token = s.token
            c.pointee.byte_count = s.byteCount
        }
    }

    /// Stores the body pointer and its case in the envelope.
    private static func setBody(_ body: WireBody, of envelope: UnsafeMutablePointer<Recur__Envelope>,
                                _ arena: CArena) {
        switch body {
        case .hello(let hello):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_HELLO
            envelope.pointee.hello = arena.make(Recur__Hello.self) { c in
                recur__hello__init(c)
                c.pointee.worker_id = arena.string(hello.workerID)
                c.pointee.pid = hello.pid
                c.pointee.hostname = arena.string(hello.hostname)
                c.pointee.threads = hello.threads
                c.pointee.security_mechanism = arena.string(hello.securityMechanism)
                c.pointee.role = arena.string(hello.role)
                c.pointee.ps_shard = hello.psShard
                c.pointee.endpoint = arena.string(hello.endpoint)
            }
        case .welcome(let welcome):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_WELCOME
            envelope.pointee.welcome = arena.make(Recur__Welcome.self) { c in
                recur__welcome__init(c)
                c.pointee.config_json = arena.string(welcome.configJSON)
                c.pointee.n_ps_endpoints = welcome.psEndpoints.count
                c.pointee.ps_endpoints = arena.copy(welcome.psEndpoints.map { Optional(arena.string($0)) })
                c.pointee.heartbeat_interval_ms = welcome.heartbeatIntervalMs
                c.pointee.lease_timeout_ms = welcome.leaseTimeoutMs
                c.pointee.current_version = welcome.currentVersion
                c.pointee.ps_shard = welcome.psShard
                c.pointee.incarnation = welcome.incarnation
            }
        case .task(let task):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_TASK
            envelope.pointee.task = arena.make(Recur__Task.self) { c in
                recur__task__init(c)
                c.pointee.step = task.step
                c.pointee.shard = task.shard
                c.pointee.shard_count = task.shardCount
                c.pointee.first_lane = task.firstLane
                c.pointee.lane_count = task.laneCount
                c.pointee.steps = task.steps
                c.pointee.weight_version = task.weightVersion
                c.pointee.kind = Recur__ShardKind(rawValue: task.kind.rawValue)
                c.pointee.lease_id = task.leaseID
            }
        case .result(let result):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_RESULT
            envelope.pointee.result = arena.make(Recur__Result.self) { c in
                recur__result__init(c)
                c.pointee.lease_id = result.leaseID
                c.pointee.step = result.step
                c.pointee.shard = result.shard
                c.pointee.weight_version = result.weightVersion
                c.pointee.loss_sum = result.lossSum
                c.pointee.token_count = result.tokenCount
                c.pointee.compute_ms = result.computeMs
            }
        case .gradient(let gradient):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_GRADIENT
            envelope.pointee.gradient = arena.make(Recur__Gradient.self) { c in
                recur__gradient__init(c)
                c.pointee.lease_id = gradient.leaseID
                c.pointee.step = gradient.step
                c.pointee.shard = gradient.shard
                c.pointee.shard_count = gradient.shardCount
                c.pointee.weight_version = gradient.weightVersion
                c.pointee.token_count = gradient.tokenCount
                c.pointee.loss_sum = gradient.lossSum
            }
        case .stepApplied(let applied):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_STEP_APPLIED
            envelope.pointee.step_applied = arena.make(Recur__StepApplied.self) { c in
                recur__step_applied__init(c)
                c.pointee.version = applied.version
                c.pointee.step = applied.step
                c.pointee.grad_norm = applied.gradNorm
                c.pointee.staleness = applied.staleness
                c.pointee.rejected = applied.rejected ? 1 : 0
                c.pointee.reason = arena.string(applied.rejectionReason ?? "")
            }
        case .weightsRequest(let request):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_WEIGHTS_REQUEST
            envelope.pointee.weights_request = arena.make(Recur__WeightsRequest.self) { c in
                recur__weights_request__init(c)
                c.pointee.min_version = request.minVersion
                c.pointee.with_optimizer = request.withOptimizer ? 1 : 0
                c.pointee.in_pieces = request.inPieces ? 1 : 0
                c.pointee.gradient_segment = request.gradientSegment.map { segment($0, arena) }
                c.pointee.attached_token = request.attachedToken
            }
        case .weights(let weights):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_WEIGHTS
            envelope.pointee.weights = arena.make(Recur__Weights.self) { c in
                recur__weights__init(c)
                c.pointee.version = weights.version
                c.pointee.weights_segment = weights.weightsSegment.map { segment($0, arena) }
                c.pointee.attached_token = weights.attachedToken
            }
        case .heartbeat(let heartbeat):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_HEARTBEAT
            envelope.pointee.heartbeat = arena.make(Recur__Heartbeat.self) { c in
                recur__heartbeat__init(c)
                c.pointee.now_ms = heartbeat.nowMs
                c.pointee.state = arena.string(heartbeat.state)
            }
        case .leave(let leave):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_LEAVE
            envelope.pointee.leave = arena.make(Recur__Leave.self) { c in
                recur__leave__init(c)
                c.pointee.reason = arena.string(leave.reason)
                c.pointee.lease_id = leave.leaseID ?? 0
            }
        case .reject(let reject):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_REJECT
            envelope.pointee.reject = arena.make(Recur__Reject.self) { c in
                recur__reject__init(c)
                c.pointee.code = Recur__Reject__Code(rawValue: reject.code.rawValue)
                c.pointee.detail = arena.string(reject.detail)
                c.pointee.refused_sequence = reject.refusedSequence
                c.pointee.lease_id = reject.leaseID
            }
        case .normPartial(let partial):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_NORM_PARTIAL
            envelope.pointee.norm_partial = arena.make(Recur__NormPartial.self) { c in
                recur__norm_partial__init(c)
                c.pointee.step = partial.step
                c.pointee.ps_shard = partial.psShard
                c.pointee.first_block = partial.firstBlock
                c.pointee.n_block_sums = partial.blockSums.count
                c.pointee.block_sums = arena.copy(partial.blockSums)
            }
        case .normTotal(let total):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_NORM_TOTAL
            envelope.pointee.norm_total = arena.make(Recur__NormTotal.self) { c in
                recur__norm_total__init(c)
                c.pointee.step = total.step
                c.pointee.sum_of_squares = total.sumOfSquares
            }
        case .statusRequest:
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_STATUS_REQUEST
            envelope.pointee.status_request = arena.make(Recur__StatusRequest.self) { recur__status_request__init($0) }
        case .statusReply(let reply):
            envelope.pointee.body_case = RECUR__ENVELOPE__BODY_STATUS_REPLY
            envelope.pointee.status_reply = statusReply(reply, arena)
        }
    }
}
