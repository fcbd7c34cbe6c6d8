// Tests of ClassifyReader: label<TAB>text files, their rules and every error with file and line.

import RecurData
import XCTest

final class ClassifyReaderTests: XCTestCase {
    private var folder: ScratchFolder!

    override func setUpWithError() throws { folder = try ScratchFolder() }
    override func tearDown() { folder.remove() }

    func testReadsLabelsAndTextsWithTheirLines() throws {
        let text = "\u{FEFF}pos\tnot bad at all\r\n\n  neg \tthe acting\twas not good\n   \t\nneg\tdull\n"
        let path = try folder.write(Array(text.utf8), name: "train.tsv")
        let examples = try ClassifyReader.read(path: path)
        XCTAssertEqual(examples, [
            ClassifyExample(label: "pos", text: "not bad at all", line: 1),  // BOM and \r dropped
            ClassifyExample(label: "neg", text: "the acting\twas not good", line: 3),  // spaces trimmed, later tab kept
            ClassifyExample(label: "neg", text: "dull", line: 5),  // blank lines 2 and 4 skipped
        ])
    }

    func testRoundTripsBuiltInData() throws {
        let examples = SyntheticSentiment.generate(seed: 3, count: 200)
        let path = try folder.write(Array(LabeledDataFormat.classifyText(examples).utf8), name: "sentiment.tsv")
        XCTAssertEqual(try ClassifyReader.read(path: path), examples)
    }

    func testLineErrorsNameFileLineAndReason() {
        let path = "reviews.tsv"
        assertLabeledError(try ClassifyReader.parse("pos\tgood\nno tab here\n", path: path),
                           .missingTab(path: path, line: 2), path: path, line: 2, reason: "no tab")
        assertLabeledError(try ClassifyReader.parse("pos\tgood\n\n  \tbad\n", path: path),
                           .emptyLabel(path: path, line: 3), path: path, line: 3, reason: "label before the tab is empty")
        assertLabeledError(try ClassifyReader.parse("pos\t  \r\n", path: path),
                           .emptyText(path: path, line: 1), path: path, line: 1, reason: "text after the tab is empty")
        assertLabeledError(try ClassifyReader.parse("pos\t\n", path: path),
                           .emptyText(path: path, line: 1), path: path, line: 1, reason: "text after the tab is empty")
    }

    func testFileErrors() throws {
        let missing = folder.url.appendingPathComponent("missing.tsv").path
        XCTAssertThrowsError(try ClassifyReader.read(path: missing)) { error in
            guard case let .unreadable(path, reason)? = error as? LabeledDataError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(path, missing)
            XCTAssertFalse(reason.isEmpty)
            XCTAssertTrue(String(describing: error).contains(missing))
        }
        let empty = try folder.write([], name: "empty.tsv")
        assertLabeledError(try ClassifyReader.read(path: empty), .noExamples(path: empty),
                           path: empty, line: nil, reason: "holds no examples")
        let blank = try folder.write(Array("\n  \n\t\n".utf8), name: "blank.tsv")
        assertLabeledError(try ClassifyReader.read(path: blank), .noExamples(path: blank),
                           path: blank, line: nil, reason: "holds no examples")
        // The bad byte is on line 3, at file offset 3 + 9 + 6 + 1 (after the BOM and two lines).
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("pos\tgood\nneg\tx\n".utf8) + [0x6E, 0xFF] + Array("\tbad\n".utf8)
        let bad = try folder.write(bytes, name: "latin1.tsv")
        assertLabeledError(try ClassifyReader.read(path: bad), .notUTF8(path: bad, line: 3, byteOffset: 19),
                           path: bad, line: 3, reason: "not valid UTF-8")
    }
}
