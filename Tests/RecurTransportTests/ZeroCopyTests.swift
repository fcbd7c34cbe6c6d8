// ZeroCopyTests: large parts leave from their owner's memory (which libzmq keeps alive until sent
// and then lets go), small ones are copied at once, and received parts keep libzmq's memory.
import RecurTransport
import XCTest

/// Memory whose release a test can watch.
private final class Owned {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(count: Int, seed: UInt32) {
        self.count = count
        pointer = .allocate(byteCount: count, alignment: 64)
        var state = seed
        for i in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: state >> 24), toByteOffset: i, as: UInt8.self)
        }
    }
    deinit { pointer.deallocate() }
    var frame: ZOutFrame { ZOutFrame(borrowing: UnsafeRawBufferPointer(start: pointer, count: count), owner: self) }
    var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: pointer, count: count)) }
}

final class ZeroCopyTests: TransportTestCase {
    /// Waits up to 5 s for `condition`.
    func eventually(_ condition: () -> Bool) -> Bool {
        let until = ContinuousClock.now + .seconds(5)
        while !condition() && ContinuousClock.now < until { usleep(1_000) }
        return condition()
    }

    /// Sends `count` bytes of memory that only the message holds, after the parts `before`;
    /// returns the bytes and whether that memory has been let go.
    func send(_ count: Int, seed: UInt32, on socket: ZSocket, after before: [ZOutFrame] = []) throws -> ([UInt8], () -> Bool) {
        let owned = Owned(count: count, seed: seed)
        try socket.send(frames: before + [owned.frame], deadline: .seconds(10))
        return (owned.bytes, { [weak owned] in owned == nil })
    }

    func testLargeBorrowedPartIsSentFromItsOwnerAndReleasedAfterwards() throws {
        let (router, endpoint) = try bound(.router)
        let dealer = try connected(.dealer, to: endpoint) { try $0.setIdentity("big") }
        let (expected, released) = try send(ZSocket.zeroCopyBytes + 12_345, seed: 7, on: dealer, after: [ZOutFrame([1, 2, 3])])
        let parts = try XCTUnwrap(router.receiveFrames(deadline: .seconds(10)))
        XCTAssertEqual(parts.map(\.array), [Array("big".utf8), [1, 2, 3], expected])
        XCTAssertEqual(parts.map(\.more), [true, true, false])
        XCTAssertTrue(eventually(released), "libzmq lets the owner go once the part is written")
    }

    func testSmallBorrowedPartIsCopiedBeforeSendReturns() throws {
        let (router, endpoint) = try bound(.router)
        let dealer = try connected(.dealer, to: endpoint) { try $0.setIdentity("small") }
        let (expected, released) = try send(4_096, seed: 9, on: dealer)
        XCTAssertTrue(released(), "a small part is copied: nothing keeps its owner")
        let parts = try XCTUnwrap(router.receiveFrames(deadline: .seconds(10)))
        XCTAssertEqual(parts.map(\.array), [Array("small".utf8), expected])
    }

    func testReceivedPartsKeepTheirBytesAfterLaterReceives() throws {
        let (router, endpoint) = try bound(.router)
        let dealer = try connected(.dealer, to: endpoint) { try $0.setIdentity("d") }
        let first = Owned(count: 3 << 20, seed: 1), second = Owned(count: 3 << 20, seed: 2)
        try dealer.send(frames: [first.frame], deadline: .seconds(10))
        try dealer.send(frames: [second.frame], deadline: .seconds(10))
        let a = try XCTUnwrap(router.receiveFrames(deadline: .seconds(10)))
        let b = try XCTUnwrap(router.receiveFrames(deadline: .seconds(10)))
        XCTAssertTrue(a[1].array == first.bytes, "the first message is untouched by the second receive")
        XCTAssertTrue(b[1].array == second.bytes)
        XCTAssertNil(try router.receiveFrames(deadline: .milliseconds(20)))
    }
}
