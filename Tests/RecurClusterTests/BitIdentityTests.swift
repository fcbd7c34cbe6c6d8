// BitIdentityTests: one process, one worker and three workers give the same weights bytes and losses.
import Foundation
import XCTest

final class BitIdentityTests: ClusterTestCase {
    func testSingleProcessOneWorkerAndThreeWorkersAgreeBitForBit() throws {
        let flags = Self.tinyFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        XCTAssertEqual(reference.losses.map(\.step), Array(1...12), "the single-process run must log every step")
        for workers in [1, 3] {
            let dir = path("workers-\(workers)")
            let p = try runToEnd(["train", "--workers", String(workers), "--threads", "1", "--quiet", "--run-dir", dir] + flags,
                                 name: "train --workers \(workers)")
            XCTAssertEqual(p.status, 0, p.summary)
            guard p.status == 0 else { continue }
            assertSameRun(try RunRecord.read(dir), reference, "--workers \(workers)")
        }
    }
}
