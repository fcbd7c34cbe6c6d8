// Parses and validates a safetensors JSON header against the size of its data buffer.

extension SafeTensors {
    /// Reads the 8-byte little-endian header length from the start of `bytes` and checks it
    /// against the limit and `fileSize`. Returns the header length as an `Int`.
    static func headerLength(prefix bytes: UnsafeRawBufferPointer, fileSize: Int) throws -> Int {
        guard bytes.count >= 8, fileSize >= 8 else {
            throw SafeTensorsError.fileTooShort(byteCount: min(bytes.count, fileSize))
        }
        let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard length <= maxHeaderLength else { throw SafeTensorsError.headerTooLarge(length: length) }
        guard Int(length) <= fileSize - 8 else {
            throw SafeTensorsError.headerBeyondFile(length: length, fileSize: fileSize)
        }
        return Int(length)
    }

    /// Parses header JSON bytes and validates every entry against a data buffer of
    /// `bufferSize` bytes. Tensors come back sorted by data offset.
    static func parseHeader(_ json: [UInt8], bufferSize: Int) throws -> (tensors: [TensorInfo], metadata: [String: String]) {
        let root: JSONNode
        do {
            root = try JSONParser.parse(json)
        } catch let error as JSONParseError {
            throw SafeTensorsError.invalidHeaderJSON(detail: error.description)
        }
        guard let members = root.members else { throw SafeTensorsError.headerNotObject(found: root.kindName) }
        var metadata: [String: String] = [:]
        var sawMetadata = false
        var names = Set<String>()
        var tensors: [TensorInfo] = []
        for (key, value) in members {
            if key == "__metadata__" {
                guard !sawMetadata else { throw SafeTensorsError.badMetadata(detail: "__metadata__ appears twice") }
                sawMetadata = true
                metadata = try parseMetadata(value)
                continue
            }
            guard names.insert(key).inserted else { throw SafeTensorsError.duplicateName(key) }
            tensors.append(try parseEntry(name: key, value, bufferSize: bufferSize))
        }
        tensors.sort { a, b in
            if a.dataOffsets.lowerBound != b.dataOffsets.lowerBound {
                return a.dataOffsets.lowerBound < b.dataOffsets.lowerBound
            }
            if a.dataOffsets.upperBound != b.dataOffsets.upperBound {
                return a.dataOffsets.upperBound < b.dataOffsets.upperBound
            }
            return a.name < b.name
        }
        // Sorted by begin, so a range overlaps an earlier one iff it starts before the previous end.
        var previous: TensorInfo?
        for tensor in tensors {
            if let before = previous, tensor.dataOffsets.lowerBound < before.dataOffsets.upperBound {
                throw SafeTensorsError.overlappingTensors(first: before.name, second: tensor.name)
            }
            previous = tensor
        }
        return (tensors, metadata)
    }

    /// Validates `__metadata__`: an object whose values are all strings, without repeated keys.
    private static func parseMetadata(_ node: JSONNode) throws -> [String: String] {
        guard let members = node.members else {
            throw SafeTensorsError.badMetadata(detail: "expected an object, found \(node.kindName)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard let text = value.stringValue else {
                throw SafeTensorsError.badMetadata(
                    detail: "value of \(JSONText.quoted(key)) is a \(value.kindName), not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.badMetadata(detail: "key \(JSONText.quoted(key)) appears twice")
            }
        }
        return metadata
    }

    /// Validates one tensor entry: dtype, shape, offsets, byte count and range.
    private static func parseEntry(name: String, _ node: JSONNode, bufferSize: Int) throws -> TensorInfo {
        guard let members = node.members else {
            throw SafeTensorsError.badTensorEntry(name: name, detail: "entry is a \(node.kindName), not an object")
        }
        var fields: [String: JSONNode] = [:]
        for (key, value) in members {
            guard fields.updateValue(value, forKey: key) == nil else {
                throw SafeTensorsError.badTensorEntry(name: name, detail: "field \(JSONText.quoted(key)) appears twice")
            }
        }
        guard let dtypeNode = fields["dtype"] else { throw SafeTensorsError.badDtype(name: name, detail: "missing") }
        guard let dtype = dtypeNode.stringValue else {
            throw SafeTensorsError.badDtype(name: name, detail: "expected a string, found \(dtypeNode.kindName)")
        }
        guard dtype == "F32" else { throw SafeTensorsError.unsupportedDtype(name: name, dtype: dtype) }

        guard let shapeNode = fields["shape"] else { throw SafeTensorsError.badShape(name: name, detail: "missing") }
        guard let dims = shapeNode.elements else {
            throw SafeTensorsError.badShape(name: name, detail: "expected an array, found \(shapeNode.kindName)")
        }
        var shape: [Int] = []
        var elements = 1
        for dim in dims {
            guard let value = dim.intValue, value >= 0 else {
                throw SafeTensorsError.badShape(name: name, detail: "dimensions must be non-negative integers")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: value)
            guard !overflow else { throw SafeTensorsError.badShape(name: name, detail: "element count overflows") }
            elements = product
            shape.append(value)
        }
        let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: 4)
        guard !overflow else { throw SafeTensorsError.badShape(name: name, detail: "byte count overflows") }

        guard let offsetsNode = fields["data_offsets"] else {
            throw SafeTensorsError.badDataOffsets(name: name, detail: "missing")
        }
        guard let pair = offsetsNode.elements, pair.count == 2,
              let begin = pair[0].intValue, let end = pair[1].intValue, begin >= 0, end >= 0 else {
            throw SafeTensorsError.badDataOffsets(name: name, detail: "expected [begin, end] of non-negative integers")
        }
        guard begin <= end else {
            throw SafeTensorsError.badDataOffsets(name: name, detail: "begin \(begin) is after end \(end)")
        }
        guard end - begin == expectedBytes else {
            throw SafeTensorsError.sizeMismatch(name: name, shape: shape, expectedBytes: expectedBytes,
                                                actualBytes: end - begin)
        }
        guard end <= bufferSize else {
            throw SafeTensorsError.offsetsOutOfRange(name: name, begin: begin, end: end, bufferSize: bufferSize)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }
}
