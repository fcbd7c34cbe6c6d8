// Fuzz harness: a run's metrics.jsonl as MetricsLog reads it (bytes decoded as UTF-8 with repair).
import FuzzSupport
import RecurTrain

/// libFuzzer's entry point: parses `data` as `MetricsLog.read(runDirectory:)` does after reading
/// the file. Any outcome but a trap passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? MetricsLog.parse(String(decoding: FuzzInput.bytes(data, size), as: UTF8.self), file: "metrics.jsonl")
    return 0
}
