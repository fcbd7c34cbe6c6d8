// Fuzz harness: a TensorBoard event file (TFRecord framing, CRC32C, Event protobufs) read by RecurBoard.
import FuzzSupport
import RecurBoard

/// libFuzzer's entry point: reads `data` as an event file. Every record offset it reports must
/// lie inside the file and increase.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    _ = try? TensorBoardReader.events(in: bytes, path: "fuzz.tfevents")
    guard let records = try? TensorBoardReader.records(in: bytes, path: "fuzz.tfevents") else { return 0 }
    var previous = -1
    for record in records {
        precondition(record.offset > previous && record.offset < bytes.count, "record offset out of order")
        previous = record.offset
    }
    return 0
}
