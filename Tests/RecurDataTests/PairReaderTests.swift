// Tests of PairReader: source<TAB>target files, their rules and every error with file and line.

import RecurData
import XCTest

final class PairReaderTests: XCTestCase {
    private var folder: ScratchFolder!

    override func setUpWithError() throws { folder = try ScratchFolder() }
    override func tearDown() { folder.remove() }

    func testReadsPairsWithTheirLines() throws {
        // The ManyThings / Tatoeba layout: a third attribution column, Windows line endings.
        let text = "\u{FEFF}Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\r\n"
            + "\n  Hi. \t Salut ! \n \t \nRun!\tCours !\t\textra\n"
        let path = try folder.write(Array(text.utf8), name: "fra.txt")
        XCTAssertEqual(try PairReader.read(path: path), [
            SentencePair(source: "Go.", target: "Va !", line: 1),       // BOM, \r and third column dropped
            SentencePair(source: "Hi.", target: "Salut !", line: 3),    // spaces trimmed, blank line skipped
            SentencePair(source: "Run!", target: "Cours !", line: 5),   // blank line 4 skipped, columns 3+ ignored
        ])
        XCTAssertEqual(try PairReader.parse("a\tb", path: "x"), [SentencePair(source: "a", target: "b", line: 1)])
    }

    func testRoundTripsBuiltInDates() throws {
        let pairs = SyntheticDates.generate(seed: 2, count: 300, heldOut: 0).training
        let text = pairs.map { $0.source + "\t" + $0.target + "\n" }.joined()
        let path = try folder.write(Array(text.utf8), name: "dates.tsv")
        XCTAssertEqual(try PairReader.read(path: path), pairs)
    }

    func testLineErrorsNameFileLineAndReason() {
        let path = "pairs.tsv"
        assertLabeledError(try PairReader.parse("a\tb\nno tab here\n", path: path),
                           .missingPairTab(path: path, line: 2), path: path, line: 2, reason: "no tab")
        assertLabeledError(try PairReader.parse("a\tb\n\n  \tb\n", path: path),
                           .emptySource(path: path, line: 3), path: path, line: 3, reason: "source before the tab is empty")
        assertLabeledError(try PairReader.parse("a\t  \r\n", path: path),
                           .emptyTarget(path: path, line: 1), path: path, line: 1, reason: "target after the tab is empty")
        assertLabeledError(try PairReader.parse("a\t\tattribution\n", path: path),
                           .emptyTarget(path: path, line: 1), path: path, line: 1, reason: "target after the tab is empty")
    }

    func testFileErrors() throws {
        let missing = folder.url.appendingPathComponent("missing.txt").path
        XCTAssertThrowsError(try PairReader.read(path: missing)) { error in
            guard case let .unreadable(path, reason)? = error as? LabeledDataError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(path, missing)
            XCTAssertFalse(reason.isEmpty)
        }
        let blank = try folder.write(Array("\n \t\n".utf8), name: "blank.txt")
        assertLabeledError(try PairReader.read(path: blank), .noExamples(path: blank),
                           path: blank, line: nil, reason: "holds no examples")
        let bytes: [UInt8] = Array("a\tb\n".utf8) + [0x63, 0xFF] + Array("\td\n".utf8)
        let bad = try folder.write(bytes, name: "latin1.txt")
        assertLabeledError(try PairReader.read(path: bad), .notUTF8(path: bad, line: 2, byteOffset: 5),
                           path: bad, line: 2, reason: "not valid UTF-8")
    }
}
