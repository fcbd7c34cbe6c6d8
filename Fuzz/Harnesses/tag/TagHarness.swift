// Fuzz harness: a CoNLL-style tagging file (`token tag` lines, blank between sentences) as TagReader reads it.
import FuzzSupport
@testable import RecurData

/// libFuzzer's entry point: applies `TagReader.read(path:)`'s byte checks to `data`
/// (`LabeledLines.text`: byte-order mark, strict UTF-8), then parses the text. Any outcome but a trap passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = try? LabeledLines.text(FuzzInput.bytes(data, size), path: "fuzz.conll") else { return 0 }
    _ = try? TagReader.parse(text, path: "fuzz.conll")
    return 0
}
