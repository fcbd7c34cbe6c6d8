// PSInboundLimitTests: the largest message the parameter server reads — a control message's size
// until a Welcome lays out its slice, then three slices of floats — and the decoder dropping a
// larger one by the size its frames declare, before their payload is read.
import XCTest
@testable import RecurRoles
import RecurModel
import RecurWire

extension PSPiecesTests {
    func testBeforeAWelcomeOnlyControlMessagesAreRead() throws {
        let ps = ParameterServerMachine(runID: 1, name: "ps-0")
        let control = ParameterServerMachine.controlBytes
        XCTAssertEqual(ps.inboundLimit(for: .hello(WireHello(workerID: "w", pid: 1, hostname: "h", threads: 1))), control)
        XCTAssertEqual(ps.inboundLimit(for: .gradient(WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 1, weightVersion: 0,
                                                                   tokenCount: 1, lossSum: 1))), control)
        // A Welcome may carry a resumed run's weights and moments: three slices of its own layout.
        let c = config(psShards: 2)
        let slice = try c.parameterShards.ranges[1].count
        let welcome = WireWelcome(configJSON: try c.json(), psEndpoints: ["a", "b"], heartbeatIntervalMs: 1_000,
                                  leaseTimeoutMs: 30_000, currentVersion: 0, psShard: 1)
        XCTAssertEqual(ps.inboundLimit(for: .welcome(welcome)), control + 3 * slice * 4)
        var broken = welcome
        broken.configJSON = "{"
        XCTAssertEqual(ps.inboundLimit(for: .welcome(broken)), control, "an unusable configuration lays out nothing")
    }

    func testOnceConfiguredTheLayoutBoundsAGradient() throws {
        let c = config(psShards: 2), ps = try server(c, slice: 1)
        let slice = try c.parameterShards.ranges[1].count
        let gradient = WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 3, weightVersion: 0, tokenCount: 1, lossSum: 1)
        let limit = ps.inboundLimit(for: .gradient(gradient))
        XCTAssertEqual(limit, ParameterServerMachine.controlBytes + 3 * slice * 4)

        // Through the decoder: a gradient frame one float past the bound is dropped, one at it read.
        func frames(_ floats: Int) throws -> [[UInt8]] {
            let f = try WireFrame(name: "gradient", shape: [floats], offset: 0, floats: [Float](repeating: 0, count: floats))
            return WireCodec.encode(WireMessage(runID: 1, sender: "w0", sequence: 1, body: .gradient(gradient), frames: [f]))
        }
        let envelope = try frames(1)[0].count
        let fits = (limit - envelope) / 4
        XCTAssertNoThrow(try WireCodec.decode(try frames(fits), expectedRun: 1, limit: ps.inboundLimit(for:)))
        XCTAssertThrowsError(try WireCodec.decode(try frames(fits + 1), expectedRun: 1, limit: ps.inboundLimit(for:))) { error in
            guard case WireError.oversized(_, let max) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(max, limit)
        }
    }

    func testAnEnvelopeOverItsBoundIsNotUnpacked() throws {
        var frames = WireCodec.encode(WireMessage(runID: 1, sender: "w0", sequence: 1, body: .heartbeat(WireHeartbeat(nowMs: 1, state: "x"))))
        frames[0] += [UInt8](repeating: 0, count: WireCodec.maxEnvelopeBytes)
        XCTAssertThrowsError(try WireCodec.decode(frames, expectedRun: 1)) { error in
            guard case WireError.oversized(_, WireCodec.maxEnvelopeBytes) = error else { return XCTFail("\(error)") }
        }
    }
}
