// Fuzz harness: a CURVE key file's text, as CurveKeys.load reads it, with a round trip.
import FuzzSupport
import RecurTransport

/// libFuzzer's entry point: parses `data` as `load(path:)` does after reading the file (bytes
/// decoded as UTF-8 with repair). Keys that parse must write out as text that parses to them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
    guard let keys = try? CurveKeys.parse(text, source: "fuzz.keys") else { return 0 }
    guard let again = try? CurveKeys.parse(keys.text(), source: "written.keys") else {
        preconditionFailure("parsed keys do not parse after writing")
    }
    precondition(again == keys, "key file round trip changed the keys")
    return 0
}
