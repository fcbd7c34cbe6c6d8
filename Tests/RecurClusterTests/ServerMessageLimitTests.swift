// ServerMessageLimitTests: a live `recur ps` that no coordinator has configured reads only control
// messages — a hostile client's message of megabytes is dropped by its declared size — and once a
// coordinator's Welcome lays out the run, the gradients a real worker sends are read and the run
// ends with the single process's bits.
import Foundation
import RecurIO
import RecurTransport
import RecurWire
import XCTest

final class ServerMessageLimitTests: ClusterTestCase {
    private let runID: UInt64 = 31

    func testAnUnconfiguredServerDropsAnOversizedMessageThenServesTheRun() throws {
        let flags = Self.tinyFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        let (ps, psEndpoint) = try startPS(runID: runID)

        // 5 MiB of floats under a Hello: within ZeroMQ's 1 GiB, over the 4 MiB an unconfigured server reads.
        let floats = 5 << 18
        let big = try WireFrame(name: "gradient", shape: [floats], offset: 0, floats: [Float](repeating: 1, count: floats))
        let hello = WireMessage(runID: runID, sender: "intruder", sequence: 1,
                                body: .hello(WireHello(workerID: "intruder", pid: 1, hostname: "x", threads: 1)), frames: [big])
        let context = try ZContext()
        let intruder = try ZSocket(context: context, type: .dealer)
        defer { intruder.close() }
        try intruder.setIdentity("intruder")
        try intruder.setLinger(.seconds(2))
        try intruder.connect(psEndpoint)
        try intruder.send(WireCodec.encode(hello), deadline: .seconds(10))
        let limit = "over the \(4 << 20)-byte limit"
        try waitUntil("the oversized message to be dropped", seconds: 30, showing: [ps]) {
            ps.events(.messageDropped).contains { $0.field("error")?.text?.contains(limit) == true }
        }
        XCTAssertTrue(ps.isRunning, ps.summary)

        // Configured by a real coordinator, the server reads the run's gradients.
        let dir = path("run")
        let coordinator = try startCoordinator(flags, ps: psEndpoint, runID: runID, runDir: dir)
        let worker = try startWorker("worker-real", coordinator: try coordinator.endpoint(), runID: runID)
        assertFinishes(coordinator, seconds: 60)
        assertFinishes(ps, seconds: 15)
        assertFinishes(worker, seconds: 15)
        assertSameRun(try RunRecord.read(dir), reference, "a run whose server first dropped an oversized message")
        XCTAssertEqual(ps.events(.messageDropped).count, 1, "only the intruder's message was dropped\n\(ps.summary)")
    }
}
