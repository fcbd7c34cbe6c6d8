// WireBytesTests: payloads are read where they live: a decoded frame points into the received
// memory, an encoded message hands out the frames' own memory, and the owner lives as long as they do.
import RecurWire
import XCTest

/// Memory that a test owns and can watch being released.
private final class Block {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = .allocate(byteCount: max(count, 1), alignment: 16)
        pointer.copyMemory(from: bytes, byteCount: count)
    }
    deinit { pointer.deallocate() }
    var bytes: WireBytes { WireBytes(borrowing: pointer, count: count, owner: self) }
}

final class WireBytesTests: XCTestCase {
    func message() throws -> WireMessage {
        let frame = try WireFrame(name: "gradient", shape: [3, 2], offset: 12, floats: Samples.floats(6, seed: 5))
        return WireMessage(runID: Samples.run, sender: "w", sequence: 3,
                           body: .gradient(WireGradient(leaseID: 1, step: 2, shard: 0, shardCount: 1, weightVersion: 2,
                                                        tokenCount: 6, lossSum: 1.5)), frames: [frame])
    }

    func testDecodedFramesPointIntoTheReceivedMemory() throws {
        let sent = try message()
        let blocks = WireCodec.encode(sent).map(Block.init)
        let decoded = try WireCodec.decode(blocks.map(\.bytes), expectedRun: Samples.run)
        XCTAssertEqual(decoded, sent)
        let payload = try decoded.frame(named: "gradient").payload
        XCTAssertEqual(payload.base, UnsafeRawPointer(blocks[1].pointer), "the payload is not copied")
        XCTAssertTrue(payload.owner === blocks[1])
    }

    func testTheOwnerLivesAsLongAsTheDecodedMessage() throws {
        weak var watched: Block?
        func received() throws -> WireMessage {
            let blocks = WireCodec.encode(try message()).map(Block.init)
            watched = blocks[1]
            return try WireCodec.decode(blocks.map(\.bytes), expectedRun: Samples.run)
        }
        var decoded: WireMessage? = try received()
        XCTAssertNotNil(watched, "the message keeps the received memory")
        XCTAssertEqual(try decoded?.frame(named: "gradient").floats().map(\.bitPattern),
                       Samples.floats(6, seed: 5).map(\.bitPattern))
        decoded = nil
        XCTAssertNil(watched, "and lets it go with the message")
    }

    func testEncodeFramesHandsOutTheFramesOwnMemory() throws {
        let values: [Float] = [1, -2, 3.5, .infinity]
        let owner = Block(values.withUnsafeBytes { Array($0) })
        let buffer = UnsafeBufferPointer(start: owner.pointer.assumingMemoryBound(to: Float.self), count: 4)
        let frame = try WireFrame(name: "gradient", shape: [4], offset: 8, borrowing: buffer, owner: owner)
        XCTAssertEqual(frame.payload.base, UnsafeRawPointer(owner.pointer))
        XCTAssertEqual(try frame.floats(), values)
        var m = try message()
        m.frames = [frame]
        let parts = WireCodec.encodeFrames(m)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[1].base, UnsafeRawPointer(owner.pointer), "encoding does not copy the tensor")
        XCTAssertEqual(WireCodec.encode(m), parts.map(\.array), "the array form has the same bytes")
        XCTAssertThrowsError(try WireFrame(name: "gradient", shape: [5], borrowing: buffer, owner: owner)) { error in
            guard case WireError.valueCountMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testEqualityComparesBytesWhereverTheyLive() {
        let a = WireBytes([1, 2, 3]), b = Block([1, 2, 3]).bytes, c = Block([1, 2, 4]).bytes
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertNotEqual(a, WireBytes([1, 2]))
        XCTAssertEqual(WireBytes.empty, WireBytes([]))
        XCTAssertNil(WireBytes.empty.base)
        XCTAssertEqual(b.array, [1, 2, 3])
    }

    func testHostileBorrowedFramesAreRejectedLikeArrays() throws {
        // A payload one byte short of its spec, and an envelope that is not one.
        var parts = WireCodec.encode(try message())
        parts[1].removeLast()
        XCTAssertThrowsError(try WireCodec.decode(parts.map(Block.init).map(\.bytes), expectedRun: Samples.run)) { error in
            guard case WireError.frameSizeMismatch = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try WireCodec.decode([Block([0xFF, 0xFF, 0xFF]).bytes], expectedRun: nil))
        XCTAssertThrowsError(try WireCodec.decode([Block([]).bytes], expectedRun: nil))
    }
}
