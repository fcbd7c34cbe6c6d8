// WireBytes: a frame's payload without a copy: an array's storage, a received message's memory, or a
// range of a buffer that its owner keeps unchanged while the frame lives.

/// Read-only bytes of one payload frame, and the object that keeps them alive.
///
/// A payload can be an array (encoded here), the memory of a message the transport received (so a
/// 17 MB gradient is summed straight out of libzmq's buffer), or a range of a buffer that a role
/// computes into and then hands to the transport without copying it (the worker's gradient). In
/// every case `owner` keeps the memory valid, and nothing writes to it while the owner is shared.
public struct WireBytes: @unchecked Sendable, Equatable {
    /// Keeps `base` valid: the array's box, the received message, or the buffer's owner.
    public let owner: AnyObject?
    /// First byte; nil only for an empty payload.
    public let base: UnsafeRawPointer?
    /// Number of bytes.
    public let count: Int

    /// The bytes of `array` (no copy: the array's storage is kept alive and never mutated).
    public init(_ array: [UInt8]) {
        let box = ArrayBox(array)
        owner = box
        base = array.isEmpty ? nil : box.array.withUnsafeBytes { $0.baseAddress }
        count = array.count
    }

    /// `count` bytes at `base`, valid while `owner` lives.
    ///
    /// The caller promises that nothing writes to those bytes while any `WireBytes` made from them
    /// (or a message holding one) is alive; the worker counts the borrows of its gradient buffer
    /// (its owner's deinit ends one) before it computes into it again.
    public init(borrowing base: UnsafeRawPointer?, count: Int, owner: AnyObject) {
        precondition(count >= 0 && (base != nil || count == 0), "WireBytes needs memory for \(count) bytes")
        self.owner = owner
        self.base = count == 0 ? nil : base
        self.count = count
    }

    /// No bytes.
    public static let empty = WireBytes([])

    /// Calls `body` with the bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeRawBufferPointer(start: base, count: count)) }
    }

    /// A copy of the bytes as an array.
    public var array: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Same bytes, wherever they live.
    public static func == (a: WireBytes, b: WireBytes) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}

/// Holds an array so that its storage (and the address `WireBytes` keeps) outlives every view.
private final class ArrayBox {
    let array: [UInt8]
    init(_ array: [UInt8]) { self.array = array }
}
