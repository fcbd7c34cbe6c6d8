// A tensor payload frame: its descriptor (name, dtype, shape, offset) and its raw bytes.

/// Element type of a payload frame; both types are 4 bytes, little-endian on the wire.
public enum WireDType: Int, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// IEEE-754 binary32.
    case f32 = 0
    /// Two's-complement signed 32-bit integer.
    case i32 = 1

    /// Bytes per element (4 for both types).
    public var byteWidth: Int { 4 }

    /// The protocol's name for the type ("F32" or "I32").
    public var description: String { self == .f32 ? "F32" : "I32" }
}

/// One payload frame: a tensor (or a slice of one) as raw little-endian bytes.
///
/// A `WireFrame` is always consistent: `bytes.count == elementCount × 4`, enforced by every
/// initializer, so a message built from frames always encodes into something peers accept.
public struct WireFrame: Equatable, Sendable {
    /// Tensor name, e.g. "inputs", "state", "gradient", "params".
    public let name: String
    /// Element type.
    public let dtype: WireDType
    /// Dimensions, outermost first; an empty shape is a scalar.
    public let shape: [Int]
    /// Element offset of this slice within the full tensor (0 for a whole tensor).
    public let offset: Int
    /// The payload: `elementCount × 4` bytes, little-endian elements, wherever they live.
    public let payload: WireBytes
    /// Where the payload lies in the sender's shared-memory segment, when it travels that way
    /// (the wire frame is then empty); nil for a payload that travels in its frame.
    public let shared: WireSharedRef?

    /// Number of elements, the product of `shape`.
    public var elementCount: Int { payload.count / dtype.byteWidth }

    /// Wraps raw little-endian bytes; throws `WireError.badShape` for negative or overflowing
    /// dimensions and `WireError.frameSizeMismatch` when `bytes.count ≠ product(shape) × 4`.
    public init(name: String, dtype: WireDType, shape: [Int], offset: Int = 0, bytes: [UInt8]) throws {
        try self.init(name: name, dtype: dtype, shape: shape, offset: offset, payload: WireBytes(bytes))
    }

    /// Wraps a payload without copying it (a received message's memory, or a range of a buffer
    /// whose owner leaves it unchanged while the frame lives); throws as the array form does.
    public init(name: String, dtype: WireDType, shape: [Int], offset: Int = 0, payload: WireBytes) throws {
        guard offset >= 0 else { throw WireError.badOffset(frame: name, offset: UInt64(bitPattern: Int64(offset))) }
        let needed = try WireFrame.byteCount(name: name, dtype: dtype, shape: shape)
        guard needed == payload.count else {
            throw WireError.frameSizeMismatch(frame: name, index: 0, expectedBytes: needed, actualBytes: payload.count)
        }
        self.init(unchecked: name, dtype: dtype, shape: shape, offset: offset, payload: payload)
    }

    /// Builds a frame whose consistency the caller has already established.
    init(unchecked name: String, dtype: WireDType, shape: [Int], offset: Int, payload: WireBytes, shared: WireSharedRef? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.offset = offset
        self.payload = payload
        self.shared = shared
    }

    /// The elements this frame covers in the full tensor, `offset ..< offset + elementCount`, or
    /// nil when that end overflows: a received frame's offset is the sender's word, so a machine
    /// checks this range against its layout instead of adding the two itself (which would trap).
    public var elementRange: Range<Int>? {
        let (end, overflow) = offset.addingReportingOverflow(elementCount)
        return overflow ? nil : offset ..< end
    }

    /// product(shape) × width, checked for negative dimensions and overflow.
    static func byteCount(name: String, dtype: WireDType, shape: [Int]) throws -> Int {
        var elements = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw WireError.badShape(frame: name, detail: "negative dimension in \(shape)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw WireError.badShape(frame: name, detail: "element count of \(shape) overflows") }
            elements = product
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow else { throw WireError.badShape(frame: name, detail: "byte size of \(shape) overflows") }
        return bytes
    }
}

extension Array where Element == WireFrame {
    /// The first frame called `name`; throws `WireError.missingFrame` when there is none.
    public func named(_ name: String) throws -> WireFrame {
        guard let frame = first(where: { $0.name == name }) else { throw WireError.missingFrame(name: name) }
        return frame
    }
}
