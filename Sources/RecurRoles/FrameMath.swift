// FrameMath: arithmetic straight on a frame's little-endian bytes, so a gradient is never copied
// into an array first.
import RecurMath
import RecurWire

/// Checks and sums on F32 frames.
enum FrameMath {
    /// Whether every float of an F32 frame is finite: x − x is 0 for a finite x and NaN for NaN or
    /// ±Inf, and eight independent lanes keep the scan at memory speed.
    static func allFinite(_ f: WireFrame) -> Bool {
        f.payload.withUnsafeBytes { raw in
            let n = raw.count / 4
            var i = 0
            #if _endian(little)
            var acc = SIMD8<Float>()
            while i + 8 <= n {
                let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                acc += x - x
                i += 8
            }
            guard acc == SIMD8<Float>() else { return false }
            #endif
            var bad: Float = 0
            while i < n {
                let x = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                bad += x - x
                i += 1
            }
            return bad == 0
        }
    }

    /// sum += frame, element by element in index order.
    static func accumulate(_ f: WireFrame, into sum: FloatBuffer) {
        accumulate(f, from: 0, count: min(sum.count, f.elementCount), into: sum.pointer)
    }

    /// out[i] += frame[first + i] for i in 0..<count, in index order; with `assign`,
    /// out[i] = 0 + frame[first + i], which has the bits of zeroing `out` first (−0 becomes +0)
    /// without a pass of its own.
    static func accumulate(_ f: WireFrame, from first: Int, count: Int, into out: UnsafeMutablePointer<Float>,
                           assign: Bool = false) {
        f.payload.withUnsafeBytes { raw in
            precondition((first + count) * 4 <= raw.count, "range outside the frame")
            var i = 0
            #if _endian(little)
            while i + 8 <= count {  // element-wise either way: the same bits, eight at a time
                let g = raw.loadUnaligned(fromByteOffset: (first + i) * 4, as: SIMD8<Float>.self)
                let s = assign ? SIMD8<Float>() : UnsafeRawPointer(out + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: s + g, as: SIMD8<Float>.self)
                i += 8
            }
            #endif
            while i < count {
                let g = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: (first + i) * 4, as: UInt32.self)))
                out[i] = (assign ? 0 : out[i]) + g
                i += 1
            }
        }
    }
}
