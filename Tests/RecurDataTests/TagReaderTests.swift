// Tests of TagReader: CoNLL columns, sentence breaks, -DOCSTART- and errors with file and line.

import RecurData
import XCTest

final class TagReaderTests: XCTestCase {
    func testColumnsSentencesAndDocumentStarts() throws {
        let text = """
        -DOCSTART- -X- -X- O

        EU NNP B-NP B-ORG
        rejects\tVBZ  B-VP\t O
        German JJ B-NP B-MISC

        \r
        Peter B-PER\r
        Blackburn I-PER
        -DOCSTART- -X- O

        -DOCSTART- O
        \t
        teddy  O
        bears O
        """
        let sentences = try TagReader.parse(text, path: "x.conll")
        XCTAssertEqual(sentences.map(\.tokens), [["EU", "rejects", "German"], ["Peter", "Blackburn"], ["teddy", "bears"]])
        XCTAssertEqual(sentences.map(\.tags), [["B-ORG", "O", "B-MISC"], ["B-PER", "I-PER"], ["O", "O"]])
        // Lines of the first tokens; the -DOCSTART- on line 10 ends the second sentence.
        XCTAssertEqual(sentences.map(\.line), [3, 8, 14])
        XCTAssertEqual(sentences[0].ambiguous, [false, false, false])
    }

    func testRoundTripsBuiltInData() throws {
        let sentences = SyntheticNames.generate(seed: 5, count: 150)
        let read = try TagReader.parse(LabeledDataFormat.tagText(sentences), path: "names.conll")
        XCTAssertEqual(read.map(\.tokens), sentences.map(\.tokens))
        XCTAssertEqual(read.map(\.tags), sentences.map(\.tags))
        XCTAssertEqual(read.map(\.line), sentences.map(\.line))
        let withHeader = try TagReader.parse(LabeledDataFormat.tagText(sentences, documentStart: true), path: "n")
        XCTAssertEqual(withHeader.map(\.line), sentences.map { $0.line + 2 })
        XCTAssertEqual(withHeader.map(\.tags), sentences.map(\.tags))
    }

    func testOneColumnLineIsAnError() {
        let path = "train.conll"
        assertLabeledError(try TagReader.parse("a O\nb O\n\nlonely\n", path: path),
                           .missingTag(path: path, line: 4, token: "lonely"), path: path, line: 4,
                           reason: "token \"lonely\" has no tag column")
        assertLabeledError(try TagReader.parse("a O\n  b  \r\n", path: path),
                           .missingTag(path: path, line: 2, token: "b"), path: path, line: 2, reason: "no tag column")
    }

    func testFileWithoutSentencesIsAnError() throws {
        for text in ["", "\n\n", "-DOCSTART- -X- O\n\n", "-DOCSTART- O\n\n-DOCSTART- O\n"] {
            assertLabeledError(try TagReader.parse(text, path: "empty.conll"), .noExamples(path: "empty.conll"),
                               path: "empty.conll", line: nil, reason: "holds no examples")
        }
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let bad = try folder.write(Array("a O\n\nb ".utf8) + [0xC3] + Array(" O\n".utf8), name: "bad.conll")
        assertLabeledError(try TagReader.read(path: bad), .notUTF8(path: bad, line: 3, byteOffset: 7),
                           path: bad, line: 3, reason: "not valid UTF-8")
        XCTAssertThrowsError(try TagReader.read(path: folder.url.path)) {
            guard case .unreadable? = $0 as? LabeledDataError else { return XCTFail("wrong error \($0)") }
        }
    }
}
