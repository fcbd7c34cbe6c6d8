// ClusterDivergenceTests: workers whose gradients turn NaN at one step (a hidden fault flag) make the
// coordinator stop after three refusals; the launcher rolls the cluster back to its newest
// checkpoint with the learning rate halved, and the run finishes.
import Foundation
import RecurIO
import XCTest

final class ClusterDivergenceTests: ClusterTestCase {
    func testLauncherRollsBackADivergedClusterWithHalfTheLearningRate() throws {
        let dir = path("diverged")
        let flags = ["train", "--workers", "2", "--hidden", "16", "--layers", "1", "--batch", "8", "--bptt", "8",
                     "--lanes-per-shard", "4", "--synthetic-sentences", "300", "--steps", "20", "--checkpoint-every", "5",
                     "--log-every", "1", "--lr", "0.004", "--threads", "1", "--lease-timeout", "5", "--quiet", "--log-format", "json", "--run-dir", dir,
                     "--fault-nan-at-step", "12"]  // a hidden flag; the launcher passes it to the first attempt only
        let p = try runToEnd(flags, name: "diverging cluster")
        XCTAssertEqual(p.status ?? -1, 0, p.summary)
        let rollbacks = p.events(.rolledBack)
        XCTAssertEqual(rollbacks.map { $0.field("step") }, [.int(10)], "one rollback, to checkpoint 10\n\(p.summary)")
        XCTAssertEqual(rollbacks.first?.field("lr")?.number, 0.002, p.summary)
        let lines = try RunRecord.metricsObjects(dir)
        XCTAssertEqual(lines.compactMap { $0["step"] as? Int }, Array(1...20), "every step logged once")
        XCTAssertTrue(lines.allSatisfy { ($0["loss"] as? Double)?.isFinite ?? false })
        XCTAssertEqual(lines.last?["lr"] as? Double, 0.002, "the learning rate after the rollback")
    }
}
