// Event messages to and from TFRecord bytes, through the protobuf-c code of proto/tensorboard.proto.
import CTensorBoardProto

/// Packs events into sealed TFRecords and unpacks record data into `TensorBoardEvent`s. The C
/// structs live on the stack or in buffers freed before return; protobuf-c only reads them.
enum EventCodec {
    /// The first record of a file: an event carrying only `fileVersion`.
    static func record(fileVersion: String, wallTime: Double) -> [UInt8] {
        var event = Tensorboard__Event()
        tensorboard__event__init(&event)
        event.wall_time = wallTime
        return fileVersion.withCString { text in
            event.what_case = TENSORBOARD__EVENT__WHAT_FILE_VERSION
            event.file_version = UnsafeMutablePointer(mutating: text)
            return seal(&event)
        }
    }

    /// One summary event holding `scalars` as float32 `simple_value`s, in order, or nil when a
    /// tag holds a NUL byte (a C string would silently cut it). The tags are copied once into
    /// one NUL-separated buffer, so the cost is a few small allocations per call.
    static func record(step: Int, scalars: [(tag: String, value: Double)], wallTime: Double) -> [UInt8]? {
        var tags: [CChar] = []
        var starts: [Int] = []
        starts.reserveCapacity(scalars.count)
        for scalar in scalars {
            starts.append(tags.count)
            for byte in scalar.tag.utf8 {
                if byte == 0 { return nil }
                tags.append(CChar(bitPattern: byte))
            }
            tags.append(0)
        }
        let count = scalars.count
        // (count) value structs and the pointer array that Summary.value refers to.
        let values = UnsafeMutablePointer<Tensorboard__Summary__Value>.allocate(capacity: max(count, 1))
        defer { values.deallocate() }
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Tensorboard__Summary__Value>?>
            .allocate(capacity: max(count, 1))
        defer { pointers.deallocate() }
        return tags.withUnsafeMutableBufferPointer { tagBuffer in
            for index in 0..<count {
                let value = values + index
                tensorboard__summary__value__init(value)
                value.pointee.tag = tagBuffer.baseAddress! + starts[index]
                value.pointee.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE
                value.pointee.simple_value = Float(scalars[index].value)
                pointers[index] = value
            }
            var summary = Tensorboard__Summary()
            tensorboard__summary__init(&summary)
            summary.n_value = count
            summary.value = pointers
            return withUnsafeMutablePointer(to: &summary) { summaryPointer in
                var event = Tensorboard__Event()
                tensorboard__event__init(&event)
                event.wall_time = wallTime
                event.step = Int64(step)
                event.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY
                event.summary = summaryPointer
                return seal(&event)
            }
        }
    }

    /// `event` packed straight into the data part of a new record, framed and checksummed.
    private static func seal(_ event: UnsafePointer<Tensorboard__Event>) -> [UInt8] {
        let dataCount = tensorboard__event__get_packed_size(event)
        let total = TFRecord.headerSize + dataCount + TFRecord.footerSize
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let packed = tensorboard__event__pack(event, buffer.baseAddress! + TFRecord.headerSize)
            precondition(packed == dataCount, "protobuf-c packed \(packed) bytes of an Event sized \(dataCount)")
            TFRecord.seal(UnsafeMutableRawBufferPointer(buffer), dataCount: dataCount)
            initialized = total
        }
    }

    /// The event serialized in `data`, or nil when it is not a valid `Event` message.
    static func decode(_ data: UnsafeRawBufferPointer) -> TensorBoardEvent? {
        var empty: UInt8 = 0
        let message = withUnsafePointer(to: &empty) { placeholder in
            tensorboard__event__unpack(nil, data.count,
                                       data.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? placeholder)
        }
        guard let message else { return nil }
        defer { tensorboard__event__free_unpacked(message, nil) }
        let event = message.pointee
        let content: TensorBoardEvent.Content
        switch event.what_case {
        case TENSORBOARD__EVENT__WHAT_FILE_VERSION:
            content = .fileVersion(event.file_version.map { String(cString: $0) } ?? "")
        case TENSORBOARD__EVENT__WHAT_SUMMARY:
            content = .summary(event.summary.map { scalars(of: $0.pointee) } ?? [])
        default:
            content = .other
        }
        return TensorBoardEvent(wallTime: event.wall_time, step: Int(event.step), content: content)
    }

    /// The `simple_value` entries of `summary`, in order; other kinds of value are skipped.
    private static func scalars(of summary: Tensorboard__Summary) -> [TensorBoardScalar] {
        guard let list = summary.value else { return [] }
        return (0..<summary.n_value).compactMap { index in
            guard let value = list[index]?.pointee,
                  value.value_case == TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE else { return nil }
            return TensorBoardScalar(tag: value.tag.map { String(cString: $0) } ?? "", value: value.simple_value)
        }
    }
}
