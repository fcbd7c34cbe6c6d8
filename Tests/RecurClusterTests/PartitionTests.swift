// PartitionTests: network partitions across the namespaces of a NetLab, healed while the run goes
// on — a worker cut off from everyone while it works, and the head's packets to a worker dropped
// in one direction only. Either way the worker's leases expire, it comes back when the network
// does, and the run ends with the single process's bits. Skipped where namespaces cannot be made.
import Foundation
import RecurIO
import XCTest

final class PartitionTests: ClusterTestCase {
    /// The longest a partitioned run's coordinator may take to end after the heal, and its peers after it.
    static let runDeadline: Double = 45, exitGrace: Double = 15
    /// A run of several seconds (with a clip every step's norm exceeds, so the two shards must agree).
    static let slowClipped = slowFlags + ["--clip", "0.05"]

    /// Waits until the coordinator has noticed w2's worker is unreachable (a lease expired or it
    /// was forgotten), then heals with `heal` and checks the worker comes back and the run is exact.
    private func checkHealed(_ what: String, cut: (NetLab) throws -> Void, heal: (NetLab) throws -> Void) throws {
        let lab = try NetLab.make(hosts: MultiHostRun.hosts)
        defer { lab.tearDown() }
        let reference = try ReferenceRuns.singleProcess(Self.slowClipped, in: self)
        let run = try MultiHostRun(lab: lab, runDir: path("run"), flags: Self.slowClipped)
        try run.startAll(keys: try makeKeys("keys"))
        try waitUntil("3 logged steps", seconds: 20, showing: run.all) { RunRecord.loggedSteps(run.runDir) >= 3 }
        try cut(lab)
        let stepsAtCut = RunRecord.loggedSteps(run.runDir)
        try waitUntil("the coordinator to notice w2's worker is cut off", seconds: 20, showing: run.all) {
            !(run.coordinator.events(.leaseExpired, where: ["worker": "worker-r4"])
              + run.coordinator.events(.workerForgotten, where: ["worker": "worker-r4"])).isEmpty
                || !run.coordinator.isRunning
        }
        XCTAssertLessThan(RunRecord.loggedSteps(run.runDir), Self.slowSteps, "the run ended before the partition was noticed")
        try heal(lab)
        let coordinatorDone = run.coordinator.waitForExit(seconds: Self.runDeadline)
        XCTAssertTrue(coordinatorDone, "the run did not end after the heal\n\(run.summary)")
        for p in run.servers + [run.worker(on: "w1"), run.worker(on: "w2")] { _ = p.waitForExit(seconds: Self.exitGrace) }
        XCTAssertEqual(run.coordinator.status, 0, run.summary)
        let record = try RunRecord.read(run.runDir)
        XCTAssertEqual(record.losses.map(\.step), Array(1...Self.slowSteps), "each step must be logged exactly once")
        assertSameRun(record, reference, "\(what) after step \(stepsAtCut), then healed")
        print("PartitionTests: \(what) at step \(stepsAtCut); worker-r4 joined \(run.coordinator.events(.workerJoined, where: ["worker": "worker-r4"]).count) time(s)")
    }

    func testAWorkerCutOffWhileItWorksAndHealedLeavesTheRunExact() throws {
        try checkHealed("w2 cut off from every host", cut: { try $0.cutLink(of: "w2") }, heal: { try $0.restoreLink(of: "w2") })
    }

    /// An nftables rule in the head's namespace: `nft` with `arguments`, or a skip where nftables is missing.
    private func nft(_ lab: NetLab, _ arguments: [String]) throws {
        guard NetLab.tool("nft") != nil else { throw XCTSkip("nftables is not installed (Debian package nftables)") }
        try NetLab.command(["ip", "netns", "exec", lab.namespace(of: "head"), "nft"] + arguments)
    }

