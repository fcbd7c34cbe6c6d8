// CoordinatorRegistrationTests: the coordinator machine, without sockets, as `recur launch` drives
// it — parameter servers registering their endpoints, workers waiting for them, the rendezvous
// wait, a Hello flood, and the global norm assembled from the slices' block sums.
import XCTest
import RecurData
import RecurIO
import RecurModel
@testable import RecurRoles
import RecurTrain
import RecurWire

final class CoordinatorRegistrationTests: XCTestCase {
    func machine(shards: Int = 2, expectedWorkers: Int? = nil) throws -> CoordinatorMachine {
        var o = TrainOptions()
        o.syntheticSentences = 200; o.hidden = 24; o.layers = 1; o.batch = 4; o.bptt = 4; o.lanesPerShard = 2
        o.valFraction = 0; o.verbose = false
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let config = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 3, psShards: shards)
        return CoordinatorMachine(runID: 1, config: config, psEndpoints: Array(repeating: nil, count: shards),
                                  tokens: data.train, layout: layout, expectedWorkers: expectedWorkers)
    }

    func msg(_ body: WireBody, from sender: String = "peer") -> WireMessage {
        WireMessage(runID: 1, sender: sender, sequence: 1, body: body)
    }

    func hello(_ id: String, ps shard: Int? = nil, endpoint: String = "") -> WireMessage {
        msg(.hello(WireHello(workerID: id, pid: 1, hostname: "h", threads: 1, role: shard == nil ? "worker" : "ps",
                             psShard: UInt32(shard ?? 0), endpoint: endpoint)), from: id)
    }

    func ready(_ k: Int) -> WireMessage { msg(.stepApplied(WireStepApplied(version: 0, step: 0, gradNorm: 0, staleness: 0)), from: "ps-\(k)") }

    func welcomes(_ actions: [CoordinatorMachine.Action]) -> [String] {
        actions.compactMap { if case .toWorker(let id, let m) = $0, case .welcome = m.body { return id }; return nil }
    }

    func tasks(_ actions: [CoordinatorMachine.Action]) -> Int {
        actions.filter { if case .toWorker(_, let m) = $0, case .task = m.body { return true }; return false }.count
    }

    func testServersRegisterThenWorkersWaitingForThemAreWelcomed() throws {
        let c = try machine()
        XCTAssertFalse(c.handle(.start(nowMs: 0)).contains { if case .connectPS = $0 { return true }; return false }, "no server known yet")
        XCTAssertEqual(c.psEndpoints.filter { $0 == nil }.count, 2, "both slices wait for their server to register")
        XCTAssertEqual(welcomes(c.handle(.fromWorker(id: "w0", hello("w0"), nowMs: 1))), [], "no welcome before the servers are known")
        let a1 = c.handle(.fromWorker(id: "ps-1", hello("ps-1", ps: 1, endpoint: "tcp://10.0.0.2:29502"), nowMs: 2))
        XCTAssertTrue(a1.contains(.connectPS(1, endpoint: "tcp://10.0.0.2:29502")))
        XCTAssertTrue(a1.contains { if case .toPS(1, let m) = $0, case .welcome(let w) = m.body { return w.psShard == 1 }; return false })
        // A second server claiming slice 1 elsewhere, or a slice that does not exist, changes nothing.
        XCTAssertFalse(c.handle(.fromWorker(id: "ps-x", hello("ps-x", ps: 1, endpoint: "tcp://10.0.0.9:1"), nowMs: 3))
            .contains { if case .connectPS = $0 { return true }; return false })
        XCTAssertFalse(c.handle(.fromWorker(id: "ps-y", hello("ps-y", ps: 5, endpoint: "tcp://10.0.0.9:1"), nowMs: 3))
            .contains { if case .connectPS = $0 { return true }; return false })
        _ = c.handle(.fromWorker(id: "ps-0", hello("ps-0", ps: 0, endpoint: "tcp://10.0.0.2:29501"), nowMs: 4))
        XCTAssertEqual(c.psEndpoints, ["tcp://10.0.0.2:29501", "tcp://10.0.0.2:29502"])
        XCTAssertEqual(welcomes(c.handle(.fromPS(0, ready(0), nowMs: 5))), [])
        let go = c.handle(.fromPS(1, ready(1), nowMs: 6))
        XCTAssertEqual(welcomes(go), ["w0"])
        XCTAssertEqual(tasks(go), 1)
        XCTAssertEqual(c.workerIDs, ["w0"], "parameter servers are never counted as workers")
    }

    func testRepeatedHellosWithinASecondAreNotAnsweredEachTime() throws {
        let c = try machine(shards: 1)
        _ = c.handle(.start(nowMs: 0))
        _ = c.handle(.fromWorker(id: "ps", hello("ps", ps: 0, endpoint: "tcp://127.0.0.1:1"), nowMs: 0))
        _ = c.handle(.fromPS(0, ready(0), nowMs: 0))
        var answered = 0
        for t in 0..<50 { answered += welcomes(c.handle(.fromWorker(id: "flood", hello("flood"), nowMs: 10 + t))).count }
        XCTAssertEqual(answered, 1)
        XCTAssertGreaterThanOrEqual(c.counters.refusedRegistrations, 49)
        XCTAssertEqual(welcomes(c.handle(.fromWorker(id: "flood", hello("flood"), nowMs: 2_000))).count, 1, "a second later it may ask again")
    }

    func testRendezvousWaitsForTheExpectedWorkersOrTheDeadline() throws {
        for late in [false, true] {
            let c = try machine(shards: 1, expectedWorkers: 2)
            _ = c.handle(.start(nowMs: 0))
            _ = c.handle(.fromWorker(id: "ps", hello("ps", ps: 0, endpoint: "tcp://127.0.0.1:1"), nowMs: 0))
            XCTAssertEqual(tasks(c.handle(.fromPS(0, ready(0), nowMs: 0))), 0)
            XCTAssertEqual(tasks(c.handle(.fromWorker(id: "w0", hello("w0"), nowMs: 10))), 0, "one of two workers: wait")
            if late {  // the second never comes: one lease timeout later the run starts anyway
                XCTAssertEqual(tasks(c.handle(.tick(nowMs: 1_000))), 0)
                XCTAssertEqual(tasks(c.handle(.tick(nowMs: 40_000))), 1)
            } else {
                XCTAssertEqual(tasks(c.handle(.fromWorker(id: "w1", hello("w1"), nowMs: 20))), 2)
            }
        }
    }

    func testGlobalNormIsTheBlockSumsInBlockOrder() throws {
        let c = try machine()
        _ = c.handle(.start(nowMs: 0))
        for k in 0..<2 { _ = c.handle(.fromWorker(id: "ps-\(k)", hello("ps-\(k)", ps: k, endpoint: "tcp://h:\(k)"), nowMs: 0)) }
        for k in 0..<2 { _ = c.handle(.fromPS(k, ready(k), nowMs: 0)) }
        let shards = c.parameterShards
        let sums = (0..<2).map { k in (0..<NormBlocks.blockCount(shards.ranges[k].count)).map { Double($0 + 1) / Double(3 + k) } }
        func partial(_ k: Int, firstBlock: Int) -> WireMessage {
            msg(.normPartial(WireNormPartial(step: 0, psShard: UInt32(k), firstBlock: UInt64(firstBlock), blockSums: sums[k])))
        }
        XCTAssertEqual(c.handle(.fromPS(1, partial(1, firstBlock: 0), nowMs: 1)).filter { if case .toPS = $0 { return true }; return false }.count, 0,
                       "a slice at the wrong block is dropped")
        XCTAssertTrue(c.handle(.fromPS(1, partial(1, firstBlock: shards.firstBlock(1)), nowMs: 1)).allSatisfy { if case .toPS = $0 { return false }; return true })
        let out = c.handle(.fromPS(0, partial(0, firstBlock: 0), nowMs: 2))
        let totals = out.compactMap { a -> (Int, Double)? in
            if case .toPS(let k, let m) = a, case .normTotal(let t) = m.body { return (k, t.sumOfSquares) }
            return nil
        }
        XCTAssertEqual(totals.map(\.0), [0, 1])
        let expected = NormBlocks.total(sums[0] + sums[1])
        XCTAssertTrue(totals.allSatisfy { $0.1.bitPattern == expected.bitPattern })
    }
}

