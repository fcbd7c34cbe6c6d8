// Tests of SequenceCodec, PairEncoder and PaddedPairBatch: the specials' ids, round trips,
// truncation, and the padded time-major layout with decoder inputs.

import RecurData
import XCTest

final class SequenceCodecTests: XCTestCase {
    func testCharCodecIdsAndRoundTrip() throws {
        let codec = try SequenceCodec.build(kind: .char, texts: ["abc", "cab", "d"], maxVocabulary: nil)
        XCTAssertEqual(codec.tokenizer.vocabulary.tokens, ["<UNK>", "a", "b", "c", "d"])
        XCTAssertEqual(codec.bos, 5)
        XCTAssertEqual(codec.eos, 6)
        XCTAssertEqual(codec.size, 7)
        XCTAssertEqual(codec.encode("dab"), [4, 1, 2])
        XCTAssertEqual(codec.encode("az"), [1, 0])
        XCTAssertEqual(codec.decode([5, 4, 1, 2, 6, 3, 3]), "dab")  // bos skipped, stops at eos
        XCTAssertEqual(codec.decode([1, 0]), "a<UNK>")
        XCTAssertEqual(codec.tokens(of: "é a"), ["é", " ", "a"])
        // The cap counts <UNK> but not bos and eos: the 2 most frequent scalars are kept.
        let capped = try SequenceCodec.build(kind: .char, texts: ["aab", "ac"], maxVocabulary: 3)
        XCTAssertEqual(capped.tokenizer.vocabulary.tokens, ["<UNK>", "a", "b"])
        XCTAssertEqual(capped.size, 5)
    }

    func testWordCodecIdsAndRoundTrip() throws {
        let codec = try SequenceCodec.build(kind: .word, texts: ["the cat sat.", "the dog"], maxVocabulary: nil)
        let vocabulary = codec.tokenizer.vocabulary
        XCTAssertEqual(vocabulary.tokens, ["<UNK>", "<EOS>", "the", ".", "cat", "dog", "sat"])
        XCTAssertEqual(codec.bos, 7)
        XCTAssertEqual(codec.eos, 8)
        XCTAssertEqual(codec.size, 9)
        let ids = codec.encode("the dog sat.\nthe bird")  // newline is a space, no <EOS>
        XCTAssertEqual(ids, [2, 5, 6, 3, 2, 0])
        XCTAssertEqual(codec.decode([7] + ids + [8, 2]), "the dog sat . the <UNK>")
        XCTAssertEqual(codec.tokens(of: "the dog sat."), ["the", "dog", "sat", "."])
        XCTAssertEqual(codec.decode(codec.encode("the cat sat .")), "the cat sat .")
        XCTAssertThrowsError(try SequenceCodec.build(kind: .word, texts: ["a"], maxVocabulary: 1))
    }

    func testPairEncoderTruncatesAndRejectsEmptySides() throws {
        let source = try SequenceCodec.build(kind: .char, texts: ["abcdef"], maxVocabulary: nil)
        let target = try SequenceCodec.build(kind: .word, texts: ["x y z"], maxVocabulary: nil)
        let pair = SentencePair(source: "abcdef", target: "x y z x", line: 7)
        XCTAssertEqual(try PairEncoder.encode(pair, source: source, target: target, maxLength: nil),
                       EncodedPair(source: [1, 2, 3, 4, 5, 6], target: [2, 3, 4, 2], line: 7))
        XCTAssertEqual(try PairEncoder.encode(pair, source: source, target: target, maxLength: 3),
                       EncodedPair(source: [1, 2, 3], target: [2, 3, 4], line: 7))
        let empty = SentencePair(source: "ab", target: "  \n ", line: 4)
        XCTAssertThrowsError(try PairEncoder.encode(empty, source: source, target: target, maxLength: nil,
                                                    path: "p.tsv")) { error in
            XCTAssertEqual(error as? LabeledDataError, .emptyEncoding(side: "target", path: "p.tsv", line: 4))
            XCTAssertEqual(String(describing: error), "file 'p.tsv', line 4: the target has no tokens")
        }
        let noSource = SentencePair(source: "", target: "x", line: 2)
        XCTAssertThrowsError(try PairEncoder.encode(noSource, source: source, target: target, maxLength: nil)) { error in
            XCTAssertEqual(String(describing: error), "sentence pair at line 2: the source has no tokens")
        }
    }

    func testPaddedPairBatchLayout() {
        let pairs = [
            EncodedPair(source: [1, 2, 3], target: [4], line: 1),
            EncodedPair(source: [5], target: [6, 7, 8], line: 2),
        ]
        let eos: Int32 = 9, bos: Int32 = 10
        let batch = PaddedPairBatch(pairs, eos: eos)
        XCTAssertEqual(batch.sourceSteps, 3)
        XCTAssertEqual(batch.targetSteps, 4)
        XCTAssertEqual(batch.lanes, 2)
        // [S, N]: step 0 = (1, 5), step 1 = (2, pad), step 2 = (3, pad).
        XCTAssertEqual(batch.source, [1, 5, 2, 0, 3, 0])
        XCTAssertEqual(batch.sourceLengths, [3, 1])
        // [T, N]: lane 0 = 4 eos -1 -1, lane 1 = 6 7 8 eos.
        XCTAssertEqual(batch.targets, [4, 6, eos, 7, -1, 8, -1, eos])
        // Decoder inputs: bos, then the previous target; eos is read after eos, padding becomes 0.
        XCTAssertEqual(batch.decoderInputs(bos: bos), [bos, bos, 4, 6, eos, 7, 0, 8])
        XCTAssertEqual(PaddedPairBatch.decoderInputs(targets: batch.targets, steps: 4, lanes: 2, bos: bos),
                       batch.decoderInputs(bos: bos))
        // Every counted target position (≥ 0) reads the target before it, bos first.
        for lane in 0..<2 {
            let inputs = batch.decoderInputs(bos: bos)
            let counted = (0..<batch.targetSteps).filter { batch.targets[$0 * 2 + lane] >= 0 }
            XCTAssertEqual(counted.map { inputs[$0 * 2 + lane] }, [bos] + pairs[lane].target)
        }
    }
}
