// Each way a received message can be wrong produces its own one-line WireError.
import RecurWire
import XCTest

final class WireValidationTests: XCTestCase {
    private func stateMessage() throws -> WireMessage {
        Samples.message(.result(WireResult(leaseID: 1, step: 2, shard: 0, weightVersion: 1, lossSum: 1,
                                           tokenCount: 4, computeMs: 1)),
                        [try WireFrame(name: "state", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])])
    }

    func testNoFrames() {
        assertWireError(.noFrames) { _ = try WireCodec.decode([] as [[UInt8]], expectedRun: nil) }
    }

    func testUnparseableEnvelope() {
        // Field 1 as a length-delimited field claiming 100 bytes that are not there.
        assertWireError(.malformedEnvelope(byteCount: 3)) { _ = try WireCodec.decode([[0x0A, 100, 1]], expectedRun: nil) }
    }

    func testWrongProtocolVersionNamesBothVersions() throws {
        var message = try stateMessage()
        message.protocolVersion = 1  // the version before pieces: its peers must not mix with ours
        let frames = WireCodec.encode(message)
        assertWireError(.wrongProtocolVersion(received: 1, expected: WireProtocol.version)) {
            _ = try WireCodec.decode(frames, expectedRun: Samples.run)
        }
        let text = WireError.wrongProtocolVersion(received: 1, expected: 2).description
        XCTAssertTrue(text.contains("2") && text.contains("1"), text)
    }

    func testMissingVersionIsVersionZero() {
        var envelope = ProtoWriter()
        envelope.field(2, varint: Samples.run)
        envelope.heartbeatBody()
        assertWireError(.wrongProtocolVersion(received: 0, expected: WireProtocol.version)) {
            _ = try WireCodec.decode([envelope.bytes], expectedRun: Samples.run)
        }
    }

    func testWrongRun() throws {
        let frames = WireCodec.encode(try stateMessage())
        assertWireError(.wrongRun(received: Samples.run, expected: 7)) { _ = try WireCodec.decode(frames, expectedRun: 7) }
    }

    func testMissingBody() {
        assertWireError(.missingBody) { _ = try WireCodec.decode([ProtoWriter.envelope().bytes], expectedRun: Samples.run) }
    }

    func testFrameSizeMismatch() throws {
        var frames = WireCodec.encode(try stateMessage())
        frames[1].removeLast()
        assertWireError(.frameSizeMismatch(frame: "state", index: 1, expectedBytes: 24, actualBytes: 23)) {
            _ = try WireCodec.decode(frames, expectedRun: Samples.run)
        }
        frames[1] += [0, 0, 0, 0, 0]
        assertWireError(.frameSizeMismatch(frame: "state", index: 1, expectedBytes: 24, actualBytes: 28)) {
            _ = try WireCodec.decode(frames, expectedRun: Samples.run)
        }
    }

    func testTooManyAndTooFewFrames() throws {
        let frames = WireCodec.encode(try stateMessage())
        assertWireError(.frameCountMismatch(declared: 1, received: 2)) {
            _ = try WireCodec.decode(frames + [[1, 2, 3, 4]], expectedRun: Samples.run)
        }
        assertWireError(.frameCountMismatch(declared: 1, received: 0)) {
            _ = try WireCodec.decode([frames[0]], expectedRun: Samples.run)
        }
    }

    func testUnknownDType() {
        var envelope = ProtoWriter.envelope()
        envelope.field(5, message: ProtoWriter.frameSpec(name: "x", dtype: 7, shape: [1]))
        envelope.heartbeatBody()
        assertWireError(.unknownDType(frame: "x", rawValue: 7)) {
            _ = try WireCodec.decode([envelope.bytes, [0, 0, 0, 0]], expectedRun: Samples.run)
        }
    }

    func testOverflowingShapeIsRejected() {
        for shape: [UInt64] in [[1 << 62, 1 << 62], [UInt64.max], [1 << 62, 4], [UInt64(Int.max / 2), 3]] {
            var envelope = ProtoWriter.envelope()
            envelope.field(5, message: ProtoWriter.frameSpec(name: "huge", dtype: 0, shape: shape))
            envelope.heartbeatBody()
            XCTAssertThrowsError(try WireCodec.decode([envelope.bytes, [0, 0, 0, 0]], expectedRun: Samples.run)) { error in
                guard case .badShape(let frame, _)? = error as? WireError else { return XCTFail("\(error)") }
                XCTAssertEqual(frame, "huge")
            }
        }
    }

    func testOffsetBeyondIntIsRejected() {
        var envelope = ProtoWriter.envelope()
        envelope.field(5, message: ProtoWriter.frameSpec(name: "g", dtype: 0, shape: [1], offset: .max))
        envelope.heartbeatBody()
        assertWireError(.badOffset(frame: "g", offset: .max)) {
            _ = try WireCodec.decode([envelope.bytes, [0, 0, 0, 0]], expectedRun: Samples.run)
        }
    }

    func testOversizedMessage() throws {
        let frames = WireCodec.encode(try stateMessage())
        let total = frames.reduce(0) { $0 + $1.count }
        assertWireError(.oversized(totalBytes: total, maxBytes: total - 1)) {
            _ = try WireCodec.decode(frames, expectedRun: Samples.run, maxBytes: total - 1)
        }
        XCTAssertNoThrow(try WireCodec.decode(frames, expectedRun: Samples.run, maxBytes: total))
    }

    func testHostileNamesStayOnOneLine() {
        var envelope = ProtoWriter.envelope()
        let name = "evil\nname\r\u{2028}" + String(repeating: "x", count: 500)
        envelope.field(5, message: ProtoWriter.frameSpec(name: name, dtype: 9, shape: [1]))
        envelope.heartbeatBody()
        XCTAssertThrowsError(try WireCodec.decode([envelope.bytes, [0, 0, 0, 0]], expectedRun: Samples.run)) { error in
            let text = (error as? WireError)?.description ?? ""
            XCTAssertFalse(text.contains("\n") || text.contains("\r") || text.contains("\u{2028}"), text)
            XCTAssertLessThan(text.count, 200, text)
        }
    }
}
