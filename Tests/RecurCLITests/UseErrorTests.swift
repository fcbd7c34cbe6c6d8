// UseErrorTests: `recur eval`, `sample` and `score` errors are one "error:" line and exit status 2.
import Foundation
import XCTest

final class UseErrorTests: CLITestCase {
    /// A small text every test can evaluate.
    private func textFile() throws -> String {
        let p = path("text.txt")
        try "the cat is tired .\nthe dogs sleep .\n".write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// XORs `count` bytes of `file`, `fromEnd` bytes before its end (negative) or at an offset.
    private func flipBytes(_ file: URL, at offset: Int, count: Int) throws {
        var bytes = [UInt8](try Data(contentsOf: file))
        let start = offset >= 0 ? offset : bytes.count + offset
        XCTAssertTrue(start >= 0 && start + count <= bytes.count, "offset outside \(file.path)")
        for i in start ..< start + count { bytes[i] ^= 0xFF }
        try Data(bytes).write(to: file)
    }

    func testEvalMissingCheckpoint() throws {
        let missing = path("no-such-run")
        assertOneLineError(try recur(["eval", "--checkpoint", missing, "--corpus", try textFile()]),
                           mentions: [missing])
    }

    /// Tensor bytes flipped: the manifest's checksum catches it; the message names the
    /// checkpoint folder, the file and the check.
    func testEvalCorruptedTensorData() throws {
        let run = RunFolder(url: try trainTiny("run"))
        try flipBytes(run.latestFile("model.safetensors"), at: -40, count: 8)
        let r = try recur(["eval", "--checkpoint", run.url.path, "--corpus", try textFile()])
        assertOneLineError(r, mentions: ["step-00000020", "model.safetensors"],
                           mentionsOneOf: [["checksum", "crc32c", "CRC"]])
    }

    /// Header bytes flipped and no manifest to verify against: the safetensors parser catches
    /// it; the message names the file and the header.
    func testEvalCorruptedHeaderWithoutManifest() throws {
        let run = RunFolder(url: try trainTiny("run"))
        try FileManager.default.removeItem(at: run.latestFile("manifest.json"))
        try flipBytes(run.latestFile("model.safetensors"), at: 9, count: 4)
        let r = try recur(["eval", "--checkpoint", run.url.path, "--corpus", try textFile()])
        assertOneLineError(r, mentions: ["step-00000020", "model.safetensors"], mentionsOneOf: [["header", "JSON"]])
    }

    func testEvalMissingCorpus() throws {
        let run = try trainTiny("run")
        let missing = path("no-such-text.txt")
        assertOneLineError(try recur(["eval", "--checkpoint", run.path, "--corpus", missing]), mentions: [missing])
    }

    func testEvalCorpusIsADirectory() throws {
        let run = try trainTiny("run")
        let folder = path("a-folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        assertOneLineError(try recur(["eval", "--checkpoint", run.path, "--corpus", folder]),
                           mentions: [folder, "directory"])
    }

    /// `--length -1` and `--length=-1` both reach the range check.
    func testSampleNegativeLength() throws {
        let run = try trainTiny("run")
        assertOneLineError(try recur(["sample", "--checkpoint", run.path, "--length", "-1"]), mentions: ["--length", "non-negative"])
        assertOneLineError(try recur(["sample", "--checkpoint", run.path, "--length=-1"]),
                           mentions: ["--length", "-1"])
    }

    func testScoreEmptySentenceCharMode() throws {
        let run = try trainTiny("run")
        assertOneLineError(try recur(["score", "--checkpoint", run.path, ""]), mentions: ["sentence"])
    }

    /// In word mode an empty sentence is still empty: scoring a lone `<EOS>` is not an answer.
    func testScoreEmptySentenceWordMode() throws {
        let run = try trainTiny("run", ["--tokenizer", "word"])
        assertOneLineError(try recur(["score", "--checkpoint", run.path, "--json", ""]), mentions: ["sentence"])
        assertOneLineError(try recur(["score", "--checkpoint", run.path, "--json", "   "]), mentions: ["sentence"])
    }
}
