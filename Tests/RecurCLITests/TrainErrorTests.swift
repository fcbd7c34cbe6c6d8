// TrainErrorTests: every `recur train` usage and corpus error is one "error:" line and exit status 2.
import Foundation
import XCTest

final class TrainErrorTests: CLITestCase {
    /// `train --single-process --run-dir <tmp>/run` followed by `flags`.
    private func train(_ flags: [String]) throws -> CLIResult {
        try recur(["train", "--single-process", "--run-dir", path("run")] + flags)
    }

    func testUnknownFlag() throws {
        assertOneLineError(try train(["--no-such-flag"]), mentions: ["--no-such-flag"])
    }

    func testBadCellName() throws {
        assertOneLineError(try train(["--cell", "foo"]), mentions: ["--cell", "foo"])
    }

    func testZeroHidden() throws {
        assertOneLineError(try train(["--hidden", "0"]), mentions: ["--hidden"])
    }

    func testLanesPerShardMustDivideBatch() throws {
        assertOneLineError(try train(["--batch", "4", "--lanes-per-shard", "3"]),
                           mentions: ["--lanes-per-shard", "--batch"])
    }

    func testStepsAndEpochsAreExclusive() throws {
        assertOneLineError(try train(["--steps", "5", "--epochs", "1"]), mentions: ["--steps", "--epochs"])
    }

    func testMissingRunDir() throws {
        assertOneLineError(try recur(["train", "--single-process", "--steps", "1"]), mentions: ["--run-dir"])
    }

    /// Without --single-process, `train` now launches a local cluster (coordinator, parameter
    /// server, workers); its errors keep the same contract as single-process ones.
    func testDistributedZeroWorkers() throws {
        let r = try recur(["train", "--run-dir", path("run"), "--workers", "0"] + Self.tinyTrainFlags, timeout: 60)
        assertOneLineError(r, mentions: ["--workers"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("run/checkpoints")),
                       "a refused run must not write checkpoints")
    }

    func testDistributedMissingCorpus() throws {
        let missing = path("no-such-corpus.txt")
        let r = try recur(["train", "--run-dir", path("run"), "--workers", "1", "--corpus", missing]
                          + Self.tinyTrainFlags, timeout: 60)
        assertOneLineError(r, mentions: [missing])
    }

    func testMissingCorpusFile() throws {
        let missing = path("no-such-corpus.txt")
        assertOneLineError(try train(["--corpus", missing]), mentions: [missing])
    }

    func testCorpusIsADirectory() throws {
        let folder = path("a-folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        assertOneLineError(try train(["--corpus", folder]), mentions: [folder, "directory"])
    }

    func testEmptyCorpus() throws {
        let empty = path("empty.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        assertOneLineError(try train(["--corpus", empty]), mentions: [empty, "empty"])
    }

    func testInvalidUTF8Corpus() throws {
        let bad = path("latin1.txt")
        // "caf\xE9 au lait": an ISO-8859-1 é is not UTF-8.
        try Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x61, 0x75, 0x20, 0x6C, 0x61, 0x69, 0x74, 0x0A]).write(to: URL(fileURLWithPath: bad))
        assertOneLineError(try train(["--corpus", bad]), mentions: [bad, "UTF-8"])
    }

    /// 20 characters cannot fill one B=5 × T=7 chunk (36 tokens); the message must say B and T.
    func testCorpusTooShortForOneChunk() throws {
        let short = path("short.txt")
        try "the cat is tired .\n".write(toFile: short, atomically: true, encoding: .utf8)
        let r = try train(["--corpus", short, "--batch", "5", "--bptt", "7", "--val-fraction", "0"])
        assertOneLineError(r, mentions: [short])
        let line = r.stderrLines.first ?? ""
        XCTAssertNotNil(line.range(of: #"\bB\s*=\s*5\b"#, options: .regularExpression), "should name B=5: \(line)")
        XCTAssertNotNil(line.range(of: #"\bT\s*=\s*7\b"#, options: .regularExpression), "should name T=7: \(line)")
    }
}
