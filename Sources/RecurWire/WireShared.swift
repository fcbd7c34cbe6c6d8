// Shared-memory payloads: where a frame's bytes lie in the sender's segment, the segment a peer
// offers, and the receiver-side hook that turns a reference into bytes.

/// Where a payload lies in its sender's shared-memory segment (`recur.SharedRef`).
public struct WireSharedRef: Equatable, Hashable, Sendable {
    /// The segment's token (`WireSegment.token`).
    public var token: UInt64
    /// Slot index within the segment.
    public var slot: UInt32
    /// Byte offset of the payload within the slot.
    public var byteOffset: UInt64
    /// Generation the slot held when the payload was written; another value after reading means
    /// the copy is torn.
    public var generation: UInt64

    /// Creates a reference.
    public init(token: UInt64, slot: UInt32, byteOffset: UInt64, generation: UInt64) {
        self.token = token
        self.slot = slot
        self.byteOffset = byteOffset
        self.generation = generation
    }
}

/// A shared-memory segment its sender offers to a peer on the same host (`recur.Segment`); also
/// what RecurTransport maps (`SharedSegmentDescriptor` is this type), so the two cannot drift apart.
public struct WireSegment: Equatable, Hashable, Sendable {
    /// The sender's (the writer's) process id.
    public var pid: UInt32
    /// The memfd's descriptor number in the sender.
    public var fd: Int32
    /// Random and nonzero; also stored in the segment's header, so a reused fd number is detected.
    public var token: UInt64
    /// The total size of the memfd in bytes (header + slots).
    public var byteCount: UInt64

    /// Creates a segment description.
    /// - Parameters:
    ///   - pid: the writer's process id.
    ///   - fd: the memfd's descriptor number in the writer.
    ///   - token: the segment's token (nonzero).
    ///   - byteCount: the memfd's total size in bytes.
    public init(pid: UInt32, fd: Int32, token: UInt64, byteCount: UInt64) {
        self.pid = pid
        self.fd = fd
        self.token = token
        self.byteCount = byteCount
    }
}

/// Turns a received `WireSharedRef` into the payload's bytes. The decoder calls it for every
/// frame whose spec is shared; without one, such a frame is an error.
public protocol WireSharedResolver {
    /// The `byteCount` bytes `ref` points at: a copy, or memory kept alive by the result's owner.
    /// - Throws: `WireError.sharedUnavailable` when the segment is not mapped here, the range
    ///   lies outside it, or the slot was overwritten while it was read.
    func payload(for ref: WireSharedRef, byteCount: Int, frame: String) throws -> WireBytes
}

extension WireFrame {
    /// The same frame sent as a reference into the sender's segment: `payload` must be the bytes
    /// at `ref` (the sender's own view of them), so the frame stays readable locally.
    public func sharing(_ ref: WireSharedRef, payload: WireBytes) throws -> WireFrame {
        guard payload.count == self.payload.count else {
            throw WireError.frameSizeMismatch(frame: name, index: 0, expectedBytes: self.payload.count, actualBytes: payload.count)
        }
        return WireFrame(unchecked: name, dtype: dtype, shape: shape, offset: offset, payload: payload, shared: ref)
    }
}
