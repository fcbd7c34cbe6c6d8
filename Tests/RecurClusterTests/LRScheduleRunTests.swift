// LRScheduleRunTests: a cosine schedule with warm-up is part of the exact contract — the cluster's
// weights equal the single process's, a resumed run equals an uninterrupted one, and the logged
// rate follows the formula.
import Foundation
import RecurIO
import XCTest

final class LRScheduleRunTests: ClusterTestCase {
    static let cosine = tinyFlags + ["--lr-schedule", "cosine", "--warmup-steps", "3", "--min-lr", "0.0002"]

    func testTheLoggedRateFollowsTheSchedule() throws {
        let dir = path("single")
        let p = try runToEnd(["train", "--single-process", "--threads", "1", "--quiet", "--run-dir", dir] + Self.cosine, name: "train")
        XCTAssertEqual(p.status, 0, p.summary)
        let lines = try RunRecord.metricsObjects(dir)
        let rates = lines.compactMap { ($0["lr"] as? NSNumber)?.doubleValue }
        // Step s (1-based) used the rate of optimizer step s − 1: warm-up 1/3, 2/3, 3/3 of 2e-3, then
        // half a cosine over the 9 steps left, down to 2e-4.
        let expected = (0..<12).map { k -> Double in
            if k < 3 { return 0.002 * Double(k + 1) / 3 }
            return 0.0002 + (0.002 - 0.0002) * 0.5 * (1 + cos(Double.pi * Double(k - 3) / 9))
        }
        XCTAssertEqual(rates.count, 12)
        for (got, want) in zip(rates, expected) { XCTAssertEqual(got, want, accuracy: 1e-12) }
    }

    func testTheClusterMatchesTheSingleProcess() throws {
        let reference = try ReferenceRuns.singleProcess(Self.cosine, in: self)
        let dir = path("cluster")
        let p = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--run-dir", dir] + Self.cosine, name: "train --workers 2")
        XCTAssertEqual(p.status, 0, p.summary)
        assertSameRun(try RunRecord.read(dir), reference, "a cosine schedule on two workers")
    }

    func testAResumedRunMatchesAnUninterruptedOne() throws {
        let reference = try ReferenceRuns.singleProcess(Self.cosine, in: self)
        let dir = path("resumed")
        let first = try runToEnd(["train", "--single-process", "--quiet", "--checkpoint-every", "4", "--run-dir", dir] + Self.cosine,
                                 name: "train")
        XCTAssertEqual(first.status, 0, first.summary)
        let checkpoints = URL(fileURLWithPath: dir).appendingPathComponent("checkpoints")
        for name in ["latest", "step-00000008", "step-00000012"] { try FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name)) }
        try FileManager.default.createSymbolicLink(atPath: checkpoints.appendingPathComponent("latest").path, withDestinationPath: "step-00000004")
        let resumed = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--resume", dir], name: "train --resume")
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        assertSameRun(try RunRecord.read(dir), reference, "a cosine run resumed at step 4 on two workers")
    }
}
