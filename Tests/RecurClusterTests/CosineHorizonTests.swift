// CosineHorizonTests: a time-limited cosine run measures its horizon over the warm-up and records
// it (`schedule_steps` in trainer.json). Handed back as `--schedule-steps`, the horizon reproduces
// the run bit for bit, in one process and on two workers; a resume decays over the recorded steps;
// a cluster, which does not measure, asks for the flag.
import Foundation
import RecurIO
import XCTest

final class CosineHorizonTests: ClusterTestCase {
    static let cosine = ["--hidden", "16", "--layers", "1", "--batch", "8", "--bptt", "8", "--lanes-per-shard", "2",
                         "--synthetic-sentences", "300", "--val-fraction", "0.05", "--log-every", "1", "--seed", "3",
                         "--lr-schedule", "cosine", "--warmup-steps", "10", "--min-lr", "0.0002"]

    /// The final checkpoint's step and recorded horizon.
    func recorded(_ dir: String) throws -> (step: Int, horizon: Int?) {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("checkpoints/latest/trainer.json"))
        let t = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try XCTUnwrap(t["step"] as? Int), t["schedule_steps"] as? Int)
    }

    /// A single process's cosine run ended by a 1-s limit: its folder, step and measured horizon.
    func measuredRun(_ name: String, extra: [String] = []) throws -> (dir: String, step: Int, horizon: Int) {
        let dir = path(name)
        let p = try runToEnd(["train", "--single-process", "--threads", "1", "--quiet", "--time-limit", "1s", "--steps", "1000000",
                              "--run-dir", dir] + Self.cosine + extra, name: "train --time-limit")
        XCTAssertEqual(p.status, 0, p.summary)
        let (step, horizon) = try recorded(dir)
        return (dir, step, try XCTUnwrap(horizon, "a measured horizon is recorded"))
    }

    func testTheMeasuredHorizonIsRecordedAndTheRatesFollowIt() throws {
        let (dir, step, horizon) = try measuredRun("measured")
        XCTAssertGreaterThan(horizon, 10, "the horizon covers more than the warm-up")
        XCTAssertLessThan(horizon, 1_000_000, "the time limit, not --steps, sets the horizon")
        let rates = try RunRecord.metricsObjects(dir).compactMap { ($0["lr"] as? NSNumber)?.doubleValue }
        XCTAssertEqual(rates.count, step)
        for (k, got) in rates.enumerated() {
            let want = k < 10 ? 0.002 * Double(k + 1) / 10
                : 0.0002 + 0.0018 * 0.5 * (1 + cos(Double.pi * min(1, Double(k - 10) / Double(horizon - 10))))
            XCTAssertEqual(got, want, accuracy: 1e-12, "the rate of step \(k + 1)")
        }
    }

    func testTheRecordedHorizonReplaysTheRunInOneProcessAndOnTwoWorkers() throws {
        let (dir, step, horizon) = try measuredRun("measured")
        let replay = Self.cosine + ["--steps", "\(step)", "--schedule-steps", "\(horizon)"]
        let reference = try ReferenceRuns.singleProcess(replay, in: self)
        assertSameRun(try RunRecord.read(dir), reference, "the measured run against its replay with --schedule-steps")
        let cluster = path("cluster")
        let p = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--run-dir", cluster] + replay,
                             name: "train --workers 2")
        XCTAssertEqual(p.status, 0, p.summary)
        assertSameRun(try RunRecord.read(cluster), reference, "two workers given the horizon")
    }

    func testAResumeOnTwoWorkersKeepsTheRecordedHorizon() throws {
        let (dir, step, horizon) = try measuredRun("resumed", extra: ["--checkpoint-every", "20"])
        try XCTSkipIf(step < 21, "the machine is too slow for 21 steps in 1 s")
        let checkpoints = URL(fileURLWithPath: dir).appendingPathComponent("checkpoints")
        for name in try FileManager.default.contentsOfDirectory(atPath: checkpoints.path) where name != "step-00000020" {
            try FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
        }
        try FileManager.default.createSymbolicLink(atPath: checkpoints.appendingPathComponent("latest").path, withDestinationPath: "step-00000020")
        // The resume ends at the first run's step (a generous limit): the horizon comes from trainer.json.
        let resumed = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--resume", dir, "--steps", "\(step)",
                                    "--time-limit", "1h"], name: "train --resume")
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        XCTAssertEqual(try recorded(dir).horizon, horizon, "the resumed run's checkpoint keeps the horizon")
        let reference = try ReferenceRuns.singleProcess(Self.cosine + ["--steps", "\(step)", "--schedule-steps", "\(horizon)"], in: self)
        assertSameRun(try RunRecord.read(dir), reference, "a measured run resumed at step 20 on two workers")
    }

    func testAClusterAsksForTheHorizonAndAShortWarmupIsRefused() throws {
        let cluster = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--time-limit", "5s",
                                    "--run-dir", path("cluster")] + Self.cosine, name: "train --workers 2")
        XCTAssertNotEqual(cluster.status, 0)
        XCTAssertTrue(cluster.stderrText.contains("--schedule-steps"), cluster.summary)
        let short = try runToEnd(["train", "--single-process", "--quiet", "--time-limit", "5s", "--run-dir", path("short")]
                                 + Self.cosine.map { $0 == "10" ? "3" : $0 }, name: "train --warmup-steps 3")
        XCTAssertNotEqual(short.status, 0)
        XCTAssertTrue(short.stderrText.contains("--warmup-steps"), short.summary)
    }
}
