// PSRegistrationTests: the parameter server's clock, decided by its machine on tick events — the
// registration Hello it repeats, the coordinator's silence that ends it, the Leave that ends the
// run, and the only slice a registered server accepts.
import XCTest
@testable import RecurRoles
import RecurModel
import RecurTrain
import RecurWire

final class PSRegistrationTests: XCTestCase {
    typealias Action = ParameterServerMachine.Action

    func registering(slice: Int, peerTimeoutMs: Int = 120_000) -> ParameterServerMachine {
        ParameterServerMachine(runID: 1, name: "ps-\(slice)", peerTimeoutMs: peerTimeoutMs, announcing: WireHello(
            workerID: "ps-\(slice)", pid: 7, hostname: "h", threads: 0, role: "ps", psShard: UInt32(slice), endpoint: "tcp://h:29501"))
    }

    func welcome(slice: Int) throws -> WireMessage {
        var c = RunConfig(model: ModelConfig(cell: .lstm, hidden: 48, layers: 2, vocab: 50), batch: 6, bptt: 4, lanesPerShard: 2,
                          totalSteps: 3, seed: 1, optimizer: OptimizerConfig(kind: .momentum, learningRate: 1), clip: 5)
        c.psShards = 2
        return WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .welcome(WireWelcome(
            configJSON: try c.json(), psEndpoints: ["tcp://h:1", "tcp://h:2"], heartbeatIntervalMs: 1_000, leaseTimeoutMs: 30_000,
            currentVersion: 0, psShard: UInt32(slice), incarnation: 5)))
    }

    func heartbeat(from sender: String) -> WireMessage {
        WireMessage(runID: 1, sender: sender, sequence: 2, body: .heartbeat(WireHeartbeat(nowMs: 0, state: "idle")))
    }

    func announced(_ actions: [Action]) -> [WireHello] {
        actions.compactMap { if case .announce(let m) = $0, case .hello(let h) = m.body { return h }; return nil }
    }

    func failed(_ actions: [Action]) -> Bool { actions.contains { if case .fail = $0 { return true }; return false } }

    func testARegisteringServerAnnouncesEverySecondUntilConfiguredThenEveryFive() throws {
        let ps = registering(slice: 1)
        let first = announced(ps.handle(.tick(nowMs: 10_000)))
        XCTAssertEqual(first.map(\.psShard), [1], "at once")
        XCTAssertEqual(first.first?.endpoint, "tcp://h:29501")
        XCTAssertEqual(first.first?.role, "ps")
        XCTAssertEqual(announced(ps.handle(.tick(nowMs: 10_999))).count, 0)
        XCTAssertEqual(announced(ps.handle(.tick(nowMs: 11_000))).count, 1)
        XCTAssertEqual(announced(ps.handle(.tick(nowMs: 11_500))).count, 0)
        let w = ps.handle(.message(from: "coordinator", try welcome(slice: 1)))
        XCTAssertNotNil(ps.config, "\(w)")
        XCTAssertEqual(announced(ps.handle(.tick(nowMs: 12_000))).count, 0, "configured: every five seconds")
        XCTAssertEqual(announced(ps.handle(.tick(nowMs: 15_999))).count, 0)
        XCTAssertEqual(announced(ps.handle(.tick(nowMs: 16_000))).count, 1)
        let found = ParameterServerMachine(runID: 1)
        XCTAssertEqual((0..<20).flatMap { found.handle(.tick(nowMs: $0 * 1_000)) }, [], "a server that waits to be found never announces")
    }

    func testTheCoordinatorsSilenceEndsAConfiguredOrRegisteringServerOnly() throws {
        let idle = ParameterServerMachine(runID: 1, peerTimeoutMs: 1_000)
        _ = idle.handle(.tick(nowMs: 0))
        XCTAssertFalse(failed(idle.handle(.tick(nowMs: 50_000))), "unconfigured and not registering: it waits to be found")

        let r = registering(slice: 0, peerTimeoutMs: 1_000)
        _ = r.handle(.tick(nowMs: 100))
        XCTAssertFalse(failed(r.handle(.tick(nowMs: 1_100))), "exactly the timeout is not yet silence")
        XCTAssertTrue(failed(r.handle(.tick(nowMs: 1_101))), "a coordinator that never comes")

        let c = ParameterServerMachine(runID: 1, peerTimeoutMs: 1_000)
        _ = c.handle(.tick(nowMs: 0))
        _ = c.handle(.message(from: "coordinator", try welcome(slice: 0)))
        _ = c.handle(.tick(nowMs: 900))
        _ = c.handle(.message(from: "coordinator", heartbeat(from: "coordinator")))  // heard at 900
        XCTAssertFalse(failed(c.handle(.tick(nowMs: 1_800))), "a word from the coordinator restarts the count")
        _ = c.handle(.message(from: "w0", heartbeat(from: "w0")))
        XCTAssertTrue(failed(c.handle(.tick(nowMs: 1_901))), "a worker's word is not the coordinator's")
    }

    func testALeaveFromTheCoordinatorEndsTheRunAndAWorkersDoesNot() throws {
        let ps = ParameterServerMachine(runID: 1)
        _ = ps.handle(.message(from: "coordinator", try welcome(slice: 0)))
        let leave = { (from: String) in WireMessage(runID: 1, sender: from, sequence: 3, body: .leave(WireLeave(reason: "run finished"))) }
        XCTAssertEqual(ps.handle(.message(from: "w0", leave("w0"))), [])
        XCTAssertEqual(ps.handle(.message(from: "coordinator", leave("coordinator"))), [.finished])
    }

    func testARegisteredServerTakesOnlyItsOwnSlice() throws {
        let ps = registering(slice: 1)
        let refused = ps.handle(.message(from: "coordinator", try welcome(slice: 0)))
        XCTAssertNil(ps.config)
        XCTAssertFalse(refused.contains { if case .send = $0 { return true }; return false }, "\(refused)")
        let taken = ps.handle(.message(from: "coordinator", try welcome(slice: 1)))
        XCTAssertEqual(ps.slice.index, 1)
        XCTAssertTrue(taken.contains { if case .send(_, let m) = $0, case .stepApplied = m.body { return true }; return false })
        let unregistered = ParameterServerMachine(runID: 1)
        _ = unregistered.handle(.message(from: "coordinator", try welcome(slice: 0)))
        XCTAssertEqual(unregistered.slice.index, 0, "a server that waits to be found serves the slice it is given")
    }
}