/// A restarted coordinator (a new incarnation) finds the servers and workers of the old one and
/// makes them start over; a restarted server stops the coordinator, whose slice it lost.
extension CoordinatorRegistrationTests {
    func welcome(_ c: CoordinatorMachine, shard: Int = 0) -> WireMessage {
        WireMessage(runID: 1, sender: "coordinator", sequence: 1,
                    body: .welcome(WireWelcome(configJSON: try! c.config.json(), psEndpoints: ["tcp://h:1"], heartbeatIntervalMs: 1000,
                                               leaseTimeoutMs: 1000, currentVersion: 0, psShard: UInt32(shard),
                                               incarnation: c.incarnation)))
    }

    func testServerStartsOverForANewCoordinatorAndNotForTheSameOne() throws {
        let first = try machine(shards: 1)
        let ps = ParameterServerMachine(runID: 1)
        _ = ps.handle(.message(from: "coordinator", welcome(first)))
        let initial = ps.params!.array
        ps.params![0] += 1  // as if it had trained
        let again = ps.handle(.message(from: "coordinator", welcome(first)))
        XCTAssertNotEqual(ps.params!.array, initial, "the same coordinator's Welcome again changes nothing")
        XCTAssertFalse(again.contains { if case .event(let r) = $0 { return r.event == .newCoordinator }; return false }, "\(again)")
        let second = try machine(shards: 1)
        XCTAssertNotEqual(first.incarnation, second.incarnation)
        let started = ps.handle(.message(from: "coordinator", welcome(second))).compactMap { a -> LogRecord? in
            if case .event(let r) = a, r.event == .newCoordinator { return r }; return nil
        }
        XCTAssertEqual(started.map { [$0.field("incarnation"), $0.field("step")] }, [[.int(Int(second.incarnation)), 0]])
        XCTAssertEqual(ps.incarnation, second.incarnation, "the server now serves the new coordinator's run")
        XCTAssertEqual(ps.params!.array, initial, "a new coordinator's run starts from its own configuration")
        XCTAssertEqual(ps.version, 0)
    }

