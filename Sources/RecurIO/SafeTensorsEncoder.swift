// Serialises float32 tensors and string metadata into the safetensors byte layout.

/// Reading and writing the safetensors format: an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON header (space-padded so that 8 + N is a multiple of 8), then the data buffer.
public enum SafeTensors {
    /// The largest header accepted on read, as in the reference implementation.
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// Encodes `tensors` (data laid out contiguously in the order given) and `metadata`.
    ///
    /// The header is deterministic: `__metadata__` first (keys sorted, omitted when empty), then
    /// each tensor in input order as `{"dtype":"F32","shape":[...],"data_offsets":[b,e]}`.
    /// Throws `SafeTensorsError.invalidTensor` or `.duplicateName` for inconsistent input.
    public static func encode(_ tensors: [TensorRecord], metadata: [String: String]) throws -> [UInt8] {
        try withViews(tensors[...], []) { try encode(views: $0, metadata: metadata) }
    }

    /// Runs `body` with views of `records`' values (no copies).
    private static func withViews<R>(_ records: ArraySlice<TensorRecord>, _ views: [TensorView],
                                     _ body: ([TensorView]) throws -> R) rethrows -> R {
        guard let first = records.first else { return try body(views) }
        return try first.values.withUnsafeBufferPointer { values in
            try withViews(records.dropFirst(), views + [TensorView(name: first.name, shape: first.shape, values: values)], body)
        }
    }

    /// Encodes tensors held elsewhere (flat parameter or optimizer buffers) without copying them
    /// into arrays first; otherwise exactly as `encode(_:metadata:)`.
    public static func encode(views tensors: [TensorView], metadata: [String: String]) throws -> [UInt8] {
        var seen = Set<String>()
        var dataSize = 0
        for tensor in tensors {
            try validateForEncoding(tensor)
            guard seen.insert(tensor.name).inserted else { throw SafeTensorsError.duplicateName(tensor.name) }
            dataSize += tensor.values.count * 4
        }
        let header = headerBytes(tensors, metadata: metadata)
        let total = 8 + header.count + dataSize
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: UInt64(header.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            header.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: raw[8..<(8 + header.count)]).copyMemory(from: $0)
            }
            var offset = 8 + header.count
            for tensor in tensors {
                let byteCount = tensor.values.count * 4
                let slot = UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + byteCount)])
                storeFloats(tensor.values, into: slot)
                offset += byteCount
            }
            count = total
        }
    }

    /// Checks that a tensor's shape is valid and matches its value count.
    private static func validateForEncoding(_ tensor: TensorView) throws {
        if tensor.name == "__metadata__" {
            throw SafeTensorsError.invalidTensor(name: tensor.name, detail: "the name is reserved for metadata")
        }
        var elements = 1
        for dim in tensor.shape {
            guard dim >= 0 else {
                throw SafeTensorsError.invalidTensor(name: tensor.name, detail: "negative dimension in shape \(tensor.shape)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw SafeTensorsError.invalidTensor(name: tensor.name, detail: "shape \(tensor.shape) overflows")
            }
            elements = product
        }
        guard elements == tensor.values.count else {
            throw SafeTensorsError.invalidTensor(
                name: tensor.name,
                detail: "shape \(tensor.shape) holds \(elements) values but \(tensor.values.count) were given")
        }
    }

    /// The JSON header, padded with spaces so that 8 + length is a multiple of 8.
    static func headerBytes(_ tensors: [TensorView], metadata: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        out.append(UInt8(ascii: "{"))
        var first = true
        if !metadata.isEmpty {
            JSONText.appendQuoted("__metadata__", to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: "{"))
            for (index, key) in metadata.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(key, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONText.appendQuoted(metadata[key] ?? "", to: &out)
            }
            out.append(UInt8(ascii: "}"))
            first = false
        }
        var offset = 0
        for tensor in tensors {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            let end = offset + tensor.values.count * 4
            JSONText.appendQuoted(tensor.name, to: &out)
            JSONText.appendRaw(":{\"dtype\":\"F32\",\"shape\":", to: &out)
            JSONText.appendIntArray(tensor.shape, to: &out)
            JSONText.appendRaw(",\"data_offsets\":", to: &out)
            JSONText.appendIntArray([offset, end], to: &out)
            out.append(UInt8(ascii: "}"))
            offset = end
        }
        out.append(UInt8(ascii: "}"))
        while (8 + out.count) % 8 != 0 { out.append(0x20) }
        return out
    }

    /// Stores `values` as little-endian float32 into `destination` (exactly 4 × count bytes).
    static func storeFloats(_ values: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        #if _endian(little)
        if !values.isEmpty { destination.copyMemory(from: UnsafeRawBufferPointer(values)) }
        #else
        for (index, value) in values.enumerated() {
            destination.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
        }
        #endif
    }

    /// Loads little-endian float32 values from `source` (whose count is a multiple of 4).
    static func loadFloats(_ source: UnsafeRawBufferPointer) -> [Float] {
        let count = source.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if _endian(little)
            if count > 0 {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[0..<(count * 4)]))
            }
            #else
            for index in 0..<count {
                let bits = source.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                buffer[index] = Float(bitPattern: UInt32(littleEndian: bits))
            }
            #endif
            initialized = count
        }
    }
}
