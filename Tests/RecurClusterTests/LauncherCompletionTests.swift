// LauncherCompletionTests: `recur train --workers N` exits 0 even when the PS exits before the coordinator.
import Foundation
import XCTest

final class LauncherCompletionTests: ClusterTestCase {
    /// A big validation split keeps the coordinator evaluating for a while after it dismisses the PS.
    static let longFinishFlags = ["--hidden", "256", "--layers", "1", "--batch", "8", "--bptt", "32", "--lanes-per-shard", "2",
                                  "--synthetic-sentences", "300", "--steps", "4", "--val-fraction", "0.5",
                                  "--log-every", "1", "--seed", "9"]

    func testLauncherSucceedsWhenTheServerExitsBeforeTheCoordinator() throws {
        let reference = try ReferenceRuns.singleProcess(Self.longFinishFlags, in: self)
        let dir = path("run")
        let p = try runToEnd(["train", "--workers", "1", "--threads", "1", "--quiet", "--run-dir", dir] + Self.longFinishFlags,
                             name: "train --workers 1")
        XCTAssertFalse(p.stderrLines.contains { $0.contains("parameter server exited (status 0)") },
                       "the launcher treated the PS's normal exit at the end of the run as a failure\n\(p.summary)")
        XCTAssertEqual(p.status, 0, "a finished run must exit 0\n\(p.summary)")
        XCTAssertFalse(p.stderrLines(containing: "coordinator: checkpoint").isEmpty, "the coordinator finished the run\n\(p.summary)")
        assertSameRun(try RunRecord.read(dir), reference, "--workers 1 with a long final evaluation")
    }
}
