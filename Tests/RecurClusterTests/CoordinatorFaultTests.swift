// CoordinatorFaultTests: the coordinator's worker socket takes only control-sized messages; a peer
// sending more is cut off by ZeroMQ, and the run goes on to the single-process weights.
import Foundation
import RecurIO
import RecurTransport
import RecurWire
import XCTest

final class CoordinatorFaultTests: ClusterTestCase {
    private let runID: UInt64 = 11

    func testAnOversizedMessageRegistersNothingAndTheRunCompletes() throws {
        let reference = try ReferenceRuns.singleProcess(Self.tinyFlags, in: self)
        let (ps, psEndpoint) = try startPS(runID: runID)
        let dir = path("run")
        let coordinator = try startCoordinator(Self.tinyFlags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 30)
        let endpoint = try coordinator.endpoint()
        let context = try ZContext()
        let big = try ZSocket(context: context, type: .dealer)
        try big.setIdentity("big")
        try big.connect(endpoint)
        // A Hello with an 8 MiB frame: twice the limit of the coordinator's worker socket.
        let padding = try WireFrame(name: "padding", dtype: .f32, shape: [2 << 20], bytes: [UInt8](repeating: 0, count: 8 << 20))
        let hello = WireMessage(runID: runID, sender: "big", sequence: 1, body: .hello(WireHello(workerID: "big", pid: 1, hostname: "h", threads: 1)),
                                frames: [padding])
        try big.send(WireCodec.encode(hello), deadline: .seconds(5))
        let worker = try startWorker("worker-0", coordinator: endpoint, runID: runID)
        assertFinishes(coordinator)
        assertFinishes(worker, seconds: 15)
        assertFinishes(ps, seconds: 15)
        XCTAssertEqual(coordinator.events(.workerJoined).compactMap { $0.field("worker")?.text }, ["worker-0"],
                       "only worker-0 may join: the oversized Hello must not register a worker\n\(coordinator.summary)")
        assertSameRun(try RunRecord.read(dir), reference, "a run whose coordinator was sent an oversized message")
    }
}
