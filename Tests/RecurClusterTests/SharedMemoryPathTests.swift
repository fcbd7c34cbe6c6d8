// SharedMemoryPathTests: local workers and the server move tensors through shared memory by
// default and over TCP with --no-shared-memory, and both give the single process's weights.
import Foundation
import RecurIO
import XCTest

final class SharedMemoryPathTests: ClusterTestCase {
    func testSharedMemoryAndTCPGiveTheSingleProcessWeights() throws {
        let flags = Self.tinyFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        for shared in [true, false] {
            let dir = path(shared ? "shared" : "tcp")
            let p = try runToEnd(["train", "--workers", "2", "--threads", "1", "--log-format", "json", "--run-dir", dir]
                                 + (shared ? [] : ["--no-shared-memory"])
                                 + flags, name: shared ? "train (shared memory)" : "train --no-shared-memory")
            XCTAssertEqual(p.status, 0, p.summary)
            guard p.status == 0 else { continue }
            assertSameRun(try RunRecord.read(dir), reference, shared ? "shared memory" : "TCP")
            // Each direction's switch is logged by the side that makes it (a worker still starting
            // when a short run ends on a loaded machine may never join, so any worker will do).
            let paths = p.events(.dataPath)
            for (direction, peer) in [("gradients_in", nil), ("gradients_out", "ps 0"), ("weights_in", "ps 0")] {
                let switched = paths.contains { $0.field("direction")?.text == direction && $0.field("shared") == .bool(true)
                    && (peer == nil || $0.field("peer")?.text == peer) }
                XCTAssertEqual(switched, shared, "\(shared ? "missing" : "unexpected"): \(direction) through shared memory\n\(p.summary)")
            }
            XCTAssertEqual(paths.contains { $0.field("shared") == .bool(true) }, shared, p.summary)
            XCTAssertEqual(p.events(.messageDropped).count, 0, p.summary)
        }
    }
}
