// Errors raised while building, encoding or decoding wire messages.

/// Everything that can be wrong with a wire message; each description is one line.
public enum WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The message had no frames at all (not even the envelope).
    case noFrames
    /// The message's frames add up to more bytes than the receiver accepts.
    case oversized(totalBytes: Int, maxBytes: Int)
    /// Frame 0 is not a parseable `Envelope`.
    case malformedEnvelope(byteCount: Int)
    /// The envelope's protocol version is not the one this build speaks.
    case wrongProtocolVersion(received: UInt32, expected: UInt32)
    /// The envelope belongs to another training run.
    case wrongRun(received: UInt64, expected: UInt64)
    /// The envelope carries no body.
    case missingBody
    /// The envelope declares a different number of payload frames than were received.
    case frameCountMismatch(declared: Int, received: Int)
    /// A frame's dtype is not one this build knows.
    case unknownDType(frame: String, rawValue: Int64)
    /// A frame's shape is negative, too large, or its byte size overflows.
    case badShape(frame: String, detail: String)
    /// A frame's byte size differs from product(shape) × 4.
    case frameSizeMismatch(frame: String, index: Int, expectedBytes: Int, actualBytes: Int)
    /// A frame's element offset does not fit in `Int`.
    case badOffset(frame: String, offset: UInt64)
    /// A frame built locally has a value count that does not match its shape.
    case valueCountMismatch(frame: String, shape: [Int], valueCount: Int)
    /// A frame was read as the wrong element type.
    case wrongDType(frame: String, expected: WireDType, actual: WireDType)
    /// A message lacks a frame its kind requires.
    case missingFrame(name: String)
    /// A frame's payload is in the sender's shared memory and cannot be read here.
    case sharedUnavailable(frame: String, detail: String)
    /// A Task names a shard kind this build does not know.
    case unknownShardKind(UInt32)

    /// A one-line human-readable message.
    public var description: String {
        switch self {
        case .noFrames:
            return "wire: message has no frames (expected an envelope in frame 0)"
        case .oversized(let total, let max):
            return "wire: message is \(total) bytes, over the \(max)-byte limit"
        case .malformedEnvelope(let count):
            return "wire: frame 0 (\(count) bytes) is not a valid recur.Envelope"
        case .wrongProtocolVersion(let received, let expected):
            return "wire: protocol version \(received) received, this build speaks version \(expected)"
        case .wrongRun(let received, let expected):
            return "wire: message is for run \(hex(received)), this process is in run \(hex(expected))"
        case .missingBody:
            return "wire: envelope has no body"
        case .frameCountMismatch(let declared, let received):
            return "wire: envelope declares \(declared) payload frame(s), \(received) received"
        case .unknownDType(let frame, let raw):
            return "wire: frame \(WireText.quoted(frame)) has unknown dtype \(raw)"
        case .badShape(let frame, let detail):
            return "wire: frame \(WireText.quoted(frame)) has a bad shape: \(WireText.oneLine(detail))"
        case .frameSizeMismatch(let frame, let index, let expected, let actual):
            return "wire: frame \(index) \(WireText.quoted(frame)) is \(actual) bytes, its shape needs \(expected)"
        case .badOffset(let frame, let offset):
            return "wire: frame \(WireText.quoted(frame)) has an out-of-range offset \(offset)"
        case .valueCountMismatch(let frame, let shape, let count):
            return "wire: frame \(WireText.quoted(frame)) has \(count) values, shape \(shape) needs "
                + "\(shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue })"
        case .wrongDType(let frame, let expected, let actual):
            return "wire: frame \(WireText.quoted(frame)) holds \(actual), read as \(expected)"
        case .missingFrame(let name):
            return "wire: message has no frame named \(WireText.quoted(name))"
        case .sharedUnavailable(let frame, let detail):
            return "wire: frame \(WireText.quoted(frame)) is in the sender's shared memory: \(WireText.oneLine(detail))"
        case .unknownShardKind(let raw):
            return "wire: Task has unknown shard kind \(raw)"
        }
    }

    private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