    func testWorkerStartsOverForANewCoordinator() throws {
        let first = try machine(shards: 1)
        let w = WorkerMachine(runID: 1, name: "w", pid: 1, hostname: "h", threads: 1)
        XCTAssertTrue(w.handle(.fromCoordinator(welcome(first))).contains(.connectPS(endpoints: ["tcp://h:1"])))
        XCTAssertEqual(w.handle(.fromCoordinator(welcome(first))), [], "the same coordinator again: nothing to do")
        let second = try machine(shards: 1)
        let started = w.handle(.fromCoordinator(welcome(second)))
        XCTAssertTrue(started.contains(.connectPS(endpoints: ["tcp://h:1"])))
        let incarnations = started.compactMap { a -> JSONValue? in
            if case .event(let r) = a, r.event == .newCoordinator { return r.field("incarnation") }; return nil
        }
        XCTAssertEqual(incarnations, [.int(Int(second.incarnation))])
        XCTAssertNil(w.weightsVersion)
    }

    func testARestartedServerStopsTheCoordinatorWithoutDismissingAnyone() throws {
        let c = try machine(shards: 1)
        _ = c.handle(.start(nowMs: 0))
        func hello(pid: UInt32) -> WireMessage {
            msg(.hello(WireHello(workerID: "ps-0", pid: pid, hostname: "h", threads: 0, role: "ps", psShard: 0, endpoint: "tcp://h:1")),
                  from: "ps-0")
        }
        _ = c.handle(.fromWorker(id: "ps-0", hello(pid: 10), nowMs: 0))
        XCTAssertEqual(c.handle(.fromWorker(id: "ps-0", hello(pid: 10), nowMs: 5_000)), [], "the same server announcing itself again")
        _ = c.handle(.fromPS(0, ready(0), nowMs: 1))
        let after = c.handle(.fromWorker(id: "ps-0", hello(pid: 11), nowMs: 10_000))
        XCTAssertTrue(after.contains { if case .fail(let why) = $0 { return why.contains("restarted") && why.contains("--resume") }; return false },
                      "\(after)")
        XCTAssertFalse(after.contains { if case .toWorker(_, let m) = $0, case .leave = m.body { return true }; return false })
    }
}
