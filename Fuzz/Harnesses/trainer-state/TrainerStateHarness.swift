// Fuzz harness: a checkpoint's trainer.json decoded by TrainerState.decode.
import FuzzSupport
import RecurTrain

/// libFuzzer's entry point: decodes `data` as `trainer.json`. Any outcome but a trap passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? TrainerState.decode(FuzzInput.bytes(data, size))
    return 0
}
