// Round trips of every message kind through WireCodec, and the typed frame helpers.
import RecurWire
import XCTest

final class WireRoundTripTests: XCTestCase {
    func testEveryMessageKindRoundTrips() throws {
        let samples = try Samples.all()
        var kinds = Set<String>()
        for (index, (body, frames)) in samples.enumerated() {
            let message = Samples.message(body, frames, sequence: UInt64(index))
            let encoded = WireCodec.encode(message)
            XCTAssertEqual(encoded.count, frames.count + 1, body.kind)
            for (payload, frame) in zip(encoded.dropFirst(), frames) { XCTAssertEqual(payload, frame.payload.array) }
            let decoded = try WireCodec.decode(encoded, expectedRun: Samples.run)
            XCTAssertEqual(decoded, message, body.kind)
            XCTAssertEqual(decoded.protocolVersion, WireProtocol.version)
            kinds.insert(body.kind)
        }
        XCTAssertEqual(kinds.count, 13, "every body kind is covered")
    }

    func testEncodingIsDeterministic() throws {
        for (body, frames) in try Samples.all() {
            XCTAssertEqual(WireCodec.encode(Samples.message(body, frames)), WireCodec.encode(Samples.message(body, frames)))
        }
    }

    func testDecodeWithoutExpectedRunAcceptsAnyRun() throws {
        var message = Samples.message(.weightsRequest(WireWeightsRequest(minVersion: 1)))
        message.runID = 0
        XCTAssertEqual(try WireCodec.decode(WireCodec.encode(message), expectedRun: nil), message)
    }

    func testFloatBitPatternsSurvive() throws {
        let values = Samples.floats(64, seed: 9)
        let frame = try WireFrame(name: "params", shape: [8, 8], floats: values)
        let decoded = try WireCodec.decode(WireCodec.encode(Samples.message(.weights(WireWeights(version: 1)), [frame])),
                                           expectedRun: Samples.run)
        let back = try decoded.frame(named: "params").floats()
        XCTAssertEqual(back.map(\.bitPattern), values.map(\.bitPattern))
        var copy = [Float](repeating: 0, count: 64)
        try copy.withUnsafeMutableBufferPointer { try decoded.frames[0].copyFloats(into: $0) }
        XCTAssertEqual(copy.map(\.bitPattern), values.map(\.bitPattern))
    }

    func testPayloadIsLittleEndian() throws {
        XCTAssertEqual(try WireFrame(name: "x", shape: [1], floats: [1.0]).payload.array, [0x00, 0x00, 0x80, 0x3F])
        XCTAssertEqual(try WireFrame(name: "x", shape: [2], int32s: [1, -2]).payload.array, [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF])
    }

    func testTensorsStayOutOfTheEnvelope() throws {
        let big = try WireFrame(name: "params", shape: [1 << 20], floats: [Float](repeating: 0.5, count: 1 << 20))
        let encoded = WireCodec.encode(Samples.message(.weights(WireWeights(version: 3)), [big]))
        XCTAssertLessThan(encoded[0].count, 100)
        XCTAssertEqual(encoded[1].count, 4 << 20)
    }

    func testScalarAndEmptyFrames() throws {
        let scalar = try WireFrame(name: "s", shape: [], floats: [2.5])
        let empty = try WireFrame(name: "e", shape: [0, 7], floats: [])
        XCTAssertEqual(scalar.elementCount, 1)
        XCTAssertEqual(empty.elementCount, 0)
        let message = Samples.message(.weights(WireWeights(version: 1)), [scalar, empty])
        let decoded = try WireCodec.decode(WireCodec.encode(message), expectedRun: Samples.run)
        XCTAssertEqual(decoded, message)
        XCTAssertEqual(try decoded.frame(named: "s").floats(), [2.5])
        XCTAssertEqual(try decoded.frame(named: "e").floats(), [])
    }

    func testInt32Frames() throws {
        let frame = try WireFrame(name: "inputs", shape: [2, 3], int32s: [0, 1, -1, .max, .min, 42])
        XCTAssertEqual(frame.dtype, .i32)
        XCTAssertEqual(try frame.int32s(), [0, 1, -1, .max, .min, 42])
        assertWireError(.wrongDType(frame: "inputs", expected: .f32, actual: .i32)) { _ = try frame.floats() }
    }

    func testFrameBuildersCheckTheirShape() {
        assertWireError(.valueCountMismatch(frame: "x", shape: [2, 2], valueCount: 3)) {
            _ = try WireFrame(name: "x", shape: [2, 2], floats: [1, 2, 3])
        }
        assertWireError(.frameSizeMismatch(frame: "x", index: 0, expectedBytes: 8, actualBytes: 7)) {
            _ = try WireFrame(name: "x", dtype: .f32, shape: [2], bytes: [UInt8](repeating: 0, count: 7))
        }
        XCTAssertThrowsError(try WireFrame(name: "x", shape: [-1], floats: []))
        XCTAssertThrowsError(try WireFrame(name: "x", shape: [Int.max, 2], floats: []))
        XCTAssertThrowsError(try WireFrame(name: "x", shape: [1], offset: -1, floats: [1]))
    }

    func testMissingFrameLookupThrows() {
        let message = Samples.message(.heartbeat(WireHeartbeat(nowMs: 1, state: "idle")))
        assertWireError(.missingFrame(name: "state")) { _ = try message.frame(named: "state") }
    }

    func testRejectCodesForDecodeErrors() {
        XCTAssertEqual(WireRejectCode(.wrongProtocolVersion(received: 2, expected: 1)), .badVersion)
        XCTAssertEqual(WireRejectCode(.wrongRun(received: 1, expected: 2)), .badRun)
        XCTAssertEqual(WireRejectCode(.oversized(totalBytes: 9, maxBytes: 8)), .oversized)
        XCTAssertEqual(WireRejectCode(.frameSizeMismatch(frame: "x", index: 1, expectedBytes: 4, actualBytes: 3)), .badShape)
        XCTAssertEqual(WireRejectCode(.malformedEnvelope(byteCount: 3)), .malformed)
    }

    func testUnknownRejectCodeDecodesAsUnspecified() throws {
        var reject = ProtoWriter()
        reject.field(1, varint: 999)
        reject.field(2, string: "from the future")
        var envelope = ProtoWriter.envelope()
        envelope.field(20, message: reject)
        let decoded = try WireCodec.decode([envelope.bytes], expectedRun: Samples.run)
        XCTAssertEqual(decoded.body, .reject(WireReject(code: .unspecified, detail: "from the future")))
    }
}
