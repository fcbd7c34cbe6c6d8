// ModelFileLimitTests: a model.safetensors whose recur.config names a model larger than the file
// holds is refused with one message, before any buffer of that size is made (the inputs that
// crashed the model-file fuzz harness: an overflowing layout, an allocation past the address
// space, and one of gigabytes).
import Foundation
import RecurData
import RecurIO
import RecurMath
import RecurModel
import RecurTrain
import XCTest

final class ModelFileLimitTests: XCTestCase {
    /// A real one-layer language model's file, as a checkpoint writes it.
    func modelFile() throws -> [UInt8] {
        let tokenizer = try Tokenizer.build(kind: .char, text: "the cat sat.")
        let config = ModelConfig(cell: .lstm, hidden: 8, layers: 1, vocab: tokenizer.vocabulary.count)
        let params = FloatBuffer(count: ParameterLayout(config).count)
        ParameterInit.fill(params, config: config, seed: 7)
        return try ModelFile.encode(config: config, params: params, tokenizer: tokenizer)
    }

    /// `bytes` with `field` of its recur.config set to `value`, tensors unchanged.
    func withConfig(_ bytes: [UInt8], _ field: String, _ value: Int) throws -> [UInt8] {
        var (tensors, metadata) = try SafeTensors.decode(bytes)
        let json = try XCTUnwrap(metadata[ModelFile.configKey])
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        object[field] = value
        metadata[ModelFile.configKey] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        tensors.sort { $0.name < $1.name }
        return try SafeTensors.encode(tensors, metadata: metadata)
    }

    /// The message decoding `bytes` fails with.
    func refusal(_ bytes: [UInt8]) -> String {
        do { _ = try ModelFile.decode(bytes, origin: "model.safetensors") } catch { return "\(error)" }
        return "decoded"
    }

    func testTheUnchangedFileDecodes() throws {
        let saved = try ModelFile.decode(try withConfig(try modelFile(), "hidden", 8), origin: "model.safetensors")
        XCTAssertEqual(saved.config.hidden, 8)
    }

    func testSizesPastTheBoundsAreRefusedNotTrapped() throws {
        let file = try modelFile()
        for (field, value) in [("hidden", 4_000_000_000), ("layers", 40_000_000_000), ("embed", 3_000_000_000_000)] {
            let message = refusal(try withConfig(file, field, value))
            XCTAssertTrue(message.contains("\(field) must be at most"), "\(field) \(value): \(message)")
        }
        let message = refusal(try withConfig(file, "hidden", 200_000))  // 10^11 parameters
        XCTAssertTrue(message.contains("parameters, more than the"), message)
    }

    /// Hidden 20,000 is a model of 1.6 billion parameters, within the bounds: the file's tensors
    /// are checked before the 6.4 GB they would need are allocated.
    func testAModelLargerThanTheFileAllocatesNothingBeforeItIsRefused() throws {
        let message = refusal(try withConfig(try modelFile(), "hidden", 20_000))
        XCTAssertTrue(message.contains("has shape") && message.contains("the config needs"), message)
    }
}
