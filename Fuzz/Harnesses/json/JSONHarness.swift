// Fuzz harness: RecurIO's JSON parser (the reader under manifests and safetensors headers) on any bytes.
import FuzzSupport
@testable import RecurIO

/// libFuzzer's entry point: parses `data` as one JSON document. Any outcome but a trap passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? JSONParser.parse(FuzzInput.bytes(data, size))
    return 0
}
