// Tests of the word tokenizer: segmentation, <EOS>, <UNK>, frequency order, caps and round trips.

import RecurData
import XCTest

final class WordTokenizerTests: XCTestCase {
    func testSplitsPunctuationKeepsCaseAndEndsLinesWithEOS() throws {
        let text = "The cat was full.\nIt slept (soundly)!  \"Yes\";\tno: why?\n"
        let tokenizer = try Tokenizer.build(kind: .word, text: text)
        let vocab = tokenizer.vocabulary
        let decoded = tokenizer.decode(tokenizer.encode(text))
        XCTAssertEqual(decoded, "The cat was full .\nIt slept ( soundly ) ! \" Yes \" ; no : why ?\n")
        for word in ["The", "It", "full", ".", "(", ")", "!", "\"", ";", ":", "?", "soundly"] {
            XCTAssertNotNil(vocab.id(word), word)
        }
        XCTAssertNil(vocab.id("full."))
        XCTAssertNil(vocab.id("the"), "case is kept")
    }

    func testEOSAfterEveryNonEmptyLine() throws {
        let tokenizer = try Tokenizer.build(kind: .word, text: "a b\nc\n")
        let eos = Int32(try XCTUnwrap(tokenizer.vocabulary.eosID))
        let a = Int32(tokenizer.vocabulary.id("a")!), b = Int32(tokenizer.vocabulary.id("b")!)
        let c = Int32(tokenizer.vocabulary.id("c")!)
        XCTAssertEqual(tokenizer.encode("a b\n\n  \nc"), [a, b, eos, c, eos])
        XCTAssertEqual(tokenizer.encode("a b\r\nc\r\n"), [a, b, eos, c, eos])
        XCTAssertEqual(tokenizer.encode(""), [])
        XCTAssertEqual(tokenizer.encode("\n\n"), [])
    }

    func testRoundTripOfInVocabularyText() throws {
        let text = "the cat , which ate the fish , was full .\nthe cats were full .\nÜber café 😀 !\n"
        let tokenizer = try Tokenizer.build(kind: .word, text: text)
        let ids = tokenizer.encode(text)
        XCTAssertEqual(tokenizer.decode(ids), text)
        XCTAssertFalse(ids.contains(Int32(tokenizer.vocabulary.unkID)))
        XCTAssertEqual(ids.filter { Int($0) == tokenizer.vocabulary.eosID }.count, 3)
    }

    func testUnseenWordsBecomeUnknown() throws {
        let tokenizer = try Tokenizer.build(kind: .word, text: "the cat sat .")
        let v = tokenizer.vocabulary
        let ids = tokenizer.encode("the dog sat .")
        XCTAssertEqual(ids, [v.id("the"), v.unkID, v.id("sat"), v.id("."), v.eosID].map { Int32($0!) })
        XCTAssertEqual(tokenizer.decode(ids), "the <UNK> sat .\n")
        XCTAssertEqual(tokenizer.decode([Int32(v.id("the")!), 999]), "the <UNK>")
    }

    func testEncodeSentenceEndsWithExactlyOneEOS() throws {
        let tokenizer = try Tokenizer.build(kind: .word, text: "the cat sat .")
        let v = tokenizer.vocabulary
        let eos = Int32(v.eosID!)
        XCTAssertEqual(tokenizer.encodeSentence("the cat sat ."),
                       [v.id("the"), v.id("cat"), v.id("sat"), v.id(".")].map { Int32($0!) } + [eos])
        XCTAssertEqual(tokenizer.encodeSentence("the cat\nsat"),
                       [v.id("the"), v.id("cat"), v.id("sat")].map { Int32($0!) } + [eos])
        XCTAssertEqual(tokenizer.encodeSentence(""), [eos])
    }

    func testFrequencyOrderWithByteWiseTieBreakAndCap() throws {
        // b:3 a:2, then four words seen once: "B" < "Z" < "c" < "d" byte-wise.
        let text = "b a b d c\nZ a b B"
        XCTAssertEqual(try Tokenizer.build(kind: .word, text: text).vocabulary.tokens,
                       ["<UNK>", "<EOS>", "b", "a", "B", "Z", "c", "d"])
        XCTAssertEqual(try Tokenizer.build(kind: .word, text: text, maxVocabulary: 5).vocabulary.tokens,
                       ["<UNK>", "<EOS>", "b", "a", "B"])
        XCTAssertEqual(try Tokenizer.build(kind: .word, text: text, maxVocabulary: 2).vocabulary.tokens,
                       ["<UNK>", "<EOS>"])
        XCTAssertThrowsError(try Tokenizer.build(kind: .word, text: text, maxVocabulary: 1)) { error in
            XCTAssertEqual(error as? VocabularyError, .capTooSmall(cap: 1, minimum: 2, kind: .word))
        }
        let capped = try Tokenizer.build(kind: .word, text: text, maxVocabulary: 4)
        XCTAssertEqual(capped.decode(capped.encode("a b c")), "a b <UNK>\n")
    }

    func testBuildIsDeterministic() throws {
        let text = SyntheticCorpus.generate(seed: 11, sentences: 500)
        let first = try Tokenizer.build(kind: .word, text: text, maxVocabulary: 60)
        for _ in 0..<3 {
            XCTAssertEqual(try Tokenizer.build(kind: .word, text: text, maxVocabulary: 60).vocabulary, first.vocabulary)
        }
        XCTAssertEqual(first.vocabulary.count, 60)
    }

    func testLiteralSpecialTokensInTextMapToTheirIDs() throws {
        let tokenizer = try Tokenizer.build(kind: .word, text: "a <UNK> b <EOS> a")
        XCTAssertEqual(tokenizer.vocabulary.tokens, ["<UNK>", "<EOS>", "a", "b"])
        XCTAssertEqual(tokenizer.encode("<EOS>"), [1, 1])
    }
}
