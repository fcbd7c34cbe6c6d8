// StatusTests: `recur status` against a live three-worker run lists every worker, and shows one
// killed with SIGKILL as gone within one lease timeout; after the run, it reads the run folder.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class StatusTests: ClusterTestCase {
    private let runID: UInt64 = 23
    private let leaseTimeout = 1.0

    /// `recur status DIR --json`, parsed.
    func status(_ dir: String) throws -> [String: Any] {
        let p = try runToEnd(["status", dir, "--json", "--timeout", "2"], name: "status")
        XCTAssertEqual(p.status, 0, p.summary)
        let line = p.out.lines.last ?? ""
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "status printed \(p.out.text)")
    }

    func rows(_ s: [String: Any]) -> [String: [String: Any]] {
        let list = s["workers"] as? [[String: Any]] ?? []
        return Dictionary(list.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    func testStatusListsEveryWorkerAndAKilledOneAsGoneWithinALeaseTimeout() throws {
        let dir = path("run")
        let (ps, psEndpoint) = try startPS(runID: runID)
        // Three shards a step, so every worker computes; enough steps to outlast the test.
        let flags = ["--hidden", "16", "--layers", "1", "--batch", "6", "--lanes-per-shard", "2", "--bptt", "16",
                     "--steps", "100000", "--log-every", "10"]
        let coordinator = try startCoordinator(flags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: leaseTimeout)
        let endpoint = try coordinator.endpoint()
        let names = ["worker-a", "worker-b", "worker-c"]
        let workers = try names.map { try startWorker($0, coordinator: endpoint, runID: runID) }
        var live: [String: Any] = [:]
        try waitUntil("status listing three working workers", showing: [coordinator, ps] + workers) {
            live = try status(dir)
            let byName = rows(live)
            return Set(byName.keys) == Set(names) && byName.values.allSatisfy { ($0["shards_done"] as? Int ?? 0) > 0 }
        }
        XCTAssertEqual(live["live"] as? Bool, true)
        XCTAssertEqual(live["state"] as? String, "running")
        XCTAssertEqual((live["servers"] as? [[String: Any]])?.count, 1, "one parameter server")
        XCTAssertGreaterThan(live["step"] as? Int ?? 0, 0)
        for (name, row) in rows(live) {
            XCTAssertFalse((row["host"] as? String ?? "").isEmpty, "\(name) names its host")
            XCTAssertGreaterThan(row["tokens_per_second"] as? Double ?? 0, 0, "\(name) has a compute rate")
        }

        workers[1].send(SIGKILL)
        let killed = Date()
        XCTAssertTrue(workers[1].waitForExit(seconds: 10))
        var gone: [String: Any] = [:]
        try waitUntil("status showing the killed worker as gone", seconds: 10, showing: [coordinator]) {
            gone = try status(dir)
            return (rows(gone)["worker-b"]?["state"] as? String ?? "").hasPrefix("gone")
        }
        let after = Date().timeIntervalSince(killed)
        // Its lease expires at most one lease timeout after it was dealt; one status round trip on top.
        XCTAssertLessThan(after, leaseTimeout + 1.0, "gone \(after) s after the kill")
        XCTAssertEqual(rows(gone)["worker-b"]?["state"] as? String, "gone: lease expired")
        XCTAssertGreaterThanOrEqual(gone["shards_redealt"] as? Int ?? 0, 1, "its shard was dealt again")
        for name in ["worker-a", "worker-c"] {
            XCTAssertFalse((rows(gone)[name]?["state"] as? String ?? "gone").hasPrefix("gone"), "\(name) is still working")
        }
        coordinator.send(SIGTERM)
        XCTAssertTrue(coordinator.waitForExit(seconds: 15), coordinator.summary)
        let ended = try status(dir)
        XCTAssertEqual(ended["live"] as? Bool, false, "after the coordinator stops, the folder is read")
    }
}
