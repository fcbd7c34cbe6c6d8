// The byte layout of a shared-memory segment (header, generations, slots) and its descriptor.
import RecurWire
//
// A segment is one sealed memfd of `byteCount` bytes, all offsets in bytes, integers little-endian
// (native on every supported host):
//
//   header, from offset 0:
//     0   magic      8 bytes   "RECURSHM"
//     8   format     UInt32    1
//     12  reserved   UInt32    0
//     16  token      UInt64    random, nonzero; equals the descriptor's token
//     24  slots      UInt64    S, 1...64
//     32  slotBytes  UInt64    B, a positive multiple of 64
//     64 + 64*k      UInt64    generation of slot k (k < S), one per 64-byte line; starts at 0
//   data, from headerBytes = (64 + 64*S) rounded up to 4096 (one page, or two when S = 64):
//     headerBytes + k*B        slot k, B bytes
//
//   byteCount = headerBytes + S*B

/// Where a peer's segment is: enough to map it from the same host. One definition serves the
/// wire (a Segment field of WeightsRequest and Weights) and the mapping code: `WireSegment`.
public typealias SharedSegmentDescriptor = WireSegment

/// Offsets and limits of the segment layout described at the top of this file.
enum SharedSegmentLayout {
    /// The first 8 bytes of every segment.
    static let magic: [UInt8] = Array("RECURSHM".utf8)
    /// The layout version written at offset 8.
    static let format: UInt32 = 1
    /// Byte offsets of the header fields.
    static let formatOffset = 8, tokenOffset = 16, slotsOffset = 24, slotBytesOffset = 32
    /// Cache-line size in bytes: each generation has its own line, and slot sizes are multiples of it.
    static let lineBytes = 64
    /// Page size in bytes: data starts on a page boundary.
    static let pageBytes = 4096
    /// The most slots one segment holds.
    static let maxSlots = 64
    /// The most data bytes (all slots together) one segment holds: 1 TiB.
    static let maxDataBytes = 1 << 40

    /// Byte offset of slot `k`'s generation.
    static func generationOffset(_ k: Int) -> Int { lineBytes + lineBytes * k }

    /// Bytes before the first slot for `slots` slots (1...maxSlots): the header rounded up to a page.
    static func headerBytes(slots: Int) -> Int {
        (generationOffset(slots) + pageBytes - 1) / pageBytes * pageBytes
    }

    /// `slotBytes` rounded up to a multiple of `lineBytes`, and the segment's total size, or a
    /// reason why `slots` and `slotBytes` do not make a valid segment.
    static func geometry(slots: Int, slotBytes: Int) -> Result<(slotBytes: Int, byteCount: Int), SharedMemoryError> {
        guard slots >= 1, slots <= maxSlots else {
            return .failure(.badGeometry("\(slots) slots, need 1...\(maxSlots)"))
        }
        guard slotBytes >= 1, slotBytes <= maxDataBytes else {
            return .failure(.badGeometry("\(slotBytes) bytes per slot, need 1...\(maxDataBytes)"))
        }
        let rounded = (slotBytes + lineBytes - 1) / lineBytes * lineBytes
        let (data, overflow) = rounded.multipliedReportingOverflow(by: slots)
        guard !overflow, data <= maxDataBytes else {
            return .failure(.badGeometry("\(slots) slots of \(rounded) bytes exceed \(maxDataBytes) bytes"))
        }
        return .success((rounded, headerBytes(slots: slots) + data))
    }
}
