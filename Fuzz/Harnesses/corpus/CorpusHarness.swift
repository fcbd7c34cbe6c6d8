// Fuzz harness: the byte-level part of readCorpus (byte-order mark, strict UTF-8 check), checked
// against the standard library's UTF-8 validation.
import FuzzSupport
@testable import RecurData

/// libFuzzer's entry point: runs `readCorpus`'s checks on `data`. The project's validator must
/// agree with `String(validating:as:)` on every input, and its offset must lie inside the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = FuzzInput.bytes(data, size)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    let offset = firstInvalidUTF8Offset(bytes)
    let standard = String(validating: bytes, as: UTF8.self)
    precondition((offset == nil) == (standard != nil), "UTF-8 validity disagrees with the standard library")
    if let offset {
        precondition(offset >= 0 && offset < bytes.count, "invalid offset \(offset) for \(bytes.count) bytes")
        precondition(String(validating: bytes[..<offset], as: UTF8.self) != nil, "bytes before the offset are invalid")
    }
    return 0
}
