// NetLabTests: the namespace lab itself — reachability, cut links, process capture, teardown, sweeping, shaping.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class NetLabTests: XCTestCase {
    /// The prefix of every namespace a lab of this process makes.
    private var ours: String { "recur-\(getpid())-" }

    /// The names in `ip netns list` starting with `prefix`.
    private func namespaces(startingWith prefix: String) throws -> [String] {
        try NetLab.command(["ip", "netns", "list"]).split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix(prefix) }
    }

    /// True when `from` reaches `to`: one ping (`ping -c 1 -W 2`) when ping is installed, else a TCP connect
    /// through bash's /dev/tcp to the listener of `to`, given 2 s.
    private func reaches(_ lab: NetLab, from: String, to: String, listeners: [String: NamespaceListener]) throws -> Bool {
        if let ping = NetLab.tool("ping") {
            return try lab.runAndWait(in: from, [ping.path, "-c", "1", "-W", "2", lab.address(of: to)]).status == 0
        }
        let target = "/dev/tcp/\(lab.address(of: to))/\(listeners[to]!.port)"
        return try lab.runAndWait(in: from, ["timeout", "2", "bash", "-c", "exec 3<>\(target)"]).status == 0
    }

    /// Polls `reaches` for up to `seconds` until it holds.
    private func eventuallyReaches(_ lab: NetLab, from: String, to: String, listeners: [String: NamespaceListener],
                                   seconds: Double = 6) throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        repeat {
            if try reaches(lab, from: from, to: to, listeners: listeners) { return true }
            usleep(100_000)
        } while Date() < end
        return false
    }

    /// The round-trip times (ms) of `count` pings from `from` to `to`.
    private func pingTimes(_ lab: NetLab, ping: URL, from: String, to: String, count: Int = 5) throws -> [Double] {
        let r = try lab.runAndWait(in: from, [ping.path, "-c", String(count), "-i", "0.05", "-W", "2", lab.address(of: to)])
        XCTAssertEqual(r.status, 0, r.output)
        // "64 bytes from 10.77.3.2: icmp_seq=1 ttl=64 time=0.412 ms"
        return r.output.split(separator: "\n").compactMap { line in
            guard let at = line.range(of: "time=") else { return nil }
            return Double(line[at.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
    }

    func testEveryHostReachesEveryOtherUntilItsLinkIsCut() throws {
        let lab = try NetLab.make(hosts: ["a", "b", "c"])
        defer { lab.tearDown() }
        let listeners = try Dictionary(uniqueKeysWithValues: lab.hosts.map { ($0, try lab.listen(in: $0)) })
        XCTAssertEqual(Set(lab.hosts.map(lab.address(of:))).count, 3)
        for from in lab.hosts {
            for to in lab.hosts where to != from {
                XCTAssertTrue(try eventuallyReaches(lab, from: from, to: to, listeners: listeners), "\(from) -> \(to)")
            }
        }
        try lab.cutLink(of: "c")
        XCTAssertFalse(try reaches(lab, from: "a", to: "c", listeners: listeners), "a reached c through a cut link")
        XCTAssertFalse(try reaches(lab, from: "c", to: "b", listeners: listeners), "c reached b through a cut link")
        XCTAssertTrue(try reaches(lab, from: "a", to: "b", listeners: listeners), "cutting c also cut a -> b")
        try lab.restoreLink(of: "c")
        XCTAssertTrue(try eventuallyReaches(lab, from: "a", to: "c", listeners: listeners), "a -> c after restore")
        XCTAssertTrue(try eventuallyReaches(lab, from: "c", to: "b", listeners: listeners), "c -> b after restore")
    }

    func testRunCapturesOutputInsideTheHostAndRunAndWaitKillsAtItsTimeout() throws {
        let lab = try NetLab.make(hosts: ["a", "b"])
        defer { lab.tearDown() }
        let p = try lab.run(in: "b", ["bash", "-c", "echo out-$NETLAB_X; echo err-$NETLAB_X >&2; ip -4 -o addr show dev eth0"],
                            environment: ["NETLAB_X": "42"])
        XCTAssertTrue(p.waitForExit(seconds: 10))
        XCTAssertEqual(p.status, 0, p.summary)
        let end = Date().addingTimeInterval(2)
        while !p.out.isFinished && Date() < end { usleep(10_000) }
        XCTAssertTrue(p.out.text.contains("out-42"), p.out.text)
        XCTAssertTrue(p.out.text.contains("inet \(lab.address(of: "b"))/24"), "not inside b: \(p.out.text)")
        XCTAssertTrue(p.err.text.contains("err-42"), p.err.text)

        let r = try lab.runAndWait(in: "a", ["bash", "-c", "echo hi; exit 3"])
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.output, "hi\n")
        let start = Date()
        XCTAssertThrowsError(try lab.runAndWait(in: "a", ["sleep", "30"], timeout: 1)) { error in
            XCTAssertTrue("\(error)".contains("sleep 30"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testCountersGrowWithTraffic() throws {
        let lab = try NetLab.make(hosts: ["a", "b"])
        defer { lab.tearDown() }
        let listeners = ["b": try lab.listen(in: "b")]
        let before = try lab.counters(of: "a")
        XCTAssertTrue(try eventuallyReaches(lab, from: "a", to: "b", listeners: listeners))
        let after = try lab.counters(of: "a")
        XCTAssertGreaterThan(after.txBytes, before.txBytes)
        XCTAssertGreaterThan(after.rxBytes, before.rxBytes)
    }

    func testTearDownLeavesNoNamespaceOrProcessAndIsIdempotent() throws {
        let lab = try NetLab.make(hosts: ["a", "b"])
        XCTAssertEqual(Set(try namespaces(startingWith: ours)), Set(["sw", "a", "b"].map { ours + $0 }))
        let direct = try lab.run(in: "a", ["sleep", "30"])
        // A grandchild that escapes its parent: only the sweep of the namespace's processes finds it.
        let parent = try lab.run(in: "b", ["bash", "-c", "sleep 30 & echo $!; wait"])
        var grandchild: Int32?
        let end = Date().addingTimeInterval(5)
        while grandchild == nil && Date() < end { grandchild = parent.out.lines.first.flatMap { Int32($0) }; usleep(10_000) }
        let orphan = try XCTUnwrap(grandchild, "no pid printed: \(parent.summary)")
        lab.tearDown()
        lab.tearDown()
        XCTAssertEqual(try namespaces(startingWith: ours), [])
        XCTAssertFalse(direct.isRunning)
        XCTAssertFalse(parent.isRunning)
        let reaped = Date().addingTimeInterval(5)  // the sweep's SIGKILL lands within moments
        while ProcessTable.entry(orphan)?.isLive ?? false, Date() < reaped { usleep(10_000) }
        XCTAssertFalse(ProcessTable.entry(orphan)?.isLive ?? false, "sleep \(orphan) outlived the lab")
    }

    func testALabDroppedByAThrowingBodyIsTornDown() throws {
        struct BodyFailed: Error {}
        var sleeper: ClusterProcess?
        func body() throws {
            let lab = try NetLab.make(hosts: ["a", "b"])
            sleeper = try lab.run(in: "a", ["sleep", "30"])
            throw BodyFailed()
        }
        XCTAssertThrowsError(try body()) { XCTAssertTrue($0 is BodyFailed, "\($0)") }
        XCTAssertEqual(try namespaces(startingWith: ours), [])
        XCTAssertEqual(sleeper?.isRunning, false)
    }

    func testAFailedMakeRemovesWhatItBuiltAndSparesWhatItDidNot() throws {
        let squatter = ours + "c"
        do { try NetLab.command(["ip", "netns", "add", squatter]) } catch let e as NetLabError {
            throw XCTSkip("network namespaces unavailable here: \(e)")
        }
        defer { _ = try? NetLab.command(["ip", "netns", "delete", squatter]) }
        XCTAssertThrowsError(try NetLab.make(hosts: ["a", "b", "c"])) { error in
            XCTAssertTrue("\(error)".contains("ip netns add \(squatter)"), "\(error)")
        }
        XCTAssertEqual(try namespaces(startingWith: ours), [squatter])
    }

    func testSweepStaleDeletesOnlyNamespacesOfDeadProcesses() throws {
        let lab = try NetLab.make(hosts: ["a"])
        defer { lab.tearDown() }
        // A pid above pid_max never belongs to a live process.
        let pidMax = Int((try String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304
        let stale = "recur-\(pidMax + 1)-x"
        try NetLab.command(["ip", "netns", "add", stale])
        defer { _ = try? NetLab.command(["ip", "netns", "delete", stale]) }
        NetLab.sweepStale()
        XCTAssertEqual(try namespaces(startingWith: "recur-\(pidMax + 1)-"), [])
        XCTAssertEqual(Set(try namespaces(startingWith: ours)), [ours + "sw", ours + "a"])
    }

    func testShapeAddsTwiceTheDelayToTheRoundTrip() throws {
        let lab = try NetLab.make(hosts: ["a", "b"])
        defer { lab.tearDown() }
        guard let ping = NetLab.tool("ping") else { throw XCTSkip("ping missing (install iputils-ping) to time round trips") }
        let plain = try pingTimes(lab, ping: ping, from: "a", to: "b")
        XCTAssertEqual(plain.count, 5)
        do { try lab.shape(host: "b", rate: "1gbit", delay: "0.2ms") } catch let e as NetLabError where e.isUnsupported {
            throw XCTSkip("this kernel has no netem (sch_netem), so links cannot be shaped: \(e)")
        }
        let shaped = try pingTimes(lab, ping: ping, from: "a", to: "b")
        XCTAssertEqual(shaped.count, 5)
        XCTAssertGreaterThanOrEqual(shaped.min() ?? 0, 0.4, "shaped \(shaped) ms vs plain \(plain) ms")
    }
}
