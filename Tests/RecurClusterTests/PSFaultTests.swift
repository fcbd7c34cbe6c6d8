// PSFaultTests: hostile traffic on the parameter server's socket is dropped and the server keeps serving.
import Foundation
import RecurIO
import RecurTransport
import RecurWire
import XCTest

final class PSFaultTests: ClusterTestCase {
    private let runID: UInt64 = 7

    /// A well-formed message of this run from `sender`.
    private func valid(_ body: WireBody, sender: String = "intruder", frames: [WireFrame] = [], run: UInt64? = nil) -> [[UInt8]] {
        WireCodec.encode(WireMessage(runID: run ?? runID, sender: sender, sequence: 1, body: body, frames: frames))
    }

    /// 64 bytes from a fixed-seed generator (xorshift), never the same as a valid envelope.
    private func noise() -> [UInt8] {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<64).map { _ in x ^= x << 13; x ^= x >> 7; x ^= x << 17; return UInt8(truncatingIfNeeded: x) }
    }

    /// Runs a tiny training run through the server at `psEndpoint` and checks it matches one process.
    private func assertWholeRunCompletes(ps: ClusterProcess, psEndpoint: String) throws {
        let reference = try ReferenceRuns.singleProcess(Self.tinyFlags, in: self)
        let dir = path("run")
        let coordinator = try startCoordinator(Self.tinyFlags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 30)
        let worker = try startWorker("worker-0", coordinator: try coordinator.endpoint(), runID: runID)
        assertFinishes(coordinator)
        assertFinishes(worker, seconds: 15)
        assertFinishes(ps, seconds: 15)
        XCTAssertEqual(ps.events(.serverClosed).map { $0.field("version") }, [.int(12)], ps.summary)
        assertSameRun(try RunRecord.read(dir), reference, "a run through a PS that survived hostile traffic")
    }

    func testMalformedMessagesAreDroppedAndTheServerKeepsServing() throws {
        let (ps, psEndpoint) = try startPS(runID: runID)
        let context = try ZContext()
        let intruder = try ZSocket(context: context, type: .dealer)
        try intruder.setIdentity("intruder")
        try intruder.connect(psEndpoint)

        let heartbeat = valid(.heartbeat(WireHeartbeat(nowMs: 1, state: "idle")))
        // Envelope field 1 (protocol_version) is serialized first: tag 0x08, then the varint 2.
        XCTAssertEqual(Array(heartbeat[0].prefix(2)), [0x08, UInt8(WireProtocol.version)], "protocol_version is no longer the first field")
        var badVersion = heartbeat
        badVersion[0][1] = 0x01  // a peer of the version before gradient pieces
        let gradientFrames = [try WireFrame(name: "gradient", shape: [4], floats: [1, 2, 3, 4])]
        var shortPayload = valid(.weights(WireWeights(version: 1)), frames: gradientFrames)
        shortPayload[1].removeLast()
        let faults: [(what: String, frames: [[UInt8]], says: String)] = [
            ("random bytes", [noise()], "wire:"),
            ("a truncated envelope", [Array(heartbeat[0].dropLast(2))], "is not a valid recur.Envelope"),
            ("the wrong protocol version", badVersion, "protocol version 1 received"),
            ("an empty envelope (version 0)", [[]], "protocol version 0 received"),
            ("another run's id", valid(.heartbeat(WireHeartbeat(nowMs: 1, state: "idle")), run: 8), "for run 0x8"),
            ("an undeclared payload frame", heartbeat + [[1, 2, 3, 4]], "declares 0 payload frame(s), 1 received"),
            ("a payload shorter than its shape", shortPayload, "is 15 bytes, its shape needs 16"),
        ]
        func drops() -> [LogRecord] { ps.events(.messageDropped).filter { $0.field("peer") == .string("intruder") } }
        for (i, fault) in faults.enumerated() {
            try intruder.send(fault.frames, deadline: .seconds(5))
            try waitUntil("the PS to drop \(fault.what)", seconds: 30, showing: [ps]) { drops().count >= i + 1 || !ps.isRunning }
            let dropped = drops()
            XCTAssertEqual(dropped.count, i + 1, "\(fault.what): exactly one more message_dropped event\n\(ps.summary)")
            let error = dropped.last?.field("error")?.text ?? "-"
            XCTAssertTrue(error.contains(fault.says), "\(fault.what): expected \"\(fault.says)\" in the error \(error)")
            XCTAssertTrue(ps.isRunning, "the PS died on \(fault.what)\n\(ps.summary)")
        }
        // Well-formed but out of turn: a gradient before the coordinator configured the server.
        let early = valid(.gradient(WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 4, weightVersion: 0,
                                                 tokenCount: 16, lossSum: 1)), frames: gradientFrames)
        try intruder.send(early, deadline: .seconds(5))
        try waitUntil("the PS to refuse an early gradient", seconds: 30, showing: [ps]) {
            !ps.events(.notConfigured, where: ["peer": "intruder", "kind": "gradient"]).isEmpty || !ps.isRunning
        }
        XCTAssertTrue(ps.isRunning, ps.summary)
        intruder.close()
        try assertWholeRunCompletes(ps: ps, psEndpoint: psEndpoint)
    }

    /// One frame just over ZMQ_MAXMSGSIZE (1 GiB): libzmq drops the connection before the server
    /// sees a message, so there is nothing for it to log; the server must simply keep serving.
    func testMessageOverTheSizeLimitLeavesTheServerServing() throws {
        let limit = 1 << 30
        try XCTSkipIf(ProcessInfo.processInfo.physicalMemory < 8 << 30,
                      "needs about 2 GiB for the oversized frame and its copy; this machine has less than 8 GiB")
        let (ps, psEndpoint) = try startPS(runID: runID)
        do {
            // A context of its own, ended with the intruder: its end waits (up to the linger) until
            // the message has left or the server has cut the connection, instead of a fixed sleep.
            let giantContext = try ZContext()
            let intruder = try ZSocket(context: giantContext, type: .dealer)
            try intruder.setIdentity("giant")
            try intruder.setLinger(.seconds(30))
            try intruder.connect(psEndpoint)
            try intruder.send([[UInt8](repeating: 0x5A, count: limit + 1)], deadline: .seconds(30))
            intruder.close()
        }
        let context = try ZContext()
        XCTAssertTrue(ps.isRunning, "the PS died on an oversized message\n\(ps.summary)")
        // Still answering: a weights request out of turn is logged by the server's machine.
        let prober = try ZSocket(context: context, type: .dealer)
        try prober.setIdentity("prober")
        try prober.connect(psEndpoint)
        try prober.send(valid(.weightsRequest(WireWeightsRequest(minVersion: 0)), sender: "prober"), deadline: .seconds(5))
        try waitUntil("the PS to answer the prober", seconds: 30, showing: [ps]) {
            !ps.events(.notConfigured, where: ["peer": "prober", "kind": "weights_request"]).isEmpty || !ps.isRunning
        }
        prober.close()
        XCTAssertTrue(ps.records.filter { $0.field("peer") == .string("giant") }.isEmpty && ps.events(.messageDropped).isEmpty,
                      "libzmq should have refused it unread\n\(ps.summary)")
        try assertWholeRunCompletes(ps: ps, psEndpoint: psEndpoint)
    }
}