    /// The coordinator's packets to shard server 1 dropped by nftables (on the head, where both run),
    /// while the workers still reach it; healed after the coordinator notices nothing moves.
    func testTheCoordinatorCutFromAServerAndHealedLeavesTheRunExact() throws {
        let lab = try NetLab.make(hosts: MultiHostRun.hosts)
        defer { lab.tearDown() }
        let reference = try ReferenceRuns.singleProcess(Self.slowClipped, in: self)
        let run = try MultiHostRun(lab: lab, runDir: path("run"), flags: Self.slowClipped)
        try run.startAll(keys: try makeKeys("keys"))
        try waitUntil("3 logged steps", seconds: 20, showing: run.all) { RunRecord.loggedSteps(run.runDir) >= 3 }
        let serverOnePort = String(MultiHostRun.masterPort + 2)
        try nft(lab, ["add", "table", "inet", "recur_cut"])
        try nft(lab, ["add", "chain", "inet", "recur_cut", "out", "{ type filter hook output priority 0 ; }"])
        try nft(lab, ["add", "rule", "inet", "recur_cut", "out", "oifname", "lo", "tcp", "dport", serverOnePort, "drop"])
        let stepsAtCut = RunRecord.loggedSteps(run.runDir)
        // Nothing can finish while the coordinator cannot reach a server: wait until that shows.
        var stalled = -1, since = Date()
        try waitUntil("the run to stall (no new step for two lease timeouts)", seconds: 30, showing: run.all) {
            let now = RunRecord.loggedSteps(run.runDir)
            if now != stalled { (stalled, since) = (now, Date()) }
            return Date().timeIntervalSince(since) > 2 * Double(MultiHostRun.leaseTimeout)
        }
        XCTAssertLessThan(stalled, Self.slowSteps, "the run ended before the cut took hold")
        try nft(lab, ["delete", "table", "inet", "recur_cut"])
        XCTAssertTrue(run.coordinator.waitForExit(seconds: Self.runDeadline), "the run did not end after the heal\n\(run.summary)")
        for p in run.servers + [run.worker(on: "w1"), run.worker(on: "w2")] { _ = p.waitForExit(seconds: Self.exitGrace) }
        XCTAssertEqual(run.coordinator.status, 0, run.summary)
        let record = try RunRecord.read(run.runDir)
        XCTAssertEqual(record.losses.map(\.step), Array(1...Self.slowSteps), "each step must be logged exactly once")
        assertSameRun(record, reference, "the coordinator cut from server 1 after step \(stepsAtCut) until step \(stalled), then healed")
        print("PartitionTests: the coordinator cut from server 1 at step \(stepsAtCut); the run stalled at \(stalled) and went on after the heal")
    }

    /// The coordinator and shard server 1 cut from each other for longer than the coordinator
    /// waits: it stops with a message naming the server, the network heals, and the coordinator
    /// started again with --resume finishes the run with the single process's bits.
    func testACoordinatorThatLosesAServerStopsNamingItAndResumesExactly() throws {
        let lab = try NetLab.make(hosts: MultiHostRun.hosts)
        defer { lab.tearDown() }
        let reference = try ReferenceRuns.singleProcess(Self.slowClipped, in: self)
        let keys = try makeKeys("keys")
        let run = try MultiHostRun(lab: lab, runDir: path("run"), flags: Self.slowClipped + ["--checkpoint-every", "5"])
        try run.startAll(keys: keys)
        try waitUntil("a checkpoint and a step more", seconds: 30, showing: run.all) { RunRecord.loggedSteps(run.runDir) >= 6 }
        let port = String(MultiHostRun.masterPort + 2)
        try nft(lab, ["add", "table", "inet", "recur_cut"])
        try nft(lab, ["add", "chain", "inet", "recur_cut", "out", "{ type filter hook output priority 0 ; }"])
        try nft(lab, ["add", "rule", "inet", "recur_cut", "out", "oifname", "lo", "tcp", "dport", port, "drop"])
        try nft(lab, ["add", "rule", "inet", "recur_cut", "out", "oifname", "lo", "tcp", "sport", port, "drop"])
        XCTAssertTrue(run.coordinator.waitForExit(seconds: 60), "the coordinator must give up on the server\n\(run.summary)")
        XCTAssertNotEqual(run.coordinator.status, 0)
        XCTAssertFalse(run.coordinator.stderrLines(containing: "parameter server 1").isEmpty,
                       "the message names the unreachable server\n\(run.coordinator.summary)")
        let stoppedAt = RunRecord.loggedSteps(run.runDir)
        XCTAssertLessThan(stoppedAt, Self.slowSteps)
        try nft(lab, ["delete", "table", "inet", "recur_cut"])
        let again = try MultiHostRun(lab: lab, runDir: run.runDir, flags: Self.slowClipped + ["--checkpoint-every", "5", "--resume", run.runDir])
        let second = try again.launch("rank 0 again on head", in: "head", rank: 0, keys: keys)
        XCTAssertTrue(second.waitForExit(seconds: Self.runDeadline), "the resumed coordinator did not finish\n\(second.summary)")
        XCTAssertEqual(second.status, 0, second.summary)
        for p in run.servers + [run.worker(on: "w1"), run.worker(on: "w2")] { _ = p.waitForExit(seconds: Self.exitGrace) }
        let record = try RunRecord.read(run.runDir)
        XCTAssertEqual(record.losses.map(\.step), Array(1...Self.slowSteps), "each step must be logged exactly once")
        assertSameRun(record, reference, "a coordinator that lost server 1 after step \(stoppedAt), resumed")
        print("PartitionTests: the coordinator gave up on server 1 after step \(stoppedAt); resumed, the run ended exact")
    }

    func testPacketsDroppedOneWayToAWorkerAndHealedLeavesTheRunExact() throws {
        var rule: [String] = []
        try checkHealed("the head's packets to w2 dropped (w2's still reach the head)", cut: { lab in
            rule = ["rule", "add", "to", lab.address(of: "w2"), "blackhole"]
            do { try NetLab.command(["ip", "-n", lab.namespace(of: "head")] + rule) } catch let error as NetLabError {
                throw XCTSkip("policy routing unavailable here: \(error)")
            }
        }, heal: { lab in
            try NetLab.command(["ip", "-n", lab.namespace(of: "head"), "rule", "del", "to", lab.address(of: "w2"), "blackhole"])
        })
    }
}
