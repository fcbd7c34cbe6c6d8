// The fuzz input as Swift values: the bytes, and the wire harness's split of them into frames.

/// Turns libFuzzer's raw input into what the decoders take.
public enum FuzzInput {
    /// The input's bytes, copied into an array (libFuzzer may pass a null pointer with size 0).
    /// - Parameters:
    ///   - data: libFuzzer's buffer.
    ///   - size: its length in bytes.
    /// - Returns: the `size` bytes at `data`.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Most frames `frames(_:)` makes; a real message has at most a few dozen.
    public static let maxFrames = 64

    /// Splits `bytes` into ZeroMQ frames with a length-prefix scheme, so that the fuzzer can
    /// change the number of frames and each frame's size independently.
    ///
    /// The input is a sequence of `[length: UInt16, little-endian][length bytes]` records; each
    /// record is one frame. A record whose length runs past the end takes the bytes that remain,
    /// and a lone trailing byte is an empty frame. After `maxFrames` frames the rest is ignored.
    /// An empty input gives no frames at all (which the decoder must refuse).
    /// - Parameter bytes: the fuzz input.
    /// - Returns: the frames, frame 0 first.
    public static func frames(_ bytes: [UInt8]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var at = 0
        while at < bytes.count, frames.count < maxFrames {
            guard at + 2 <= bytes.count else { frames.append([]); break }
            let length = Int(bytes[at]) | Int(bytes[at + 1]) << 8
            let start = at + 2
            let end = min(start + length, bytes.count)
            frames.append(Array(bytes[start..<end]))
            at = end
        }
        return frames
    }

    /// The inverse of `frames(_:)`, for building seed inputs from encoded messages.
    /// - Parameter frames: frames of at most 65535 bytes each.
    /// - Returns: the length-prefixed bytes; nil when a frame is too large for the scheme.
    public static func joined(_ frames: [[UInt8]]) -> [UInt8]? {
        var out: [UInt8] = []
        for frame in frames {
            guard frame.count <= Int(UInt16.max) else { return nil }
            out.append(UInt8(frame.count & 0xFF))
            out.append(UInt8(frame.count >> 8))
            out.append(contentsOf: frame)
        }
        return out
    }
}
