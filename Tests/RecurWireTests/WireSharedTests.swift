// Shared-memory payloads on the wire: segment offers round trip, a shared frame travels empty and
// is read through the receiver's resolver, and every way it can disagree is refused.
import RecurWire
import XCTest

/// A resolver over one in-memory "segment", recording what it was asked.
private final class ArrayResolver: WireSharedResolver {
    let token: UInt64
    let bytes: [UInt8]
    var asked: [(WireSharedRef, Int)] = []
    var shortBy = 0
    init(token: UInt64, bytes: [UInt8]) { self.token = token; self.bytes = bytes }
    func payload(for ref: WireSharedRef, byteCount: Int, frame: String) throws -> WireBytes {
        asked.append((ref, byteCount))
        let start = Int(ref.byteOffset)
        guard ref.token == token, start + byteCount <= bytes.count else {
            throw WireError.sharedUnavailable(frame: frame, detail: "token \(ref.token) unknown or range outside")
        }
        return WireBytes(Array(bytes[start ..< start + byteCount - shortBy]))
    }
}

final class WireSharedTests: XCTestCase {
    let segment = WireSegment(pid: 4242, fd: 17, token: 0xfeed_beef_1234, byteCount: 1 << 22)

    func testSegmentOffersAndTokensRoundTrip() throws {
        let request = WireWeightsRequest(minVersion: 3, inPieces: true, gradientSegment: segment, attachedToken: 99)
        let weights = WireWeights(version: 7, weightsSegment: segment, attachedToken: 0xabc)
        for body in [WireBody.weightsRequest(request), .weights(weights)] {
            let m = Samples.message(body)
            XCTAssertEqual(try WireCodec.decode(WireCodec.encode(m), expectedRun: Samples.run), m)
        }
        // Absent stays absent.
        let plain = Samples.message(.weights(WireWeights(version: 1)))
        guard case .weights(let back) = try WireCodec.decode(WireCodec.encode(plain), expectedRun: Samples.run).body else {
            return XCTFail("not weights")
        }
        XCTAssertNil(back.weightsSegment)
        XCTAssertEqual(back.attachedToken, 0)
    }

    /// A 16-float frame at byte 64 of a 256-byte segment.
    func sharedMessage(_ segmentBytes: [UInt8]) throws -> WireMessage {
        let values = Array(segmentBytes[64 ..< 128])
        let local = try WireFrame(name: "gradient", dtype: .f32, shape: [16], offset: 32, bytes: values)
        let ref = WireSharedRef(token: 5, slot: 1, byteOffset: 64, generation: 9)
        return Samples.message(.weights(WireWeights(version: 2)), [try local.sharing(ref, payload: WireBytes(values))])
    }

    func testASharedFrameTravelsEmptyAndIsReadThroughTheResolver() throws {
        let segmentBytes = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let m = try sharedMessage(segmentBytes)
        let encoded = WireCodec.encode(m)
        XCTAssertEqual(encoded.count, 2)
        XCTAssertEqual(encoded[1], [], "the payload does not travel in the frame")
        let resolver = ArrayResolver(token: 5, bytes: segmentBytes)
        let decoded = try WireCodec.decode(encoded, expectedRun: Samples.run, shared: resolver)
        XCTAssertEqual(decoded, m)
        XCTAssertEqual(try decoded.frame(named: "gradient").payload.array, Array(segmentBytes[64 ..< 128]))
        XCTAssertEqual(resolver.asked.count, 1)
        XCTAssertEqual(resolver.asked.first?.0, WireSharedRef(token: 5, slot: 1, byteOffset: 64, generation: 9))
        XCTAssertEqual(resolver.asked.first?.1, 64)
    }

    func testASharedFrameIsRefusedWithoutAResolverOrWhenItDisagrees() throws {
        let segmentBytes = [UInt8](repeating: 1, count: 256)
        let encoded = WireCodec.encode(try sharedMessage(segmentBytes))
        XCTAssertThrowsError(try WireCodec.decode(encoded, expectedRun: Samples.run)) { error in
            guard case WireError.sharedUnavailable = error else { return XCTFail("\(error)") }
        }
        // The resolver does not know the token.
        XCTAssertThrowsError(try WireCodec.decode(encoded, expectedRun: Samples.run, shared: ArrayResolver(token: 6, bytes: segmentBytes)))
        // The resolver returns the wrong number of bytes.
        let short = ArrayResolver(token: 5, bytes: segmentBytes)
        short.shortBy = 4
        XCTAssertThrowsError(try WireCodec.decode(encoded, expectedRun: Samples.run, shared: short)) { error in
            guard case WireError.frameSizeMismatch = error else { return XCTFail("\(error)") }
        }
        // A shared spec whose frame is not empty.
        var withBytes = encoded
        withBytes[1] = [1, 2, 3, 4]
        XCTAssertThrowsError(try WireCodec.decode(withBytes, expectedRun: Samples.run, shared: ArrayResolver(token: 5, bytes: segmentBytes))) { error in
            guard case WireError.frameSizeMismatch(_, _, 0, 4) = error else { return XCTFail("\(error)") }
        }
        // Shared payloads count against the size limit, before the resolver is asked.
        let counting = ArrayResolver(token: 5, bytes: segmentBytes)
        XCTAssertThrowsError(try WireCodec.decode(encoded, expectedRun: Samples.run, maxBytes: 63 + encoded[0].count, shared: counting)) { error in
            guard case WireError.oversized = error else { return XCTFail("\(error)") }
        }
        XCTAssertTrue(counting.asked.isEmpty)
    }

    func testSharingNeedsTheFramesSize() throws {
        let f = try WireFrame(name: "params", shape: [4], floats: [1, 2, 3, 4])
        XCTAssertThrowsError(try f.sharing(WireSharedRef(token: 1, slot: 0, byteOffset: 0, generation: 1), payload: WireBytes([0, 0, 0, 0])))
    }
}
