// Tests of the char tokenizer: vocabulary order, round trips, <UNK>, caps and speed.

import Foundation
import RecurData
import XCTest

final class CharTokenizerTests: XCTestCase {
    func testVocabularyIsUnknownThenDistinctScalarsByValue() throws {
        let tokenizer = try Tokenizer.build(kind: .char, text: "hello world")
        XCTAssertEqual(tokenizer.vocabulary.tokens, ["<UNK>", " ", "d", "e", "h", "l", "o", "r", "w"])
        XCTAssertEqual(tokenizer.vocabulary.unkID, 0)
        XCTAssertNil(tokenizer.vocabulary.eosID)
        XCTAssertEqual(tokenizer.vocabulary.count, 9)
        XCTAssertEqual(tokenizer.encode("hello"), [4, 3, 5, 5, 6])
    }

    func testRoundTripOfInVocabularyText() throws {
        let text = "The cat, which ate.\nIt (was) full!\n\tÜber naïve 😀 text\r\n"
        let tokenizer = try Tokenizer.build(kind: .char, text: text)
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, text.unicodeScalars.count)
        XCTAssertTrue(tokenizer.decode(ids).unicodeScalars.elementsEqual(text.unicodeScalars))
        XCTAssertFalse(ids.contains(Int32(tokenizer.vocabulary.unkID)))
        XCTAssertEqual(tokenizer.encodeSentence(text), ids, "char sentences get no end marker")
    }

    func testWorksOnScalarsNotCharacters() throws {
        // "é" as e + combining acute is one Character but two scalars.
        let text = "e\u{301}a\u{1F600}"
        let tokenizer = try Tokenizer.build(kind: .char, text: text)
        XCTAssertEqual(tokenizer.vocabulary.tokens, ["<UNK>", "a", "e", "\u{301}", "\u{1F600}"])
        XCTAssertEqual(tokenizer.encode(text), [2, 3, 1, 4])
        // Canonically equivalent single scalars (Angstrom sign, A-ring) stay distinct tokens.
        let signs = try Tokenizer.build(kind: .char, text: "\u{212B}\u{00C5}")
        XCTAssertEqual(signs.vocabulary.count, 3)
        XCTAssertEqual(signs.encode("\u{00C5}\u{212B}"), [1, 2])
        XCTAssertEqual(signs.vocabulary.id("\u{212B}"), 2)
    }

    func testUnseenScalarsBecomeUnknown() throws {
        let tokenizer = try Tokenizer.build(kind: .char, text: "abc")
        XCTAssertEqual(tokenizer.encode("axc\u{10348}"), [1, 0, 3, 0])
        XCTAssertEqual(tokenizer.decode([1, 0, 3]), "a<UNK>c")
        XCTAssertEqual(tokenizer.decode([1, 99, -1]), "a<UNK><UNK>", "out-of-range ids render as <UNK>")
        XCTAssertNil(tokenizer.vocabulary.id("x"))
        XCTAssertNil(tokenizer.vocabulary.id("ab"))
    }

    func testCapKeepsMostFrequentWithTiesBySmallerScalar() throws {
        let text = "ccbbbaaad"  // a:3 b:3 c:2 d:1
        XCTAssertEqual(try Tokenizer.build(kind: .char, text: text, maxVocabulary: 3).vocabulary.tokens,
                       ["<UNK>", "a", "b"])
        XCTAssertEqual(try Tokenizer.build(kind: .char, text: text, maxVocabulary: 2).vocabulary.tokens,
                       ["<UNK>", "a"])
        XCTAssertEqual(try Tokenizer.build(kind: .char, text: text, maxVocabulary: 4).vocabulary.tokens,
                       ["<UNK>", "a", "b", "c"])
        XCTAssertEqual(try Tokenizer.build(kind: .char, text: text, maxVocabulary: 100).vocabulary.count, 5)
        let capped = try Tokenizer.build(kind: .char, text: text, maxVocabulary: 3)
        XCTAssertEqual(capped.encode("cab"), [0, 1, 2])
        XCTAssertEqual(try Tokenizer.build(kind: .char, text: "ba", maxVocabulary: 1).vocabulary.tokens, ["<UNK>"])
        XCTAssertThrowsError(try Tokenizer.build(kind: .char, text: text, maxVocabulary: 0)) { error in
            XCTAssertEqual(error as? VocabularyError, .capTooSmall(cap: 0, minimum: 1, kind: .char))
        }
    }

    func testEncodingAMegabyteIsFast() throws {
        var text = SyntheticCorpus.generate(seed: 1, sentences: 1000) + "Ünïcödé ✓ 😀\n"
        while text.utf8.count < 1_100_000 { text += text }
        let tokenizer = try Tokenizer.build(kind: .char, text: text)
        let start = Date()
        let ids = tokenizer.encode(text)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(ids.count, text.unicodeScalars.count)
        XCTAssertLessThan(elapsed, 0.5, "char encoding of \(text.utf8.count) bytes took \(elapsed) s")
    }
}
