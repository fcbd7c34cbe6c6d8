// Tests of LabelSet: sorted id order, restoring from a checkpoint list, unseen labels, 0/1 check.

import RecurData
import XCTest

final class LabelSetTests: XCTestCase {
    func testIdsFollowByteOrderNotFileOrder() throws {
        let a = LabelSet(collecting: ["neg", "pos", "neutral", "pos", "Z"])
        let b = LabelSet(collecting: ["Z", "pos", "neutral", "neg"])
        XCTAssertEqual(a.labels, ["Z", "neg", "neutral", "pos"])  // uppercase bytes sort first
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.id("neutral"), 2)
        XCTAssertEqual(a.label(3), "pos")
        XCTAssertNil(a.label(4))
        XCTAssertEqual(try LabelSet(labels: a.labels), a)
    }

    func testStoredListKeepsItsOrderAndIsValidated() throws {
        XCTAssertEqual(try LabelSet(labels: ["pos", "neg"]).id("neg"), 1)
        XCTAssertThrowsError(try LabelSet(labels: [])) {
            XCTAssertEqual($0 as? LabeledDataError, .invalidLabelSet(reason: "it has no labels"))
        }
        XCTAssertThrowsError(try LabelSet(labels: ["a", "b", "a"])) {
            XCTAssertEqual(String(describing: $0), "invalid label set: label \"a\" has ids 0 and 2")
        }
        XCTAssertThrowsError(try LabelSet(labels: ["a", ""]))
    }

    func testUnseenLabelNamesLabelFileAndLine() throws {
        let train = try ClassifyReader.parse("pos\tgood\nneg\tbad\n", path: "train.tsv")
        let labels = try LabelSet.classification(train, path: "train.tsv", binary: false)
        XCTAssertEqual(labels.labels, ["neg", "pos"])
        XCTAssertEqual(try labels.id(of: "pos", path: "valid.tsv", line: 1), 1)
        assertLabeledError(try labels.id(of: "meh", path: "valid.tsv", line: 7),
                           .unknownLabel("meh", path: "valid.tsv", line: 7), path: "valid.tsv", line: 7,
                           reason: "label \"meh\" does not occur in the training data")
    }

    func testSigmoidNeedsZeroAndOne() throws {
        let good = try ClassifyReader.parse("1\tgood\n1\tgreat\n", path: "t.tsv")
        // Only `1` occurs, yet `1` keeps id 1: the binary set is fixed, not collected.
        XCTAssertEqual(try LabelSet.classification(good, path: "t.tsv", binary: true), .binary)
        XCTAssertEqual(LabelSet.binary.id("1"), 1)
        let bad = try ClassifyReader.parse("1\tgood\n\npos\tgreat\n", path: "t.tsv")
        assertLabeledError(try LabelSet.classification(bad, path: "t.tsv", binary: true),
                           .notBinary("pos", path: "t.tsv", line: 3), path: "t.tsv", line: 3, reason: "is not 0 or 1")
        let tagged = try TagReader.parse("a 0\nb 1\n\nc 0\nd B-PER\n", path: "t.conll")
        assertLabeledError(try LabelSet.tagging(tagged, path: "t.conll", binary: true),
                           .notBinary("B-PER", path: "t.conll", line: 5), path: "t.conll", line: 5,
                           reason: "--loss sigmoid")
        XCTAssertEqual(try LabelSet.tagging(tagged, path: "t", binary: false).labels, ["0", "1", "B-PER"])
    }
}
