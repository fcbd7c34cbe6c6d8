// Seq2SeqConfigTests: the configuration's sequence-to-sequence fields on disk and in validation,
// the layout's names, shapes and order, and the initialisation.
@testable import RecurModel
import Foundation
import RecurMath
import XCTest

final class Seq2SeqConfigTests: XCTestCase {
    private let seq2seq = ModelConfig(cell: .lstm, hidden: 4, layers: 2, embed: 3, vocab: 7, bidirectional: true,
                                      targetVocab: 6, attention: .general)

    private func keys(_ c: ModelConfig) throws -> Set<String> {
        Set(try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any]).keys)
    }

    func testJSONRoundTripAndOldJSONUnchanged() throws {
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(seq2seq)), seq2seq)
        XCTAssert(try keys(seq2seq).isSuperset(of: ["targetVocab", "attention"]))
        XCTAssert(seq2seq.isSeq2Seq)
        XCTAssertEqual(seq2seq.headSize, 6)
        for kind in AttentionKind.allCases {
            var c = seq2seq
            c.bidirectional = false
            c.attention = kind
            XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: JSONEncoder().encode(c)), c)
        }
        // A language model's and an example model's JSON are what they were.
        let lm = ModelConfig(cell: .lstm, hidden: 8, layers: 2, embed: 4, vocab: 10)
        XCTAssertEqual(try keys(lm), ["cell", "activation", "hidden", "layers", "embed", "vocab", "peephole", "dropout"])
        let lmJSON = #"{"activation":"tanh","cell":"lstm","dropout":0,"embed":4,"hidden":8,"layers":2,"peephole":false,"vocab":10}"#
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try encoder.encode(lm), as: UTF8.self), lmJSON)
        let example = ModelConfig(cell: .gru, hidden: 4, vocab: 9, bidirectional: true, outputs: 3)
        XCTAssertEqual(try keys(example), ["cell", "activation", "hidden", "layers", "embed", "vocab", "peephole", "dropout",
                                           "bidirectional", "outputs"])
        let old = try JSONDecoder().decode(ModelConfig.self, from: Data(lmJSON.utf8))
        XCTAssertNil(old.targetVocab)
        XCTAssertNil(old.attention)
        XCTAssertFalse(old.isSeq2Seq)
        XCTAssertEqual(old, lm)
    }

    func testValidateRefusesWhatDoesNotFit() throws {
        XCTAssertNoThrow(try seq2seq.validate())
        func message(_ c: ModelConfig) -> String {
            do { try c.validate() } catch { return "\(error)" }
            return ""
        }
        var dot = seq2seq
        dot.attention = .dot
        XCTAssert(message(dot).contains("bidirectional"), message(dot))
        XCTAssert(message(dot).contains("as wide as"), message(dot))
        dot.bidirectional = false
        XCTAssertNoThrow(try dot.validate())
        var small = seq2seq
        small.targetVocab = 1
        XCTAssert(message(small).contains("targetVocab"), message(small))
        var noAttention = seq2seq
        noAttention.attention = nil
        XCTAssertThrowsError(try noAttention.validate())
        var attentionOnly = ModelConfig(cell: .lstm, hidden: 4, vocab: 7)
        attentionOnly.attention = AttentionKind.none
        XCTAssertThrowsError(try attentionOnly.validate())
        var outputs = seq2seq
        outputs.outputs = 3
        XCTAssert(message(outputs).contains("outputs"), message(outputs))
        XCTAssertThrowsError(try Seq2SeqModel(ModelConfig(cell: .lstm, hidden: 4, vocab: 7)))
        XCTAssertThrowsError(try Seq2SeqModel(dot.with { $0.bidirectional = true }))
        XCTAssertThrowsError(try LanguageModel(ModelConfig(cell: .lstm, hidden: 4, vocab: 6, targetVocab: 6, attention: .dot)))
        XCTAssertThrowsError(try ExampleModel(seq2seq, pooling: .everyToken))
        XCTAssertNoThrow(try Seq2SeqModel(seq2seq))
    }

    /// The PyTorch reference module's state_dict order, names and shapes.
    func testLayout() {
        let layout = ParameterLayout(seq2seq)
        var want = ["encoder.embedding.weight"]
        for k in 0..<2 {
            for s in ["l\(k)", "l\(k)_reverse"] {
                want += ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "encoder.rnn.\($0)_\(s)" }
            }
        }
        for k in 0..<2 { want += ["h", "c"].flatMap { ["bridge.\($0)_l\(k).weight", "bridge.\($0)_l\(k).bias"] } }
        want += ["attention.linear_in.weight", "attention.linear_out.weight", "decoder.embedding.weight"]
        for k in 0..<2 { want += ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "decoder.rnn.\($0)_l\(k)" } }
        want += ["decoder.head.weight", "decoder.head.bias"]
        XCTAssertEqual(layout.specs.map(\.name), want)
        let shapes: [String: [Int]] = [
            "encoder.embedding.weight": [7, 3], "encoder.rnn.weight_ih_l1_reverse": [16, 8], "bridge.c_l1.weight": [4, 8],
            "bridge.h_l0.bias": [4], "attention.linear_in.weight": [4, 8], "attention.linear_out.weight": [4, 12],
            "decoder.embedding.weight": [6, 3], "decoder.rnn.weight_ih_l0": [16, 3], "decoder.rnn.weight_ih_l1": [16, 4],
            "decoder.head.weight": [6, 4], "decoder.head.bias": [6],
        ]
        for (name, shape) in shapes { XCTAssertEqual(layout.spec(name)?.shape, shape, name) }
        // Unidirectional: no bridge; dot: no linear_in; none: no attention tensors; peepholes follow the biases.
        var uni = seq2seq
        uni.bidirectional = false
        uni.attention = .dot
        uni.peephole = true
        let u = ParameterLayout(uni).specs.map(\.name)
        XCTAssertFalse(u.contains { $0.hasPrefix("bridge.") || $0 == "attention.linear_in.weight" })
        XCTAssert(u.contains("attention.linear_out.weight"))
        XCTAssertEqual(u[1...5], ["encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0",
                                  "encoder.rnn.bias_hh_l0", "encoder.rnn.weight_peephole_l0"])
        uni.attention = AttentionKind.none
        XCTAssertFalse(ParameterLayout(uni).specs.contains { $0.name.hasPrefix("attention.") })
    }

    /// Sharding builds on the layout: pieces of a seq2seq vector cover it in order.
    func testPiecesCoverTheVector() throws {
        let layout = ParameterLayout(seq2seq)
        let shards = try ParameterShards(count: layout.count, shards: 2)
        let pieces = ParameterPieces(layout: layout, layers: seq2seq.layers, shards: shards).ranges
        XCTAssertEqual(pieces.first?.lowerBound, 0)
        XCTAssertEqual(pieces.last?.upperBound, layout.count)
        for (a, b) in zip(pieces, pieces.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
    }

    /// Embeddings N(0, 1); recurrent tensors U(±1/√H); each linear layer U(±1/√in); the same
    /// seed gives the same vector.
    func testInit() {
        let layout = ParameterLayout(seq2seq)
        let p = FloatBuffer(count: layout.count), q = FloatBuffer(count: layout.count)
        ParameterInit.fill(p, config: seq2seq, seed: 3)
        ParameterInit.fill(q, config: seq2seq, seed: 3)
        XCTAssertEqual(p.array, q.array)
        let inputs = ["bridge": 8, "attention.linear_in": 8, "attention.linear_out": 12, "decoder.head": 4]
        for spec in layout.specs {
            let values = (0..<spec.count).map { p[spec.offset + $0] }
            XCTAssert(values.contains { $0 != 0 }, "\(spec.name) left at zero")
            if spec.name.hasSuffix("embedding.weight") {
                XCTAssert(values.contains { abs($0) > 0.5 }, "\(spec.name) looks uniform, not normal")
                continue
            }
            let width = spec.name.contains(".rnn.") ? 4 : inputs.first { spec.name.hasPrefix($0.key) }!.value
            let bound = 1 / Float(width).squareRoot()
            XCTAssert(values.allSatisfy { abs($0) <= bound }, "\(spec.name) beyond 1/√\(width)")
        }
    }
}

private extension ModelConfig {
    func with(_ change: (inout ModelConfig) -> Void) -> ModelConfig {
        var c = self
        change(&c)
        return c
    }
}
