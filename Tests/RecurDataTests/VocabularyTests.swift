// Tests of Vocabulary: rebuilding from checkpoint token lists and rejecting invalid lists.

import RecurData
import XCTest

final class VocabularyTests: XCTestCase {
    func testRebuildingFromTokensGivesTheSameVocabulary() throws {
        let text = "the cat , which ate , was full .\nÜber 😀\n"
        for kind in TokenizerKind.allCases {
            let built = try Tokenizer.build(kind: kind, text: text).vocabulary
            let rebuilt = try Vocabulary(tokens: built.tokens, kind: kind)
            XCTAssertEqual(rebuilt, built)
            for (id, token) in built.tokens.enumerated() {
                XCTAssertEqual(rebuilt.id(token), id, token)
            }
            let tokenizer = Tokenizer(vocabulary: rebuilt, kind: kind)
            XCTAssertEqual(tokenizer.encode(text), try Tokenizer.build(kind: kind, text: text).encode(text))
        }
    }

    func testSpecialIDsFollowTheirPositions() throws {
        let word = try Vocabulary(tokens: ["x", "<EOS>", "y", "<UNK>"], kind: .word)
        XCTAssertEqual(word.unkID, 3)
        XCTAssertEqual(word.eosID, 1)
        XCTAssertEqual(word.count, 4)
        let char = try Vocabulary(tokens: ["a", "<UNK>"], kind: .char)
        XCTAssertEqual(char.unkID, 1)
        XCTAssertNil(char.eosID)
        XCTAssertEqual(char.id("a"), 0)
        XCTAssertNil(char.id("b"))
        XCTAssertNotEqual(try Vocabulary(tokens: ["<UNK>", "a"], kind: .char), char)
    }

    func testRejectsDuplicates() {
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "a", "b", "a"], kind: .char)) {
            XCTAssertEqual($0 as? VocabularyError, .duplicateToken("a", firstIndex: 1, secondIndex: 3))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "<EOS>", "cat", "cat"], kind: .word)) {
            XCTAssertEqual($0 as? VocabularyError, .duplicateToken("cat", firstIndex: 2, secondIndex: 3))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "<UNK>"], kind: .char)) {
            XCTAssertEqual($0 as? VocabularyError, .duplicateToken("<UNK>", firstIndex: 0, secondIndex: 1))
        }
    }

    func testRejectsMissingSpecials() {
        XCTAssertThrowsError(try Vocabulary(tokens: ["a", "b"], kind: .char)) {
            XCTAssertEqual($0 as? VocabularyError, .missingSpecialToken("<UNK>", kind: .char))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<EOS>", "cat"], kind: .word)) {
            XCTAssertEqual($0 as? VocabularyError, .missingSpecialToken("<UNK>", kind: .word))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "cat"], kind: .word)) {
            XCTAssertEqual($0 as? VocabularyError, .missingSpecialToken("<EOS>", kind: .word))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: [], kind: .word))
    }

    func testRejectsMalformedTokens() {
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "ab"], kind: .char)) {
            XCTAssertEqual($0 as? VocabularyError, .notASingleScalar("ab", index: 1))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "<EOS>"], kind: .char)) {
            XCTAssertEqual($0 as? VocabularyError, .notASingleScalar("<EOS>", index: 1))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "<EOS>", "two words"], kind: .word)) {
            XCTAssertEqual($0 as? VocabularyError, .invalidWord("two words", index: 2))
        }
        XCTAssertThrowsError(try Vocabulary(tokens: ["<UNK>", "<EOS>", ""], kind: .word)) {
            XCTAssertEqual($0 as? VocabularyError, .invalidWord("", index: 2))
        }
    }

    func testErrorDescriptionsAreSingleLinesNamingTheToken() {
        let errors: [VocabularyError] = [
            .duplicateToken("\n", firstIndex: 1, secondIndex: 2),
            .missingSpecialToken("<EOS>", kind: .word),
            .notASingleScalar("ab", index: 3),
            .invalidWord("a b", index: 4),
            .capTooSmall(cap: 1, minimum: 2, kind: .word),
        ]
        for error in errors {
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
        XCTAssertTrue(errors[0].description.contains("\"\\n\""), errors[0].description)
        XCTAssertTrue(errors[1].description.contains("<EOS>"))
        XCTAssertTrue(errors[4].description.contains("1"))
    }
}
