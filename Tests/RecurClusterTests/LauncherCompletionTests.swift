// LauncherCompletionTests: `recur train --workers N` exits 0 even when the PS exits before the coordinator,
// and ends with the run even when a worker never joined it.
import Foundation
import RecurIO
import XCTest

final class LauncherCompletionTests: ClusterTestCase {
    /// A big validation split keeps the coordinator evaluating for a while after it dismisses the PS.
    static let longFinishFlags = ["--hidden", "256", "--layers", "1", "--batch", "8", "--bptt", "32", "--lanes-per-shard", "2",
                                  "--synthetic-sentences", "300", "--steps", "4", "--val-fraction", "0.5",
                                  "--log-every", "1", "--seed", "9"]

    func testLauncherSucceedsWhenTheServerExitsBeforeTheCoordinator() throws {
        let reference = try ReferenceRuns.singleProcess(Self.longFinishFlags, in: self)
        let dir = path("run")
        let p = try runToEnd(["train", "--workers", "1", "--threads", "1", "--quiet", "--log-format", "json", "--run-dir", dir]
                             + Self.longFinishFlags,
                             name: "train --workers 1")
        XCTAssertEqual(p.events(.processExited).count, 0,
                       "the launcher treated the PS's normal exit at the end of the run as a failure\n\(p.summary)")
        XCTAssertEqual(p.status, 0, "a finished run must exit 0\n\(p.summary)")
        XCTAssertEqual(p.events(.coordinatorClosed).map { $0.field("step") }, [.int(4)], "the coordinator finished the run\n\(p.summary)")
        assertSameRun(try RunRecord.read(dir), reference, "--workers 1 with a long final evaluation")
    }

    func testAWorkerThatNeverJoinedDoesNotHoldTheRunOpen() throws {
        // worker-1 dials a port where nothing listens (--fault-silent-worker 1): its Hello stays
        // queued and nobody dismisses it. The launcher used to wait 10 s for it after the run had
        // ended, and the worker, stopped, used to wait for its queued Hello until it was killed.
        let dir = path("run")
        let started = Date()
        let p = try runToEnd(["train", "--workers", "2", "--threads", "1", "--quiet", "--log-format", "json", "--run-dir", dir,
                              "--fault-silent-worker", "1"] + Self.tinyFlags, name: "train --workers 2")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(p.status, 0, p.summary)
        let stopped = p.events(.processStopped)
        XCTAssertEqual(stopped.map { $0.field("process") }, [.string("worker-1")],
                       "the launcher stops the worker that never joined, and only it (worker-0 was dismissed)\n\(p.summary)")
        XCTAssertEqual(stopped.filter { $0.field("killed") == .bool(true) }.count, 0, "every role stops on SIGTERM\n\(p.summary)")
        // A liveness bound, not a speed figure: the tiny run takes about a second, the old wait 10 s.
        XCTAssertLessThan(seconds, 8, "the launcher waited for a worker that was never told the run had ended")
        XCTAssertEqual(try RunRecord.metricsObjects(dir).count, 12, "the run itself completed")
    }
}
