// TimeLimitTests: `--time-limit` ends a run at a step boundary with an evaluation and a checkpoint
// whose trainer.json records the run as complete, in one process and on a cluster, and a resumed
// run counts the time it had already spent.
import Foundation
import RecurIO
import XCTest

final class TimeLimitTests: ClusterTestCase {
    /// A tiny model on a corpus of which one pass takes a small fraction of a second.
    static let tiny = ["--hidden", "16", "--layers", "1", "--batch", "8", "--bptt", "8", "--synthetic-sentences", "300",
                       "--log-every", "25", "--quiet"]
    static let endless = tiny + ["--steps", "1000000"]

    /// The last metrics line, and the total steps the final checkpoint records.
    func ending(_ dir: String) throws -> (line: [String: Any], totalSteps: Int) {
        let line = try XCTUnwrap(try RunRecord.metricsObjects(dir).last)
        let trainer = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("checkpoints/latest/trainer.json"))
        let total = try XCTUnwrap((try JSONSerialization.jsonObject(with: trainer) as? [String: Any])?["total_steps"] as? Int)
        return (line, total)
    }

    func check(_ mode: [String]) throws {
        let dir = path("run")
        let p = try runToEnd(["train"] + mode + ["--time-limit", "2s", "--run-dir", dir] + Self.endless, name: "train \(mode)")
        XCTAssertEqual(p.status, 0, p.summary)
        let (line, total) = try ending(dir)
        let step = try XCTUnwrap(line["step"] as? Int)
        XCTAssertLessThan(step, 1_000_000, "the limit ended the run")
        XCTAssertEqual(total, step, "the final checkpoint records the run's length, so a resume of it is complete")
        XCTAssertNotNil(line["val_loss"], "the last step is evaluated, as at any end")
        XCTAssertGreaterThanOrEqual(line["seconds"] as? Double ?? 0, 2, "the run trained for its budget")
        let again = try runToEnd(["train"] + mode + ["--resume", dir, "--quiet", "--log-format", "json"], name: "resume")
        XCTAssertEqual(again.status, 0, again.summary)
        XCTAssertEqual(try ending(dir).line["step"] as? Int, step, "a resume of a run its limit ended trains nothing")
    }

    func testASingleProcessEndsAtItsTimeLimit() throws { try check(["--single-process"]) }

    /// A run with one server sends it nothing during its steps when they neither evaluate nor
    /// checkpoint (no norm to total): the coordinator's heartbeats keep the server, whose peer
    /// timeout here is 2 s, from giving up on it during a 5-s run.
    func testAOneServerRunOutlastsTheServersPeerTimeout() throws {
        let port = try HeldPort.free()
        let dir = path("quiet")
        let args = ["launch", "--ps-shards", "1", "--log-format", "json", "--run-dir", dir, "--peer-timeout", "2",
                    "--time-limit", "5s", "--val-fraction", "0"] + Self.endless
        let base = ["MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port), "WORLD_SIZE": "4"]
        var others: [ClusterProcess] = []
        for rank in [3, 2, 1] {
            others.append(try start(args, name: "rank \(rank)", environment: base.merging(["RANK": String(rank)]) { $1 }))
        }
        let coordinator = try runToEnd(args, name: "rank 0", environment: base.merging(["RANK": "0"]) { $1 })
        XCTAssertEqual(coordinator.status, 0, coordinator.summary)
        for p in others { assertFinishes(p) }
        XCTAssertEqual(others[2].status, 0, others[2].summary)  // rank 1: the server
        let (line, _) = try ending(dir)
        XCTAssertGreaterThanOrEqual(line["seconds"] as? Double ?? 0, 5, "the run trained for its whole budget")
    }

    /// With a budget and neither --steps nor --epochs, the budget ends the run, not one pass: one
    /// pass of this corpus takes a small fraction of the 2 s.
    func testABudgetAloneTrainsUntilItIsSpent() throws {
        let dir = path("budget")
        let p = try runToEnd(["train", "--single-process", "--time-limit", "2s", "--run-dir", dir] + Self.tiny, name: "train")
        XCTAssertEqual(p.status, 0, p.summary)
        let (line, total) = try ending(dir)
        XCTAssertGreaterThanOrEqual(line["seconds"] as? Double ?? 0, 2, "the run trained for its whole budget")
        XCTAssertEqual(total, line["step"] as? Int, "the final checkpoint records where the budget ended the run")
    }

    func testAClusterEndsAtItsTimeLimit() throws { try check(["--workers", "2", "--threads", "1"]) }

    func testAResumedRunCountsTheTimeItHadSpent() throws {
        let dir = path("resumed")
        let first = try runToEnd(["train", "--single-process", "--run-dir", dir] + Self.endless.map { $0 == "1000000" ? "50" : $0 },
                                 name: "train 50 steps")
        XCTAssertEqual(first.status, 0, first.summary)
        let spent = try XCTUnwrap(try ending(dir).line["seconds"] as? Double)
        let limit = spent + 1.5
        let resumed = try runToEnd(["train", "--workers", "2", "--threads", "1", "--resume", dir, "--steps", "1000000",
                                    "--time-limit", String(format: "%.3fs", limit), "--quiet"], name: "resume with a limit")
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        let (line, total) = try ending(dir)
        let seconds = try XCTUnwrap(line["seconds"] as? Double)
        XCTAssertGreaterThanOrEqual(seconds, limit, "the budget covers the time before the resume too")
        XCTAssertEqual(total, line["step"] as? Int)
        XCTAssertGreaterThan(line["step"] as? Int ?? 0, 50, "the resumed run trained on")
    }
}
