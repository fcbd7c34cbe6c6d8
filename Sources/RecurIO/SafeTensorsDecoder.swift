// Decodes safetensors bytes into float32 tensor records after full header validation.

extension SafeTensors {
    /// Decodes a complete safetensors file held in memory.
    ///
    /// Returns tensors in data-offset order and the `__metadata__` map (empty when absent).
    /// Every structural problem throws a distinct `SafeTensorsError`; hostile input never traps.
    public static func decode(_ bytes: [UInt8]) throws -> (tensors: [TensorRecord], metadata: [String: String]) {
        try bytes.withUnsafeBytes { try decode(raw: $0) }
    }

    /// Decodes from a raw buffer holding an entire safetensors file.
    static func decode(raw: UnsafeRawBufferPointer) throws -> (tensors: [TensorRecord], metadata: [String: String]) {
        let header = try parseHeader(raw: raw)
        let data = UnsafeRawBufferPointer(rebasing: raw[header.dataStart...])
        let tensors = header.tensors.map { info in
            TensorRecord(name: info.name, shape: info.shape,
                         values: loadFloats(UnsafeRawBufferPointer(rebasing: data[info.dataOffsets])))
        }
        return (tensors, header.metadata)
    }

    /// Parses and validates the header of an in-memory file.
    static func parseHeader(raw: UnsafeRawBufferPointer) throws -> SafeTensorsHeader {
        let length = try headerLength(prefix: raw, fileSize: raw.count)
        let json = [UInt8](UnsafeRawBufferPointer(rebasing: raw[8..<(8 + length)]))
        let dataStart = 8 + length
        let parsed = try parseHeader(json, bufferSize: raw.count - dataStart)
        return SafeTensorsHeader(tensors: parsed.tensors, metadata: parsed.metadata, dataStart: dataStart)
    }
}
