// SharedMemoryPathTests: local workers and the server move tensors through shared memory by
// default and over TCP with --no-shared-memory, and both give the single process's weights.
import Foundation
import XCTest

final class SharedMemoryPathTests: ClusterTestCase {
    func testSharedMemoryAndTCPGiveTheSingleProcessWeights() throws {
        let flags = Self.tinyFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        for shared in [true, false] {
            let dir = path(shared ? "shared" : "tcp")
            let p = try runToEnd(["train", "--workers", "2", "--threads", "1", "--run-dir", dir] + (shared ? [] : ["--no-shared-memory"])
                                 + flags, name: shared ? "train (shared memory)" : "train --no-shared-memory")
            XCTAssertEqual(p.status, 0, p.summary)
            guard p.status == 0 else { continue }
            assertSameRun(try RunRecord.read(dir), reference, shared ? "shared memory" : "TCP")
            // Each direction's switch is logged by the side that makes it (a worker still starting
            // when a short run ends on a loaded machine may never join, so any worker will do).
            let log = p.stderrText
            for line in ["'s gradients come through shared memory", "] gradients to ps 0 go through shared memory",
                         "] weights from ps 0 come through shared memory"] {
                XCTAssertEqual(log.contains(line), shared, "\(shared ? "missing" : "unexpected"): \(line)\n\(p.summary)")
            }
            XCTAssertEqual(log.contains("through shared memory"), shared, p.summary)
            XCTAssertFalse(log.contains("dropped a message"), p.summary)
        }
    }
}
