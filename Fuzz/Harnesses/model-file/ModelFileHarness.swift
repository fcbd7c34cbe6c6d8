// Fuzz harness: a checkpoint's model.safetensors with its recur.config, decoded by ModelFile, with a re-encoding check.
import FuzzSupport
import RecurTrain

/// libFuzzer's entry point: decodes `data` as `model.safetensors`. A model that decodes must
/// re-encode to bytes that decode to the same encoding (configuration, tokenizer, head and
/// parameters survive a write).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let model = try? ModelFile.decode(FuzzInput.bytes(data, size), origin: "fuzz.safetensors") else { return 0 }
    precondition(model.params.count == model.layout.count, "decoded parameters disagree with the layout")
    guard let encoded = try? ModelFile.encode(config: model.config, params: model.params, tokenizer: model.tokenizer,
                                              head: model.head) else {
        preconditionFailure("a decoded model does not encode")
    }
    guard let again = try? ModelFile.decode(encoded, origin: "written.safetensors") else {
        preconditionFailure("a re-encoded model does not decode")
    }
    let twice = try? ModelFile.encode(config: again.config, params: again.params, tokenizer: again.tokenizer, head: again.head)
    precondition(twice == encoded, "re-encoding a decoded model is not stable")
    return 0
}
