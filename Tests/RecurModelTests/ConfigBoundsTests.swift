// ConfigBoundsTests: a configuration read from a file or a peer names sizes the process would
// compute a layout for and allocate; sizes past the bounds are refused instead of trapping on an
// overflow or exhausting memory (inputs that crashed the model-file and run-config fuzz harnesses).
import RecurModel
import XCTest

final class ConfigBoundsTests: XCTestCase {
    /// `validate()`'s message for `config`, or nil when it passes.
    func refusal(_ config: ModelConfig) -> String? {
        do { try config.validate() } catch { return "\(error)" }
        return nil
    }

    func testEachSizePastItsBoundIsRefusedNamingIt() {
        let base = ModelConfig(cell: .lstm, hidden: 8, layers: 1, vocab: 20)
        XCTAssertNil(refusal(base))
        var c = base
        c.hidden = 4_000_000_000  // hidden² overflows Int in the layout
        XCTAssertTrue(refusal(c)?.contains("hidden must be at most") == true, refusal(c) ?? "passed")
        c = base
        c.layers = 40_000_000_000  // a layout of 160 billion tensors
        XCTAssertTrue(refusal(c)?.contains("layers must be at most") == true, refusal(c) ?? "passed")
        c = base
        c.embed = 3_000_000_000_000
        XCTAssertTrue(refusal(c)?.contains("embed must be at most") == true, refusal(c) ?? "passed")
        c = base
        c.outputs = ModelConfig.maxDimension + 1
        XCTAssertTrue(refusal(c)?.contains("outputs must be at most") == true, refusal(c) ?? "passed")
    }

    /// Sizes each within bounds whose product is too large: refused by the parameter count, which
    /// the bounds keep from overflowing even at their largest.
    func testAModelOfTooManyParametersIsRefused() {
        let c = ModelConfig(cell: .lstm, hidden: 200_000, layers: 1, vocab: 20)
        XCTAssertTrue(refusal(c)?.contains("parameters, more than the") == true, refusal(c) ?? "passed")
        let m = ModelConfig.maxDimension
        let largest = ModelConfig(cell: .lstm, hidden: m, layers: ModelConfig.maxLayers, embed: m, vocab: m,
                                  peephole: true, bidirectional: true, outputs: m)
        XCTAssertNotNil(refusal(largest))
        XCTAssertGreaterThan(ParameterLayout(largest).count, ModelConfig.maxParameters, "computed without overflow")
        XCTAssertNil(refusal(ModelConfig(cell: .gru, hidden: 1024, layers: 4, vocab: 50_000)), "a large real model passes")
    }
}
