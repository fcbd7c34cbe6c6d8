// TrainOutputTests: what a short run on the built-in corpus writes — metrics, checkpoints, weights.
import Foundation
import RecurData
import RecurIO
import XCTest

final class TrainOutputTests: CLITestCase {
    /// 20 steps, a line every 5, checkpoints at 10 and 20; E=8 differs from H=16 so that
    /// swapped dimensions show.
    private func trainRun() throws -> RunFolder {
        RunFolder(url: try trainTiny("run", ["--embed", "8", "--log-every", "5", "--checkpoint-every", "10"]))
    }

    func testMetricsLines() throws {
        let lines = try trainRun().metrics()
        XCTAssertEqual(lines.map(\.step), [5, 10, 15, 20])
        for (i, m) in lines.enumerated() {
            XCTAssertNotNil(m.step, "line \(i + 1) lacks an integer step: \(m.fields)")
            XCTAssertTrue(m.loss.map { $0.isFinite && $0 > 0 } ?? false, "line \(i + 1) lacks a positive loss: \(m.fields)")
            XCTAssertTrue(m.tokensPerSecond.map { $0.isFinite && $0 > 0 } ?? false,
                          "line \(i + 1) lacks a positive tokens_per_second: \(m.fields)")
        }
        let val = try XCTUnwrap(lines.last?.valLoss, "the last line must have val_loss")
        XCTAssertTrue(val.isFinite && val > 0, "val_loss \(val)")
    }

    func testCheckpointFoldersAndLatestLink() throws {
        let run = try trainRun()
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: run.checkpoints.path).sorted()
        XCTAssertEqual(names, ["latest", "step-00000010", "step-00000020"])
        for name in names where name != "latest" {
            XCTAssertNotNil(name.range(of: #"^step-[0-9]{8}$"#, options: .regularExpression), name)
            XCTAssertTrue(fm.fileExists(atPath: run.checkpoints.appendingPathComponent(name)
                .appendingPathComponent("model.safetensors").path), "\(name) has no model.safetensors")
        }
        let latest = run.checkpoints.appendingPathComponent("latest").path
        let attributes = try fm.attributesOfItem(atPath: latest)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSymbolicLink, "latest must be a symlink")
        let target = try fm.destinationOfSymbolicLink(atPath: latest)
        XCTAssertEqual((target as NSString).lastPathComponent, "step-00000020", "latest must point at the newest")
    }

    func testModelTensorsAndConfig() throws {
        let run = try trainRun()
        let file = try SafeTensors.read(path: run.latestFile("model.safetensors").path)
        let corpus = SyntheticCorpus.generate(seed: 1, sentences: 300)
        let vocab = try Tokenizer.build(kind: .char, text: corpus).vocabulary.tokens
        let v = vocab.count, h = 16, e = 8, gh = 4 * h
        let expected: [String: [Int]] = [
            "embedding.weight": [v, e], "rnn.weight_ih_l0": [gh, e], "rnn.weight_hh_l0": [gh, h],
            "rnn.bias_ih_l0": [gh], "rnn.bias_hh_l0": [gh], "head.weight": [v, h], "head.bias": [v],
        ]
        let shapes = Dictionary(file.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(shapes, expected)
        for t in file.tensors {
            XCTAssertEqual(t.values.count, t.shape.reduce(1, *), t.name)
            XCTAssertTrue(t.values.allSatisfy(\.isFinite), "\(t.name) has non-finite values")
        }

        let json = try XCTUnwrap(file.metadata["recur.config"], "no __metadata__[\"recur.config\"]")
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                                   "recur.config is not a JSON object: \(json)")
        XCTAssertEqual(config["cell"] as? String, "lstm")
        XCTAssertEqual(config["hidden"] as? Int, h)
        XCTAssertEqual(config["layers"] as? Int, 1)
        XCTAssertEqual(config["embed"] as? Int, e)
        XCTAssertEqual(config["tokenizer"] as? String, "char")
        XCTAssertEqual(config["vocab"] as? [String], vocab, "vocab must list the corpus's tokens in id order")
    }
}
