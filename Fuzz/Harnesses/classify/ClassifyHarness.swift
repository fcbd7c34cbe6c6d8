// Fuzz harness: a classification file (`label<TAB>text` lines) as ClassifyReader reads it.
import FuzzSupport
@testable import RecurData

/// libFuzzer's entry point: applies `ClassifyReader.read(path:)`'s byte checks to `data`
/// (`LabeledLines.text`: byte-order mark, strict UTF-8), then parses the text. Any outcome but a trap passes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = try? LabeledLines.text(FuzzInput.bytes(data, size), path: "fuzz.tsv") else { return 0 }
    _ = try? ClassifyReader.parse(text, path: "fuzz.tsv")
    return 0
}
