// AsyncTests: a real asynchronous run (3 worker processes, staleness 2) learns, logs its staleness,
// and applies every shard of every step exactly once.
import Foundation
import RecurIO
import XCTest

final class AsyncTests: ClusterTestCase {
    func testAsyncRunLossFallsWithBoundedStaleness() throws {
        let dir = path("async")
        let flags = ["--hidden", "32", "--layers", "1", "--batch", "8", "--bptt", "16", "--lanes-per-shard", "2",
                     "--synthetic-sentences", "600", "--steps", "40", "--lr", "0.01", "--log-every", "1",
                     "--val-fraction", "0.05", "--threads", "1", "--quiet", "--log-format", "json"]
        let p = try runToEnd(["train", "--workers", "3", "--mode", "async", "--staleness", "2", "--run-dir", dir] + flags,
                             name: "train --mode async")
        XCTAssertEqual(p.status, 0, p.summary)
        let lines = try RunRecord.metricsObjects(dir)
        XCTAssertEqual(lines.compactMap { $0["step"] as? Int }, Array(1...40), "every step logged once")
        let losses = lines.compactMap { $0["loss"] as? Double }
        XCTAssertEqual(losses.count, 40)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first - 0.3, "the loss must fall (\(first) → \(last))")
        let maxStaleness = lines.compactMap { $0["staleness_max"] as? Int }
        XCTAssertEqual(maxStaleness.count, 40, "staleness is recorded for every step")
        XCTAssertLessThanOrEqual(maxStaleness.max() ?? 99, 2)
        XCTAssertNotNil(lines.last?["val_loss"] as? Double)
        // Nothing waits for a lease to expire: a worker computes on the weights its task started
        // with, whatever newer version lands first.
        let closed = p.events(.coordinatorClosed)
        XCTAssertEqual(closed.map { $0.field("expired") }, [.int(0)], "no lease expired in an undisturbed run\n\(p.summary)")
        XCTAssertEqual(p.events(.shardAbandoned), [], "no shard abandoned\n\(p.summary)")
        XCTAssertEqual(p.events(.leaseExpired).count, 0, p.summary)
        XCTAssertEqual(p.events(.serverClosed).map { $0.field("version") }, [.int(160)],
                       "4 shards × 40 steps = 160 updates, each applied once\n\(p.summary)")
    }
}
