// FloatBuffer: an owned, 64-byte aligned, zero-initialised array of Float32 with pointer access.

/// A fixed-size, 64-byte aligned block of `Float` values that owns its memory.
///
/// Models keep parameters, gradients, optimizer moments and activations in flat buffers (as
/// llm.c does), and hand out pointers into them; nothing in the time loop allocates.
/// `@unchecked Sendable`: `pointer` and `count` never change; which thread writes which elements
/// is the callers' contract (disjoint parts in `Parallel.run`, a single owner otherwise).
public final class FloatBuffer: @unchecked Sendable {
    /// Start of the storage. Valid for `count` elements while the buffer lives.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of `Float` elements.
    public let count: Int

    /// Allocates `count` zeroed floats.
    /// - Parameter count: number of elements, at least 0.
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// Allocates a buffer holding a copy of `values`.
    /// - Parameter values: the initial contents.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Reads or writes element `i`.
    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// The contents as a Swift array (a copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies `other` into this buffer; both must have the same count.
    /// - Parameter other: the source buffer.
    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "FloatBuffer.copy: count mismatch \(other.count) vs \(count)")
        pointer.update(from: other.pointer, count: count)
    }
}
