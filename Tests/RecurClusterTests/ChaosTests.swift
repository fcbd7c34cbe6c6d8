// ChaosTests: inside one `recur train --workers 3` run, SIGKILL a role chosen by a seeded
// generator — the coordinator, the server or a worker — at seeded moments, several times; the
// launcher's restarts finish the run with the single process's bits. And a worker stopped with
// SIGSTOP past its lease, then continued: its late gradient is dropped and the bits are unchanged.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ChaosTests: ClusterTestCase {
    /// A small seeded generator, so a failing schedule can be replayed from its seed.
    struct Dice {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    /// The role processes of the local cluster started by `launcher`, by role name.
    func roles(of launcher: ClusterProcess) -> [(role: String, entry: ProcessEntry)] {
        ProcessTable.children(of: launcher.pid).compactMap { e in
            guard e.commandLine.count > 1, ["coordinator", "ps", "worker"].contains(e.commandLine[1]) else { return nil }
            return (e.commandLine[1], e)
        }
    }

    func testRandomKillsOfEveryRoleStillEndWithTheSingleProcessBits() throws {
        let seed: UInt64 = 2026
        var dice = Dice(state: seed)
        let reference = try ReferenceRuns.singleProcess(Self.slowFlags, in: self)
        let dir = path("run")
        let launcher = try start(["train", "--workers", "3", "--threads", "1", "--restarts", "8", "--checkpoint-every", "5",
                                  "--lease-timeout", "2", "--quiet", "--log-format", "json", "--run-dir", dir] + Self.slowFlags,
                                 name: "train --workers 3")
        var killed: [String] = []
        var after = 3
        for _ in 0..<3 {
            after += 4 + dice.next(8)
            guard after < Self.slowSteps - 10 else { break }
            // A killed worker is not replaced until the cluster restarts (after a coordinator or server
            // death): the last worker is never chosen, so the run can always go on.
            try waitUntil("step \(after) with the coordinator, the server and a worker", seconds: 120, showing: [launcher]) {
                let r = roles(of: launcher).map(\.role)
                return RunRecord.loggedSteps(dir) >= after && r.contains("coordinator") && r.contains("ps") && r.contains("worker")
            }
            let all = roles(of: launcher)
            let live = all.filter { $0.role != "worker" } + (all.filter { $0.role == "worker" }.count > 1 ? all.filter { $0.role == "worker" } : [])
            let victim = live[dice.next(live.count)]
            kill(victim.entry.pid, SIGKILL)
            killed.append("\(victim.role) at step \(RunRecord.loggedSteps(dir))")
            // The next kill waits for the cluster to be whole again (a restart, or a new step).
            try waitUntil("the \(victim.role) to be gone", seconds: 30, showing: [launcher]) { !ProcessTable.isLive(victim.entry) }
        }
        print("ChaosTests seed \(seed): killed \(killed.joined(separator: ", "))")
        XCTAssertEqual(killed.count, 3, "the schedule must fit in the run")
        assertFinishes(launcher, seconds: 180)
        assertSameRun(try RunRecord.read(dir), reference, "a run whose roles were killed: \(killed)")
    }

    func testAWorkerStoppedPastItsLeaseIsDroppedAndTheBitsAreUnchanged() throws {
        let reference = try ReferenceRuns.singleProcess(Self.slowFlags, in: self)
        let dir = path("run")
        let launcher = try start(["train", "--workers", "3", "--threads", "1", "--lease-timeout", "1", "--quiet",
                                  "--log-format", "json", "--run-dir", dir] + Self.slowFlags, name: "train --workers 3")
        try waitUntil("step 10 and three workers", seconds: 120, showing: [launcher]) {
            RunRecord.loggedSteps(dir) >= 10 && roles(of: launcher).filter { $0.role == "worker" }.count == 3
        }
        // Stop a worker while it holds a lease (as `recur status` shows it), so its result comes late.
        var stopped: (name: String, entry: ProcessEntry)?
        for _ in 0..<20 where stopped == nil {
            let status = try runToEnd(["status", dir, "--json"], name: "status")
            let rows = ((try? JSONSerialization.jsonObject(with: Data((status.out.lines.last ?? "").utf8))) as? [String: Any])?["workers"]
                as? [[String: Any]] ?? []
            guard let busy = rows.first(where: { $0["state"] as? String == "computing" })?["name"] as? String,
                  let entry = roles(of: launcher).first(where: { $0.entry.commandLine.contains(busy) })?.entry else { continue }
            kill(entry.pid, SIGSTOP)
            let again = try runToEnd(["status", dir, "--json"], name: "status")
            let row = ((try? JSONSerialization.jsonObject(with: Data((again.out.lines.last ?? "").utf8))) as? [String: Any])?["workers"]
                as? [[String: Any]] ?? []
            if row.first(where: { $0["name"] as? String == busy })?["state"] as? String == "computing" {
                stopped = (busy, entry)
            } else {
                kill(entry.pid, SIGCONT)  // it had finished its shard: try another moment
            }
        }
        let worker = try XCTUnwrap(stopped, "no worker was stopped holding a lease")
        let stoppedAt = RunRecord.loggedSteps(dir)
        // Past its lease: the others go on without it.
        try waitUntil("the run to go on without the stopped worker", seconds: 60, showing: [launcher]) {
            RunRecord.loggedSteps(dir) >= stoppedAt + 5
        }
        kill(worker.entry.pid, SIGCONT)
        assertFinishes(launcher, seconds: 120)
        let expired = launcher.events(.leaseExpired).filter { $0.field("worker") == .string(worker.name) }.count
        print("ChaosTests: \(worker.name) stopped at step \(stoppedAt) holding a lease; its leases that expired: \(expired)")
        XCTAssertGreaterThanOrEqual(expired, 1, "the stopped worker's lease expired and its shard was dealt again")
        assertSameRun(try RunRecord.read(dir), reference, "a worker stopped at step \(stoppedAt) and continued")
    }
}
