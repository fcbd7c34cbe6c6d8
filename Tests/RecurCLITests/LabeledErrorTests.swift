// LabeledErrorTests: every unusable classify or tag input, flag or checkpoint is refused with
// exit status 2 and one "error:" line that names the file (and its line when there is one).
import Foundation
import XCTest

final class LabeledErrorTests: CLITestCase {
    /// Writes `text` into the test's folder and returns its path.
    private func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// `train --single-process --run-dir <tmp>/run` with tiny shapes, then `flags`.
    private func train(_ flags: [String]) throws -> CLIResult {
        try recur(["train", "--single-process", "--run-dir", path("run"), "--hidden", "8", "--layers", "1", "--batch", "2",
                   "--steps", "2", "--val-fraction", "0", "--quiet"] + flags)
    }

    /// Fails unless nothing was trained: a refused run writes no checkpoint.
    private func assertNoCheckpoint(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("run/checkpoints/latest")),
                       "a refused run must not write a checkpoint", file: file, line: line)
    }

    private let reviews = "pos\tthe film was good\nneg\tthe film was dull\npos\tnot bad at all\nneg\tnot good at all\n"

    func testClassifyLineWithoutATab() throws {
        let f = try write("pos\tthe film was good\nneg the film was dull\n", to: "reviews.tsv")
        assertOneLineError(try train(["--task", "classify", "--corpus", f]), mentions: [f, "line 2"])
        assertNoCheckpoint()
    }

    func testCoNLLLineWithOneColumn() throws {
        let f = try write("anna B-PER\nsmith I-PER\n\nthe O\nbears\n\n", to: "names.conll")
        assertOneLineError(try train(["--task", "tag", "--corpus", f]), mentions: [f, "line 5", "bears"])
        assertNoCheckpoint()
    }

    func testEmptyClassifyFile() throws {
        let f = try write("", to: "empty.tsv")
        assertOneLineError(try train(["--task", "classify", "--corpus", f]), mentions: [f])
        assertNoCheckpoint()
    }

    func testEmptyTagFile() throws {
        let f = try write("\n\n", to: "blank.conll")
        assertOneLineError(try train(["--task", "tag", "--corpus", f]), mentions: [f])
        assertNoCheckpoint()
    }

    func testValidationLabelUnseenInTraining() throws {
        let f = try write(reviews, to: "train.tsv")
        let v = try write("pos\tthe film was good\nmeh\tthe film was fine\n", to: "val.tsv")
        assertOneLineError(try train(["--task", "classify", "--corpus", f, "--val-corpus", v]), mentions: [v, "line 2", "meh"])
        assertNoCheckpoint()
    }

    func testValidationTagUnseenInTraining() throws {
        let f = try write("anna B-PER\nsmith I-PER\nwon O\n\n", to: "train.conll")
        let v = try write("anna B-PER\n\nparis B-LOC\n\n", to: "val.conll")
        assertOneLineError(try train(["--task", "tag", "--corpus", f, "--val-corpus", v]), mentions: [v, "line 3", "B-LOC"])
        assertNoCheckpoint()
    }

    func testBidirectionalLanguageModelIsRefusedWithTheReason() throws {
        let r = try train(["--task", "lm", "--bidirectional", "--synthetic-sentences", "50"])
        assertOneLineError(r, mentions: ["--bidirectional", "classify", "tag"])
        assertNoCheckpoint()
    }

    func testSigmoidLossOnLabelsOtherThanZeroAndOne() throws {
        let f = try write(reviews, to: "reviews.tsv")
        assertOneLineError(try train(["--task", "classify", "--loss", "sigmoid", "--corpus", f]), mentions: [f, "line 1", "pos"])
        assertNoCheckpoint()
    }

    func testSigmoidLossOnTagsOtherThanZeroAndOne() throws {
        let f = try write("anna 1\nsmith 1\nwon 0\n\nthe 0\nbears 2\n\n", to: "tags.conll")
        assertOneLineError(try train(["--task", "tag", "--loss", "sigmoid", "--corpus", f]), mentions: [f, "line 6", "2"])
        assertNoCheckpoint()
    }

    func testPredictOnALanguageModelsCheckpoint() throws {
        let lm = try trainTiny("lm", ["--steps", "2"])
        let input = try write("the cat\n", to: "in.txt")
        assertOneLineError(try recur(["predict", "--checkpoint", lm.path, "--input", input]), mentions: [lm.path, "sample"])
    }

    func testSampleOnAClassifiersCheckpoint() throws {
        let f = try write(reviews, to: "reviews.tsv")
        let r = try train(["--task", "classify", "--corpus", f])
        XCTAssertEqual(r.status, 0, r.summary)
        assertOneLineError(try recur(["sample", "--checkpoint", path("run"), "--length", "5"]), mentions: [path("run"), "classify"])
    }
}
