// The shard kind of a Task (protocol 4; pairs, protocol 5): it survives the wire, and a kind this build does not
// know is refused with its own error rather than read as a stream.
import RecurWire
import XCTest

final class WireShardKindTests: XCTestCase {
    func task(_ kind: WireShardKind) -> WireMessage {
        WireMessage(runID: Samples.run, sender: "coordinator", sequence: 1,
                    body: .task(WireTask(step: 2, shard: 0, shardCount: 1, firstLane: 0, laneCount: 3, steps: 5,
                                         weightVersion: 2, leaseID: 7, kind: kind)),
                    frames: try! Samples.exampleFrames())
    }

    func testKindRoundTrips() throws {
        for kind in [WireShardKind.stream, .examples, .pairs] {
            let back = try WireCodec.decode(WireCodec.encode(task(kind)), expectedRun: Samples.run, maxBytes: 1 << 20)
            guard case .task(let t) = back.body else { return XCTFail("not a task: \(back.body)") }
            XCTAssertEqual(t.kind, kind)
        }
        XCTAssertEqual(WireProtocol.version, 5, "pair shards are protocol 5")
    }

    func testUnknownKindIsRefused() throws {
        var frames = WireCodec.encode(task(.examples))
        // Task.kind is field 9, a varint: tag byte 0x48, then 0x01 for EXAMPLES. Make it 7.
        let envelope = frames[0]
        let at = try XCTUnwrap((0..<envelope.count - 1).last { envelope[$0] == 0x48 && envelope[$0 + 1] == 0x01 })
        frames[0][at + 1] = 0x07
        XCTAssertThrowsError(try WireCodec.decode(frames, expectedRun: Samples.run, maxBytes: 1 << 20)) { error in
            XCTAssertEqual(error as? WireError, .unknownShardKind(7))
        }
    }
}
