// Reads an unpacked protobuf-c Envelope's header, body and frame specs into Swift values.
import CRecurProto

/// protobuf-c → Swift conversion for frame 0. Never dereferences a NULL pointer.
enum EnvelopeDecoder {
    /// A frame descriptor as declared by the envelope, not yet checked against the payload.
    struct Spec {
        /// Frame name.
        var name: String
        /// Raw dtype value as received.
        var dtypeRaw: Int64
        /// Dimensions as received.
        var shape: [UInt64]
        /// Element offset as received.
        var offset: UInt64
        /// Where the payload lies in the sender's segment, when it is not in the frame.
        var shared: WireSharedRef? = nil
    }

    /// The frame specs declared by `envelope`, in order.
    static func specs(_ envelope: Recur__Envelope) -> [Spec] {
        guard let frames = envelope.frames else { return [] }
        return (0..<envelope.n_frames).map { index in
            guard let spec = frames[index]?.pointee else { return Spec(name: "", dtypeRaw: -1, shape: [], offset: 0) }
            let shape = spec.shape.map { Array(UnsafeBufferPointer(start: $0, count: spec.n_shape)) } ?? []
            let shared = spec.shared.map { r in
                WireSharedRef(token: r.pointee.token, slot: r.pointee.slot, byteOffset: r.pointee.byte_offset,
                              generation: r.pointee.generation)
            }
            return Spec(name: string(spec.name), dtypeRaw: Int64(spec.dtype.rawValue), shape: shape, offset: spec.offset,
                        shared: shared)
        }
    }

    /// The envelope's body, or nil when no (readable) body is set.
    /// - Throws: `WireError.unknownShardKind` for a Task whose kind this build does not know.
    static func body(_ envelope: Recur__Envelope) throws -> WireBody? {
        switch envelope.body_case {
        case RECUR__ENVELOPE__BODY_HELLO:
            return envelope.hello.map { p in
                let c = p.pointee
                return .hello(WireHello(workerID: string(c.worker_id), pid: c.pid, hostname: string(c.hostname),
                                        threads: c.threads, securityMechanism: string(c.security_mechanism),
                                        role: string(c.role), psShard: c.ps_shard, endpoint: string(c.endpoint)))
            }
        case RECUR__ENVELOPE__BODY_WELCOME:
            return envelope.welcome.map { p in
                let c = p.pointee
                let endpoints = c.ps_endpoints.map { list in (0..<c.n_ps_endpoints).map { string(list[$0]) } } ?? []
                return .welcome(WireWelcome(configJSON: string(c.config_json), psEndpoints: endpoints,
                                            heartbeatIntervalMs: c.heartbeat_interval_ms,
                                            leaseTimeoutMs: c.lease_timeout_ms, currentVersion: c.current_version,
                                            psShard: c.ps_shard, incarnation: c.incarnation))
            }
        case RECUR__ENVELOPE__BODY_TASK:
            guard let p = envelope.task else { return nil }
            let c = p.pointee
            guard let kind = WireShardKind(rawValue: c.kind.rawValue) else {
                throw WireError.unknownShardKind(c.kind.rawValue)
            }
            return .task(WireTask(step: c.step, shard: c.shard, shardCount: c.shard_count, firstLane: c.first_lane,
                                  laneCount: c.lane_count, steps: c.steps, weightVersion: c.weight_version,
                                  leaseID: c.lease_id, kind: kind))
        case RECUR__ENVELOPE__BODY_RESULT:
            return envelope.result.map { p in
                let c = p.pointee
                return .result(WireResult(leaseID: c.lease_id, step: c.step, shard: c.shard,
                                          weightVersion: c.weight_version, lossSum: c.loss_sum,
                                          tokenCount: c.token_count, computeMs: c.compute_ms))
            }
        case RECUR__ENVELOPE__BODY_GRADIENT:
            return envelope.gradient.map { p in
                let c = p.pointee
                return .gradient(WireGradient(leaseID: c.lease_id, step: c.step, shard: c.shard,
                                              shardCount: c.shard_count, weightVersion: c.weight_version,
                                              tokenCount: c.token_count, lossSum: c.loss_sum))
            }
        case RECUR__ENVELOPE__BODY_STEP_APPLIED:
            return envelope.step_applied.map { p in
                let c = p.pointee
                return .stepApplied(WireStepApplied(version: c.version, step: c.step, gradNorm: c.grad_norm,
                                                    staleness: c.staleness,
                                                    rejectionReason: c.rejected != 0 ? string(c.reason) : nil))
            }
        case RECUR__ENVELOPE__BODY_WEIGHTS_REQUEST:
            return envelope.weights_request.map {
                .weightsRequest(WireWeightsRequest(minVersion: $0.pointee.min_version, withOptimizer: $0.pointee.with_optimizer != 0,
                                                   inPieces: $0.pointee.in_pieces != 0,
                                                   gradientSegment: segment($0.pointee.gradient_segment),
                                                   attachedToken: $0.pointee.attached_token))
            }
        case RECUR__ENVELOPE__BODY_WEIGHTS:
            return envelope.weights.map {
                .weights(WireWeights(version: $0.pointee.version, weightsSegment: segment($0.pointee.weights_segment),
                                     attachedToken: $0.pointee.attached_token))
            }
        case RECUR__ENVELOPE__BODY_HEARTBEAT:
            return envelope.heartbeat.map { .heartbeat(WireHeartbeat(nowMs: $0.pointee.now_ms, state: string($0.pointee.state))) }
        case RECUR__ENVELOPE__BODY_LEAVE:
            return envelope.leave.map { .leave(WireLeave(reason: string($0.pointee.reason), leaseID: $0.pointee.lease_id)) }
        case RECUR__ENVELOPE__BODY_REJECT:
            return envelope.reject.map { p in
                let c = p.pointee
                return .reject(WireReject(code: WireRejectCode(rawValue: UInt32(truncatingIfNeeded: c.code.rawValue))
                                              ?? .unspecified,
                                          detail: string(c.detail), refusedSequence: c.refused_sequence,
                                          leaseID: c.lease_id))
            }
        case RECUR__ENVELOPE__BODY_NORM_PARTIAL:
            return envelope.norm_partial.map { p in
                let c = p.pointee
                let sums = c.block_sums.map { Array(UnsafeBufferPointer(start: $0, count: c.n_block_sums)) } ?? []
                return .normPartial(WireNormPartial(step: c.step, psShard: c.ps_shard, firstBlock: c.first_block, blockSums: sums))
            }
        case RECUR__ENVELOPE__BODY_NORM_TOTAL:
            return envelope.norm_total.map { .normTotal(WireNormTotal(step: $0.pointee.step, sumOfSquares: $0.pointee.sum_of_squares)) }
        case RECUR__ENVELOPE__BODY_STATUS_REQUEST:
            return envelope.status_request.map { _ in .statusRequest }
        case RECUR__ENVELOPE__BODY_STATUS_REPLY:
            return envelope.status_reply.map { .statusReply(statusReply($0.pointee)) }
        default:
            return nil
        }
    }

    /// A segment description, or nil when the field is absent.
    static func segment(_ c: UnsafeMutablePointer<Recur__Segment>?) -> WireSegment? {
        c.map { WireSegment(pid: $0.pointee.pid, fd: $0.pointee.fd, token: $0.pointee.token, byteCount: $0.pointee.byte_count) }
    }

    /// A Swift string from a protobuf-c string field (ill-formed UTF-8 is repaired; NULL is "").
    static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }
}
