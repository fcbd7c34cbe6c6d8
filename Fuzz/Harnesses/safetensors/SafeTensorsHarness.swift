// Fuzz harness: a whole safetensors file (8-byte length, JSON header, tensor bytes) decoded by RecurIO.
import FuzzSupport
import RecurIO

/// libFuzzer's entry point: decodes `data` as a safetensors file. A file that decodes must hold
/// tensors whose value counts match their shapes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let (tensors, _) = try? SafeTensors.decode(FuzzInput.bytes(data, size)) else { return 0 }
    for tensor in tensors {
        precondition(tensor.values.count == tensor.shape.reduce(1, *), "decoded tensor disagrees with its shape")
    }
    return 0
}
