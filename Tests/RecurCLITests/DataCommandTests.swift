// DataCommandTests: `recur data` writes exactly the built-in examples, and refuses --task lm.
import Foundation
import RecurData
import XCTest

final class DataCommandTests: CLITestCase {
    /// The written sentiment file reads back as the examples `recur train` generates.
    func testClassifyFileHoldsTheBuiltInExamples() throws {
        let file = path("sentiment.tsv")
        try recurOK(["data", "--task", "classify", "--seed", "5", "--synthetic-sentences", "200", "--out", file])
        let read = try ClassifyReader.read(path: file)
        let built = SyntheticSentiment.generate(seed: 5, count: 200)
        XCTAssertEqual(read.map(\.label), built.map(\.label))
        XCTAssertEqual(read.map(\.text), built.map(\.text))
    }

    /// The written names file reads back as the sentences `recur train` generates, with 0/1 tags
    /// under --loss sigmoid.
    func testTagFileHoldsTheBuiltInSentences() throws {
        for (loss, binary) in [("softmax", false), ("sigmoid", true)] {
            let file = path("names-\(loss).conll")
            try recurOK(["data", "--task", "tag", "--loss", loss, "--synthetic-sentences", "150", "--out", file])
            let read = try TagReader.read(path: file)
            let built = SyntheticNames.generate(seed: 1, count: 150, binary: binary)
            XCTAssertEqual(read.map(\.tokens), built.map(\.tokens), loss)
            XCTAssertEqual(read.map(\.tags), built.map(\.tags), loss)
        }
    }

    func testLanguageModelTaskIsRefused() throws {
        let r = try recur(["data", "--task", "lm", "--out", path("x.txt")])
        XCTAssertNotEqual(r.status, 0, "--task lm has no labelled data:\n\(r.summary)")
        XCTAssertTrue((r.stdout + r.stderr).contains("--task lm"), r.summary)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.txt")))
    }

    func testHelp() throws {
        let r = try recur(["data", "--help"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertTrue((r.stdout + r.stderr).contains("Example"), r.summary)
    }
}
