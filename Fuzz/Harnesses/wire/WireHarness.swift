// Fuzz harness: the whole path of a received message — WireCodec.decode of the frames, then
// the reads a role makes of its payload frames — with a re-encoding check.
import FuzzSupport
import RecurWire

/// Stands in for the shared-memory mapping: a reference with an even token resolves to zeros
/// (at most 64 KiB, as a mapped slot is bounded), any other is unavailable, so both of the
/// decoder's branches for shared frames run.
struct FuzzSharedResolver: WireSharedResolver {
    /// Zeros for an even token and a small payload; `WireError.sharedUnavailable` otherwise.
    func payload(for ref: WireSharedRef, byteCount: Int, frame: String) throws -> WireBytes {
        guard ref.token % 2 == 0, byteCount <= 1 << 16 else {
            throw WireError.sharedUnavailable(frame: frame, detail: "fuzz: not mapped")
        }
        return WireBytes([UInt8](repeating: 0, count: byteCount))
    }
}

/// The frame names the roles look up with `WireMessage.frame(named:)`.
let roleFrameNames = ["inputs", "targets", "lengths", "state", "gradient", "params"]

/// Reads every frame as the roles would: by name, as floats or int32s, and in slices.
func readFrames(_ message: WireMessage) {
    for name in roleFrameNames {
        guard let frame = try? message.frame(named: name) else { continue }
        _ = try? frame.floats()
        _ = try? frame.int32s()
    }
    for frame in message.frames {
        let values = frame.dtype == .f32 ? (try? frame.floats())?.count : (try? frame.int32s())?.count
        precondition(values == frame.elementCount, "a decoded frame's values disagree with its element count")
        guard frame.dtype == .f32, frame.elementCount > 0 else { continue }
        var half = [Float](repeating: 0, count: (frame.elementCount + 1) / 2)
        half.withUnsafeMutableBufferPointer { _ = try? frame.copyFloats(into: $0, from: frame.elementCount / 2) }
    }
}

/// libFuzzer's entry point: splits `data` into frames (`FuzzInput.frames`) and decodes them.
/// A message that decodes must re-encode to frames that decode to the same encoding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let frames = FuzzInput.frames(FuzzInput.bytes(data, size))
    let resolver = FuzzSharedResolver()
    guard let message = try? WireCodec.decode(frames, expectedRun: nil, shared: resolver) else { return 0 }
    readFrames(message)
    let encoded = WireCodec.encode(message)
    guard let again = try? WireCodec.decode(encoded, expectedRun: message.runID, shared: resolver) else {
        preconditionFailure("a decoded message does not decode after re-encoding")
    }
    precondition(WireCodec.encode(again) == encoded, "re-encoding a decoded message is not stable")
    return 0
}
