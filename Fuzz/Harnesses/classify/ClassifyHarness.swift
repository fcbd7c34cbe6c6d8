// Fuzz harness: a classification file (`label<TAB>text` lines) as ClassifyReader reads it.
import FuzzSupport
@testable import RecurData

/// libFuzzer's entry point: applies `ClassifyReader.read(path:)`'s byte checks to `data` (byte-order
/// mark, strict UTF-8), then parses the text. Any outcome but a trap passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = FuzzInput.bytes(data, size)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    guard firstInvalidUTF8Offset(bytes) == nil else { return 0 }
    _ = try? ClassifyReader.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz.tsv")
    return 0
}
