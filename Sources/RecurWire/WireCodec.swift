// Encodes WireMessages into ZeroMQ multipart frames and decodes (and validates) untrusted frames.
import CRecurProto

/// Converts between `WireMessage` and the multipart frames sent over ZeroMQ: frame 0 is a packed
/// `recur.Envelope`, frames 1…n the raw little-endian tensors it describes.
public enum WireCodec {
    /// Default receive limit: 1 GiB for a whole message.
    public static let defaultMaxBytes = 1 << 30
    /// Largest envelope (frame 0) decoded: protobuf-c copies its strings and repeated fields
    /// while unpacking, and the largest real one (a StatusReply listing thousands of workers, a
    /// Welcome with its configuration) is well under 1 MiB.
    public static let maxEnvelopeBytes = 4 << 20

    /// The frames for `message`: the packed envelope, then each payload in order, not copied (the
    /// transport sends large ones straight from where they live).
    public static func encodeFrames(_ message: WireMessage) -> [WireBytes] {
        var frames: [WireBytes] = []
        frames.reserveCapacity(message.frames.count + 1)
        frames.append(WireBytes(EnvelopeEncoder.pack(message)))
        for frame in message.frames { frames.append(frame.shared == nil ? frame.payload : .empty) }
        return frames
    }

    /// `encodeFrames` as arrays (a copy of every payload; for tests and small messages).
    public static func encode(_ message: WireMessage) -> [[UInt8]] {
        encodeFrames(message).map(\.array)
    }

    /// Decodes and validates untrusted `frames` held in arrays; see the `WireBytes` form.
    public static func decode(_ frames: [[UInt8]], expectedRun: UInt64?, maxBytes: Int = defaultMaxBytes,
                              shared: WireSharedResolver? = nil, limit: ((WireBody) -> Int)? = nil) throws -> WireMessage {
        try decode(frames.map(WireBytes.init), expectedRun: expectedRun, maxBytes: maxBytes, shared: shared, limit: limit)
    }

    /// Decodes and validates untrusted `frames`. Never traps on hostile input; throws `WireError`
    /// when there are no frames, they exceed `maxBytes` in total, frame 0 does not parse, the
    /// protocol version is not `WireProtocol.version`, the run id differs from `expectedRun`
    /// (when given), the body is missing, or the payload frames disagree with their specs.
    /// The payload frames keep the received memory (no copy). A frame whose spec is shared must
    /// be empty; `shared` supplies its bytes (`WireError.sharedUnavailable` without it). The
    /// size limit counts shared payloads too. An envelope over `maxEnvelopeBytes` is refused
    /// before it is unpacked; `limit`, when given, is the receiver's bound for a message of the
    /// decoded body (what it knows of the run), applied in place of `maxBytes` from then on,
    /// before any payload frame is read.
    public static func decode(_ frames: [WireBytes], expectedRun: UInt64?, maxBytes: Int = defaultMaxBytes,
                              shared: WireSharedResolver? = nil, limit: ((WireBody) -> Int)? = nil) throws -> WireMessage {
        guard let first = frames.first else { throw WireError.noFrames }
        var total = 0
        for frame in frames {
            let (sum, overflow) = total.addingReportingOverflow(frame.count)
            total = overflow ? Int.max : sum
        }
        guard total <= maxBytes else { throw WireError.oversized(totalBytes: total, maxBytes: maxBytes) }
        guard first.count <= maxEnvelopeBytes else { throw WireError.oversized(totalBytes: first.count, maxBytes: maxEnvelopeBytes) }

        let unpacked = first.withUnsafeBytes { buffer in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in  // never a NULL pointer
                recur__envelope__unpack(nil, buffer.count, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(empty.baseAddress))
            }
        }
        guard let unpacked else { throw WireError.malformedEnvelope(byteCount: first.count) }
        defer { recur__envelope__free_unpacked(unpacked, nil) }
        let envelope = unpacked.pointee

        guard envelope.protocol_version == WireProtocol.version else {
            throw WireError.wrongProtocolVersion(received: envelope.protocol_version, expected: WireProtocol.version)
        }
        if let expectedRun, envelope.run_id != expectedRun {
            throw WireError.wrongRun(received: envelope.run_id, expected: expectedRun)
        }
        guard let body = try EnvelopeDecoder.body(envelope) else { throw WireError.missingBody }
        let maxBytes = limit?(body) ?? maxBytes
        guard total <= maxBytes else { throw WireError.oversized(totalBytes: total, maxBytes: maxBytes) }
        let specs = EnvelopeDecoder.specs(envelope)
        guard specs.count == frames.count - 1 else {
            throw WireError.frameCountMismatch(declared: specs.count, received: frames.count - 1)
        }
        var payloads: [WireFrame] = []
        payloads.reserveCapacity(specs.count)
        for (index, spec) in specs.enumerated() {
            payloads.append(try payload(spec, bytes: frames[index + 1], index: index + 1, shared: shared, total: &total,
                                        maxBytes: maxBytes))
        }
        var message = WireMessage(runID: envelope.run_id, sender: EnvelopeDecoder.string(envelope.sender),
                                  sequence: envelope.sequence, body: body, frames: payloads)
        message.protocolVersion = envelope.protocol_version
        return message
    }

    /// Checks one payload frame against its declared spec.
    private static func payload(_ spec: EnvelopeDecoder.Spec, bytes received: WireBytes, index: Int,
                                shared: WireSharedResolver?, total: inout Int, maxBytes: Int) throws -> WireFrame {
        guard let dtype = WireDType(rawValue: Int(spec.dtypeRaw)) else {
            throw WireError.unknownDType(frame: spec.name, rawValue: spec.dtypeRaw)
        }
        var shape: [Int] = []
        shape.reserveCapacity(spec.shape.count)
        for dimension in spec.shape {
            guard dimension <= UInt64(Int.max) else {
                throw WireError.badShape(frame: spec.name, detail: "dimension \(dimension) is too large")
            }
            shape.append(Int(dimension))
        }
        let expected = try WireFrame.byteCount(name: spec.name, dtype: dtype, shape: shape)
        var bytes = received
        if let ref = spec.shared {
            guard received.count == 0 else {
                throw WireError.frameSizeMismatch(frame: spec.name, index: index, expectedBytes: 0, actualBytes: received.count)
            }
            let (sum, overflow) = total.addingReportingOverflow(expected)
            total = overflow ? Int.max : sum
            guard total <= maxBytes else { throw WireError.oversized(totalBytes: total, maxBytes: maxBytes) }
            guard let shared else {
                throw WireError.sharedUnavailable(frame: spec.name, detail: "this receiver maps no shared memory")
            }
            bytes = try shared.payload(for: ref, byteCount: expected, frame: spec.name)
        }
        guard expected == bytes.count else {
            throw WireError.frameSizeMismatch(frame: spec.name, index: index, expectedBytes: expected,
                                              actualBytes: bytes.count)
        }
        guard spec.offset <= UInt64(Int.max) else { throw WireError.badOffset(frame: spec.name, offset: spec.offset) }
        return WireFrame(unchecked: spec.name, dtype: dtype, shape: shape, offset: Int(spec.offset), payload: bytes,
                         shared: spec.shared)
    }
}
