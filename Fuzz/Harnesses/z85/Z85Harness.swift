// Fuzz harness: Z85 text (CURVE keys on the command line and in key files) decoded through libzmq.
import FuzzSupport
import RecurTransport

/// libFuzzer's entry point: decodes `data` as Z85 text. Text that decodes must be 4/5 as many
/// bytes and encode back to the same text (Z85 has one spelling per value).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzInput.bytes(data, size), as: UTF8.self)
    guard let bytes = try? Z85.decode(text) else { return 0 }
    precondition(bytes.count == text.utf8.count * 4 / 5, "decoded length disagrees with the text's")
    precondition(Z85.encode(bytes) == text, "Z85 round trip changed the text")
    return 0
}
