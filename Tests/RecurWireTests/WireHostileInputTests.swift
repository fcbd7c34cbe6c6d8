// Fuzz and truncation tests: WireCodec.decode must throw cleanly on hostile bytes, never trap.
import RecurWire
import XCTest

final class WireHostileInputTests: XCTestCase {
    /// Decodes `frames`; returns the message, or nil after checking the error is a one-line WireError.
    @discardableResult
    private func outcome(_ frames: [[UInt8]], file: StaticString = #filePath, line: UInt = #line) -> WireMessage? {
        do {
            let message = try WireCodec.decode(frames, expectedRun: Samples.run, maxBytes: 1 << 20)
            for (frame, bytes) in zip(message.frames, frames.dropFirst()) {
                XCTAssertEqual(frame.payload.count, frame.elementCount * 4, file: file, line: line)
                XCTAssertEqual(frame.payload.array, bytes, file: file, line: line)
            }
            return message
        } catch let error as WireError {
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), error.description, file: file, line: line)
            return nil
        } catch {
            XCTFail("unexpected error type \(type(of: error)): \(error)", file: file, line: line)
            return nil
        }
    }

    func testEveryTruncationOfAValidEnvelopeThrows() throws {
        for (body, frames) in try Samples.all() {
            let encoded = WireCodec.encode(Samples.message(body, frames))
            XCTAssertNotNil(outcome(encoded), body.kind)
            for length in 0..<encoded[0].count {
                let truncated = [Array(encoded[0][..<length])] + encoded.dropFirst()
                XCTAssertNil(outcome(truncated), "\(body.kind): prefix of \(length) bytes decoded")
            }
        }
    }

    func testRandomBytesThrow() {
        var rng = SplitMix(0x5EED)
        for iteration in 0..<5000 {
            let frameCount = 1 + rng.below(3)
            let frames = (0..<frameCount).map { index in rng.bytes(index == 0 ? rng.below(160) : 4 * rng.below(5)) }
            XCTAssertNil(outcome(frames), "iteration \(iteration) decoded random bytes")
        }
    }

    func testRandomEnvelopesWithAValidHeaderThrowOrStayConsistent() {
        // A valid version, run and heartbeat body followed by random fields: exercises the
        // frame-spec checks with garbage shapes, dtypes and names.
        var rng = SplitMix(0xF00D)
        for _ in 0..<3000 {
            var envelope = ProtoWriter.envelope()
            envelope.heartbeatBody()
            envelope.bytes += rng.bytes(rng.below(64))
            let payloads = (0..<rng.below(3)).map { _ in rng.bytes(4 * rng.below(4)) }
            outcome([envelope.bytes] + payloads)
        }
    }

    func testMutatedValidMessagesNeverTrap() throws {
        var rng = SplitMix(0xBAD)
        let samples = try Samples.all()
        for iteration in 0..<4000 {
            let (body, frames) = samples[iteration % samples.count]
            var encoded = WireCodec.encode(Samples.message(body, frames))
            for _ in 0...rng.below(4) {
                let position = rng.below(encoded[0].count)
                encoded[0][position] = UInt8(truncatingIfNeeded: rng.next())
            }
            outcome(encoded)
        }
    }

    func testHugeDeclaredCountsDoNotAllocate() {
        // A length prefix claiming 2^40 bytes for the sender string.
        var envelope = ProtoWriter()
        envelope.field(1, varint: UInt64(WireProtocol.version))
        envelope.varint(3 << 3 | 2)
        envelope.varint(1 << 40)
        envelope.bytes += [0x41, 0x42]
        XCTAssertNil(outcome([envelope.bytes]))
    }
}
