// Fuzz harness: a sentence-pair file (`source<TAB>target` lines) as PairReader reads it.
import FuzzSupport
@testable import RecurData

/// libFuzzer's entry point: applies `PairReader.read(path:)`'s byte checks to `data`
/// (`LabeledLines.text`: byte-order mark, strict UTF-8), then parses the text. Every pair read
/// must have a source and a target, and the lines they point at must increase.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let text = try? LabeledLines.text(FuzzInput.bytes(data, size), path: "fuzz.tsv"),
          let pairs = try? PairReader.parse(text, path: "fuzz.tsv") else { return 0 }
    var previous = 0
    for pair in pairs {
        precondition(!pair.source.isEmpty && !pair.target.isEmpty, "a pair without a source or a target")
        precondition(pair.line > previous && pair.line <= size, "pair line \(pair.line) out of order")
        previous = pair.line
    }
    return 0
}
