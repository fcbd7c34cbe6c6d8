// Typed views of payload frames: [Float] / [Int32] to and from little-endian bytes, no per-element work on little-endian hosts.

extension WireFrame {
    /// A float32 frame holding `values`; throws `WireError.valueCountMismatch` when
    /// `values.count ≠ product(shape)`.
    public init(name: String, shape: [Int], offset: Int = 0, floats values: [Float]) throws {
        let bytes = try values.withUnsafeBufferPointer { buffer in
            try WireFrame.littleEndianBytes(name: name, dtype: .f32, shape: shape, offset: offset,
                                            values: buffer, bitPattern: { $0.bitPattern })
        }
        self.init(unchecked: name, dtype: .f32, shape: shape, offset: offset, payload: WireBytes(bytes))
    }

    /// A float32 frame copied from `values` (e.g. a slice of a parameter buffer); throws
    /// `WireError.valueCountMismatch` when `values.count ≠ product(shape)`.
    public init(name: String, shape: [Int], offset: Int = 0, floats values: UnsafeBufferPointer<Float>) throws {
        let bytes = try WireFrame.littleEndianBytes(name: name, dtype: .f32, shape: shape, offset: offset,
                                                    values: values, bitPattern: { $0.bitPattern })
        self.init(unchecked: name, dtype: .f32, shape: shape, offset: offset, payload: WireBytes(bytes))
    }

    /// A float32 frame over `values` without a copy (on little-endian hosts; a big-endian host
    /// copies to swap the bytes). `owner` keeps the memory alive, and the caller must not write
    /// to it while the frame, or a message sending it, lives.
    /// - Throws: `WireError.valueCountMismatch` when `values.count ≠ product(shape)`.
    public init(name: String, shape: [Int], offset: Int = 0, borrowing values: UnsafeBufferPointer<Float>,
                owner: AnyObject) throws {
        #if _endian(little)
        guard try WireFrame.byteCount(name: name, dtype: .f32, shape: shape) == values.count * 4 else {
            throw WireError.valueCountMismatch(frame: name, shape: shape, valueCount: values.count)
        }
        try self.init(name: name, dtype: .f32, shape: shape, offset: offset,
                      payload: WireBytes(borrowing: UnsafeRawPointer(values.baseAddress), count: values.count * 4,
                                         owner: owner))
        #else
        try self.init(name: name, shape: shape, offset: offset, floats: values)
        #endif
    }

    /// An int32 frame holding `values`; throws `WireError.valueCountMismatch` when
    /// `values.count ≠ product(shape)`.
    public init(name: String, shape: [Int], offset: Int = 0, int32s values: [Int32]) throws {
        let bytes = try values.withUnsafeBufferPointer { buffer in
            try WireFrame.littleEndianBytes(name: name, dtype: .i32, shape: shape, offset: offset,
                                            values: buffer, bitPattern: { UInt32(bitPattern: $0) })
        }
        self.init(unchecked: name, dtype: .i32, shape: shape, offset: offset, payload: WireBytes(bytes))
    }

    /// The payload as floats; throws `WireError.wrongDType` unless the frame is F32.
    public func floats() throws -> [Float] {
        guard dtype == .f32 else { throw WireError.wrongDType(frame: name, expected: .f32, actual: dtype) }
        return [Float](unsafeUninitializedCapacity: elementCount) { buffer, count in
            copyElements(into: UnsafeMutableRawBufferPointer(buffer), convert: { Float(bitPattern: $0) },
                         as: Float.self)
            count = elementCount
        }
    }

    /// Copies the payload into `destination`, which must hold exactly `elementCount` floats;
    /// throws `WireError.wrongDType` unless F32 and `WireError.valueCountMismatch` on a size mismatch.
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard dtype == .f32 else { throw WireError.wrongDType(frame: name, expected: .f32, actual: dtype) }
        guard destination.count == elementCount else {
            throw WireError.valueCountMismatch(frame: name, shape: shape, valueCount: destination.count)
        }
        copyElements(into: UnsafeMutableRawBufferPointer(destination), convert: { Float(bitPattern: $0) },
                     as: Float.self)
    }

    /// Copies `destination.count` floats starting at element `first` of an F32 frame.
    /// - Throws: `WireError.wrongDType`, or `WireError.valueCountMismatch` when the range is not
    ///   inside the frame.
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>, from first: Int) throws {
        guard dtype == .f32 else { throw WireError.wrongDType(frame: name, expected: .f32, actual: dtype) }
        guard first >= 0, first + destination.count <= elementCount else {
            throw WireError.valueCountMismatch(frame: name, shape: shape, valueCount: first + destination.count)
        }
        payload.withUnsafeBytes { source in
            guard let base = source.baseAddress, let out = destination.baseAddress else { return }
            #if _endian(little)
            UnsafeMutableRawPointer(out).copyMemory(from: base + first * 4, byteCount: destination.count * 4)
            #else
            for i in 0..<destination.count {
                out[i] = Float(bitPattern: UInt32(littleEndian: (base + (first + i) * 4).loadUnaligned(as: UInt32.self)))
            }
            #endif
        }
    }

    /// The payload as 32-bit integers; throws `WireError.wrongDType` unless the frame is I32.
    public func int32s() throws -> [Int32] {
        guard dtype == .i32 else { throw WireError.wrongDType(frame: name, expected: .i32, actual: dtype) }
        return [Int32](unsafeUninitializedCapacity: elementCount) { buffer, count in
            copyElements(into: UnsafeMutableRawBufferPointer(buffer), convert: { Int32(bitPattern: $0) },
                         as: Int32.self)
            count = elementCount
        }
    }

    /// Copies the little-endian payload into `destination` (exactly `bytes.count` bytes): a
    /// memcpy on little-endian hosts, a per-element byte swap elsewhere.
    private func copyElements<T>(into destination: UnsafeMutableRawBufferPointer,
                                 convert: (UInt32) -> T, as type: T.Type) {
        payload.withUnsafeBytes { source in
            #if _endian(little)
            if source.count > 0 { destination.copyMemory(from: source) }
            #else
            let typed = destination.bindMemory(to: T.self)
            for index in 0..<typed.count {
                typed[index] = convert(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
            #endif
        }
    }

    /// Validates the value count against `shape` and lays `values` out as little-endian bytes.
    private static func littleEndianBytes<T>(name: String, dtype: WireDType, shape: [Int], offset: Int,
                                             values: UnsafeBufferPointer<T>,
                                             bitPattern: (T) -> UInt32) throws -> [UInt8] {
        guard offset >= 0 else { throw WireError.badOffset(frame: name, offset: UInt64(bitPattern: Int64(offset))) }
        let byteCount = try byteCount(name: name, dtype: dtype, shape: shape)
        guard byteCount == values.count * 4 else {
            throw WireError.valueCountMismatch(frame: name, shape: shape, valueCount: values.count)
        }
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, count in
            #if _endian(little)
            if byteCount > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(values)) }
            #else
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for index in 0..<values.count {
                raw.storeBytes(of: bitPattern(values[index]).littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
            #endif
            count = byteCount
        }
    }
}
