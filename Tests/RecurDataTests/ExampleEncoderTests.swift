// Tests of ExampleEncoder: word and char vocabularies with a cap and <UNK>, label and tag ids, length cap.

import RecurData
import XCTest

final class ExampleEncoderTests: XCTestCase {
    private let train = [
        ClassifyExample(label: "pos", text: "good , good film", line: 1),
        ClassifyExample(label: "neg", text: "bad film.", line: 2),
    ]

    func testWordVocabularyCapAndUnknownWords() throws {
        // Counts: good 2, film 2, "," 1, bad 1, "." 1; a cap of 4 keeps <UNK>, <EOS>, film, good
        // (ties broken by byte order).
        let encoder = try ExampleEncoder.classification(training: train, kind: .word, maxVocabulary: 4,
                                                        binary: false, path: "train.tsv")
        XCTAssertEqual(encoder.tokenizer.vocabulary.tokens, ["<UNK>", "<EOS>", "film", "good"])
        let encoded = try encoder.encode(ClassifyExample(label: "neg", text: "good film , awful", line: 9), path: "v")
        XCTAssertEqual(encoded, EncodedExample(tokens: [3, 2, 0, 0], target: .label(0), line: 9))
        XCTAssertEqual(try ExampleEncoder.classification(training: train, kind: .word, maxVocabulary: nil,
                                                         binary: false, path: "t").tokenizer.vocabulary.count, 7)
    }

    func testCharVocabulary() throws {
        let encoder = try ExampleEncoder.classification(training: train, kind: .char, maxVocabulary: nil,
                                                        binary: false, path: "t")
        XCTAssertEqual(encoder.tokenIDs(ofText: "dog").count, 3)
        let ids = encoder.tokenIDs(ofText: "gox")
        XCTAssertEqual(ids[2], Int32(encoder.tokenizer.vocabulary.unkID))  // no "x" in training
        XCTAssertNotEqual(ids[0], ids[2])
        XCTAssertFalse(encoder.tokenizer.vocabulary.tokens.contains("\n"))  // texts are not joined by newlines
    }

    func testTaggedWordsAreNotSplitAgain() throws {
        let sentences = try TagReader.parse("U.S. B-LOC\nsays O\n\nU.S. B-LOC\n(a) O\n", path: "t.conll")
        let encoder = try ExampleEncoder.tagging(training: sentences, maxVocabulary: nil, binary: false, path: "t")
        XCTAssertEqual(encoder.tokenizer.vocabulary.tokens, ["<UNK>", "<EOS>", "U.S.", "(a)", "says"])
        XCTAssertEqual(encoder.labels.labels, ["B-LOC", "O"])
        let encoded = try encoder.encode(sentences[0], path: "t")
        XCTAssertEqual(encoded, EncodedExample(tokens: [2, 4], target: .tags([0, 1]), line: 1))
        let valid = try TagReader.parse("x O\ny B-PER\n", path: "valid.conll")
        assertLabeledError(try encoder.encode(valid[0], path: "valid.conll"),
                           .unknownLabel("B-PER", path: "valid.conll", line: 2), path: "valid.conll", line: 2,
                           reason: "\"B-PER\"")
    }

    func testTooLongExamplesAreErrorsNamingTheLine() throws {
        let encoder = try ExampleEncoder.classification(training: train, kind: .word, maxVocabulary: nil,
                                                        binary: false, maxLength: 4, path: "t")
        XCTAssertNoThrow(try encoder.encode(train[0], path: "train.tsv"))
        let long = ClassifyExample(label: "pos", text: "good good good good good", line: 12)
        assertLabeledError(try encoder.encode(long, path: "train.tsv"),
                           .tooLong(path: "train.tsv", line: 12, length: 5, maximum: 4), path: "train.tsv",
                           line: 12, reason: "5 tokens, more than the maximum 4")
    }
}
