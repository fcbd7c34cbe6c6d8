// SharedInbox: the peers' shared-memory segments a role has mapped, and how a received SharedRef
// becomes bytes: a checked copy for a server (the gradient is a peer's memory), a borrowed view
// for a worker (the weights it then copies into its model).
import RecurTransport
import RecurWire

/// Maps peers' segments on request and resolves the references in their messages.
///
/// A server copies each referenced gradient out of the worker's segment and then checks that the
/// slot's generation is still the one the reference names, so no value it checks is read twice. A
/// copy the worker overwrote (before or while it was read) is unusable: it is handed on as NaN, so
/// the piece takes the path of every unusable gradient after the checks that drop stale and
/// duplicate pieces: refused, counted, and its shard dealt again at once (the coordinator hears of
/// it with the lease), where a dropped message would hold the shard until its lease expired.
/// A worker borrows the server's weights (it copies them into its model as the forward pass reaches
/// them); a slot the server has already reused is refused at receipt.
public final class SharedInbox: WireSharedResolver {
    /// How referenced payloads are handed over.
    public enum Mode: Sendable {
        /// A private copy, validated after it is made (the server's gradients).
        case copy
        /// A view of the mapping, kept alive by the frame (the worker's weights).
        case borrow
    }

    /// How payloads are handed over.
    public let mode: Mode
    /// Mapped segments by token.
    var mappings: [UInt64: SharedMapping] = [:]
    /// Segments that could not be mapped, by token, with why (not tried again).
    public private(set) var refusals: [UInt64: String] = [:]
    /// Copies found torn (`copy` mode) and handed on as NaN.
    public private(set) var torn = 0
    /// Messages refused because their slot was reused before they were read (`borrow` mode): a
    /// worker read weights the server had already replaced.
    public private(set) var reused = 0

    /// The most bytes one referenced payload may have; larger ones are refused before anything is
    /// read or allocated. A server sets it to its slice's size once configured: a gradient larger
    /// than the slice could never be used, and a copy of it would take as much memory as the
    /// peer's segment allows.
    public var maxPayloadBytes = Int.max
    /// References refused because they declared more than `maxPayloadBytes`.
    public private(set) var oversized = 0

    /// Creates an inbox that maps nothing yet.
    public init(mode: Mode) { self.mode = mode }

    /// Maps `segment` unless it is mapped already or was refused before.
    /// - Returns: nil when the segment is mapped, else why it cannot be (another host, another user,
    ///   not a sealed Recur segment), which the caller logs once.
    public func attach(_ segment: WireSegment) -> String? {
        if mappings[segment.token] != nil { return nil }
        if let why = refusals[segment.token] { return why }
        do {
            mappings[segment.token] = try SharedMapping(attaching: segment)
            return nil
        } catch {
            refusals[segment.token] = "\(error)"
            return "\(error)"
        }
    }

    /// Unmaps the segment with `token` once no frame still reads it (a peer that restarted or
    /// reconfigured offers a new one).
    public func forget(_ token: UInt64) { mappings[token] = nil }

    /// Whether the segment with `token` is mapped here.
    public func isMapped(_ token: UInt64) -> Bool { mappings[token] != nil }

    /// The bytes `ref` names, as `mode` says.
    /// - Throws: `WireError.sharedUnavailable` for more than `maxPayloadBytes`, an unknown token, a range outside the slot, or
    ///   (`borrow` mode) a slot whose generation is no longer the reference's.
    public func payload(for ref: WireSharedRef, byteCount: Int, frame: String) throws -> WireBytes {
        guard byteCount <= maxPayloadBytes else {
            oversized += 1
            throw WireError.sharedUnavailable(frame: frame, detail: "\(byteCount) bytes exceed the \(maxPayloadBytes) the layout allows")
        }
        guard let m = mappings[ref.token] else {
            throw WireError.sharedUnavailable(frame: frame, detail: "segment \(ref.token) is not mapped here")
        }
        guard ref.byteOffset <= UInt64(Int.max), let source = m.bytes(slot: Int(ref.slot), offset: Int(ref.byteOffset), count: byteCount) else {
            throw WireError.sharedUnavailable(frame: frame, detail: "\(byteCount) bytes at \(ref.byteOffset) of slot \(ref.slot) lie outside the segment")
        }
        let current = m.generation(slot: Int(ref.slot)) == ref.generation
        switch mode {
        case .borrow:
            guard current else {
                reused += 1
                throw WireError.sharedUnavailable(frame: frame, detail: "slot \(ref.slot) was reused before the message was read")
            }
            return WireBytes(borrowing: source, count: byteCount, owner: m)
        case .copy:
            let copy = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, count in
                if byteCount > 0 { buffer.baseAddress!.update(from: source.assumingMemoryBound(to: UInt8.self), count: byteCount) }
                count = byteCount
            }
            // `generation(slot:)` fences first: the copy's loads are ordered before this check.
            guard current, m.generation(slot: Int(ref.slot)) == ref.generation else {
                torn += 1
                let nan = Float.nan.bitPattern
                return WireBytes((0..<byteCount).map { UInt8(truncatingIfNeeded: nan >> (8 * UInt32($0 % 4))) })
            }
            return WireBytes(copy)
        }
    }
}
