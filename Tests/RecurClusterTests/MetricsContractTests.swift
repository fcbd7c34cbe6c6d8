// MetricsContractTests: for the same flags, `recur train --workers N` writes the metrics lines of
// `--single-process` — the same steps with the same loss, val_loss, lr and grad_norm — for 1, 2 and
// 3 workers, with evaluations off the log steps, a run ending off a log step, and after a resume;
// and a resume of a complete cluster run changes no file.
import Foundation
import XCTest

/// The fields of a metrics line that must not depend on how the run was driven.
struct ContractLine: Equatable, CustomStringConvertible {
    let step: Int
    let loss: Double
    let valLoss: Double?
    let lr: Double
    let gradNorm: Double
    var description: String { "\(step): loss \(loss) val \(valLoss.map { "\($0)" } ?? "-") lr \(lr) norm \(gradNorm)" }

    /// Every line of `runDir/metrics.jsonl`; throws when one lacks a contract field.
    static func read(_ runDir: String) throws -> [ContractLine] {
        try RunRecord.metricsObjects(runDir).map { o in
            func number(_ key: String) -> Double? { (o[key] as? NSNumber)?.doubleValue }
            guard let step = (o["step"] as? NSNumber)?.intValue, let loss = number("loss"), let lr = number("lr"),
                  let norm = number("grad_norm") else { throw ClusterTestError("\(runDir)/metrics.jsonl: incomplete line \(o)") }
            return ContractLine(step: step, loss: loss, valLoss: number("val_loss"), lr: lr, gradNorm: norm)
        }
    }
}

final class MetricsContractTests: ClusterTestCase {
    /// A tiny run with a validation split (a second or two per run).
    static let base = ["--hidden", "16", "--layers", "1", "--batch", "8", "--bptt", "8", "--lanes-per-shard", "2",
                       "--synthetic-sentences", "300", "--val-fraction", "0.1", "--seed", "3", "--threads", "1", "--quiet"]

    /// `recur train` into `dir`: in one process (`workers` nil) or with `workers` local workers.
    func train(_ flags: [String], workers: Int?, dir: String) throws {
        let how = workers.map { ["--workers", String($0)] } ?? ["--single-process"]
        let p = try runToEnd(["train"] + how + ["--run-dir", dir] + Self.base + flags, name: "train \(how.joined(separator: " "))")
        XCTAssertEqual(p.status, 0, p.summary)
    }

    func modelBytes(_ dir: String) -> Data? { FileManager.default.contents(atPath: dir + "/checkpoints/latest/model.safetensors") }

    /// Trains `flags` in one process and with each number of `workers`, and compares every line.
    func assertContract(_ flags: [String], workers: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
        let single = path("single")
        try train(flags, workers: nil, dir: single)
        let want = try ContractLine.read(single)
        XCTAssertTrue(want.contains { $0.valLoss != nil }, "the flags must exercise evaluations", file: file, line: line)
        for n in workers {
            let dir = path("workers-\(n)")
            try train(flags, workers: n, dir: dir)
            XCTAssertEqual(try ContractLine.read(dir), want, "\(n) workers, \(flags)", file: file, line: line)
            XCTAssertNotNil(modelBytes(single), "the single process must end with a checkpoint", file: file, line: line)
            XCTAssertEqual(modelBytes(dir), modelBytes(single), "\(n) workers: final weights", file: file, line: line)
        }
    }

    /// Evaluations every 3 steps between lines every 4, and a last step (13) that is neither.
    func testEvaluationsOffTheLogStepsAndARunEndingOffALogStepForOneTwoAndThreeWorkers() throws {
        try assertContract(["--steps", "13", "--log-every", "4", "--eval-every", "3"], workers: [1, 2, 3])
    }

    /// Checkpoints between the lines, a decaying learning rate, clipping and two server slices.
    func testCheckpointsDecayAndClippingWithTwoServers() throws {
        try assertContract(["--steps", "10", "--log-every", "3", "--eval-every", "5", "--checkpoint-every", "4",
                            "--lr-decay", "0.9", "--lr-decay-every", "2", "--clip", "0.5", "--ps-shards", "2"], workers: [2])
    }

    /// A cluster run of 12 steps resumed to 13 writes the lines of one uninterrupted single process.
    func testAfterAResume() throws {
        let flags = ["--log-every", "4", "--eval-every", "3"]
        let single = path("single")
        try train(flags + ["--steps", "13"], workers: nil, dir: single)
        let dir = path("resumed")
        try train(flags + ["--steps", "12"], workers: 2, dir: dir)
        let p = try runToEnd(["train", "--workers", "2", "--resume", dir, "--steps", "13", "--threads", "1", "--quiet"], name: "resume")
        XCTAssertEqual(p.status, 0, p.summary)
        XCTAssertEqual(try ContractLine.read(dir), try ContractLine.read(single))
        XCTAssertNotNil(modelBytes(single), "the single process must end with a checkpoint")
        XCTAssertEqual(modelBytes(dir), modelBytes(single))
    }

    /// Every file under `dir` (a symbolic link as its target), by relative path.
    func snapshot(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let fm = FileManager.default
        for case let relative as String in fm.enumerator(atPath: dir)! {
            let full = dir + "/" + relative
            let attributes = try fm.attributesOfItem(atPath: full)
            if attributes[.type] as? FileAttributeType == .typeSymbolicLink {
                files[relative] = Data(try fm.destinationOfSymbolicLink(atPath: full).utf8)
            } else if attributes[.type] as? FileAttributeType == .typeRegular {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return files
    }

    /// The run of issue 13: resuming a finished cluster run trained one step more, rewrote the last
    /// checkpoint with other weights and appended a line without a step.
    func testResumingACompleteClusterRunChangesNoFile() throws {
        let dir = path("complete")
        try train(["--cell", "gru", "--steps", "12", "--checkpoint-every", "4"], workers: 2, dir: dir)
        let before = try snapshot(dir)
        XCTAssertNotNil(before["checkpoints/step-00000012/model.safetensors"])
        let p = try runToEnd(["train", "--workers", "2", "--resume", dir, "--threads", "1", "--quiet"], name: "resume")
        XCTAssertEqual(p.status, 0, p.summary)
        let after = try snapshot(dir)
        XCTAssertEqual(after.keys.sorted(), before.keys.sorted())
        for (name, bytes) in before where after[name] != bytes { XCTFail("\(name) changed\n\(p.summary)") }
    }
}
