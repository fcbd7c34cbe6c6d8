// Tests of ClassificationScore, SubsetAccuracy and ChunkScore against counts worked out by hand.

import RecurData
import XCTest

final class ScoreTests: XCTestCase {
    func testClassificationAccuracyAndConfusion() {
        let score = ClassificationScore(gold: [0, 0, 1, 2, 2, 2], predicted: [0, 1, 1, 2, 0, 2], labelCount: 3)
        XCTAssertEqual(score.count, 6)
        XCTAssertEqual(score.correct, 4)
        XCTAssertEqual(score.accuracy, 4.0 / 6.0)
        // Row = gold, column = predicted: one 0 taken for 1, one 2 taken for 0.
        XCTAssertEqual(score.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
        XCTAssertEqual(ClassificationScore(gold: [], predicted: [], labelCount: 2).accuracy, 0)
    }

    func testSubsetAccuracyCountsOnlySelectedTokens() {
        let subset = SubsetAccuracy(gold: [[1, 2], [3]], predicted: [[1, 0], [0]], selected: [[true, true], [false]])
        XCTAssertEqual(subset.correct, 1)
        XCTAssertEqual(subset.total, 2)
        XCTAssertEqual(subset.accuracy, 0.5)
    }

    func testChunkRules() {
        // B-X I-X: one X chunk; I-Y after X: a type change starts Y; B-Y starts another Y;
        // O ends it; I-X after O starts X, which the sentence end closes.
        XCTAssertEqual(ChunkScore.chunks(["B-X", "I-X", "I-Y", "B-Y", "O", "I-X"]), [
            Chunk(type: "X", start: 0, end: 2), Chunk(type: "Y", start: 2, end: 3),
            Chunk(type: "Y", start: 3, end: 4), Chunk(type: "X", start: 5, end: 6),
        ])
        // Tags without prefix are one-token chunks, even when repeated.
        XCTAssertEqual(ChunkScore.chunks(["PER", "PER", "O"]), [
            Chunk(type: "PER", start: 0, end: 1), Chunk(type: "PER", start: 1, end: 2),
        ])
        // With `0` as the outside tag (binary tags), `1` is a one-token chunk.
        XCTAssertEqual(ChunkScore.chunks(["0", "1", "0"], outside: "0"), [Chunk(type: "1", start: 1, end: 2)])
    }

    func testBIOWithWrongTypeAndIAfterO() {
        let score = ChunkScore(gold: [["B-PER", "I-PER", "O", "B-LOC", "O", "B-PER"]],
                               predicted: [["B-PER", "I-PER", "O", "B-ORG", "O", "I-PER"]])
        // Gold: PER[0,2) LOC[3,4) PER[5,6). Predicted: PER[0,2) ORG[3,4) and, since I-PER after O
        // starts a chunk, PER[5,6) — the same span and type as the gold one, so it is correct.
        XCTAssertEqual(score.goldChunks, 3)
        XCTAssertEqual(score.predictedChunks, 3)
        XCTAssertEqual(score.correctChunks, 2)
        XCTAssertEqual(score.precision, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(score.recall, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(score.f1, 2.0 / 3.0, accuracy: 1e-12)
        // Tokens 3 (ORG for LOC) and 5 (I- for B-) are wrong: 4 of 6.
        XCTAssertEqual(score.tokens, 6)
        XCTAssertEqual(score.correctTokens, 4)
    }

    func testTypeChangeInsideAChunk() {
        let score = ChunkScore(gold: [["B-PER", "B-LOC", "I-LOC", "O"]], predicted: [["B-PER", "I-LOC", "I-LOC", "O"]])
        // Predicted I-LOC after B-PER is a type change, so it starts LOC[1,3) as the gold B-LOC does:
        // both chunks correct, but token 1's tag differs (I- for B-).
        XCTAssertEqual([score.goldChunks, score.predictedChunks, score.correctChunks], [2, 2, 2])
        XCTAssertEqual(score.f1, 1)
        XCTAssertEqual(score.correctTokens, 3)
    }

    func testChunksEndAtSentenceEnds() {
        // PER at the end of sentence 1 and an I-PER at the start of sentence 2 are two chunks,
        // each matching the gold chunk of its sentence.
        let score = ChunkScore(gold: [["O", "B-PER"], ["B-PER", "O"]], predicted: [["O", "B-PER"], ["I-PER", "O"]])
        XCTAssertEqual([score.goldChunks, score.predictedChunks, score.correctChunks], [2, 2, 2])
        XCTAssertEqual(score.tokens, 4)
        XCTAssertEqual(score.correctTokens, 3)
    }

    func testIOB1() {
        // IOB1 gold: I-PER I-PER B-PER O I-LOC is PER[0,2) PER[2,3) LOC[4,5) (B- only splits two
        // adjacent PER chunks). The prediction misses the split: PER[0,3) LOC[4,5).
        let score = ChunkScore(gold: [["I-PER", "I-PER", "B-PER", "O", "I-LOC"]],
                               predicted: [["I-PER", "I-PER", "I-PER", "O", "I-LOC"]])
        XCTAssertEqual([score.goldChunks, score.predictedChunks, score.correctChunks], [3, 2, 1])
        XCTAssertEqual(score.precision, 0.5)             // 1 of 2 predicted
        XCTAssertEqual(score.recall, 1.0 / 3.0, accuracy: 1e-12)  // 1 of 3 gold
        XCTAssertEqual(score.f1, 0.4, accuracy: 1e-12)   // 2 · ½ · ⅓ / (½ + ⅓)
        XCTAssertEqual(score.correctTokens, 4)
    }

    func testNothingPredicted() {
        let score = ChunkScore(gold: [["B-PER", "O"]], predicted: [["O", "O"]])
        XCTAssertEqual([score.precision, score.recall, score.f1], [0, 0, 0])
        XCTAssertEqual(score.tokenAccuracy, 0.5)
    }
}
