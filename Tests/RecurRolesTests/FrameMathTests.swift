// FrameMathTests: the server's finite check and accumulation read a frame's little-endian bytes
// and agree with a plain per-element reference wherever the bad value sits (vector body or tail).
import XCTest
@testable import RecurRoles
import RecurMath
import RecurWire

final class FrameMathTests: XCTestCase {
    func testFiniteCheckFindsEveryBadValueAnywhere() throws {
        for count in [1, 7, 8, 9, 1_027, 70_001] {  // the last is checked in two halves, one per thread
            var values = (0..<count).map { Float($0) * 0.5 - 3 }
            XCTAssertTrue(FrameMath.allFinite(try WireFrame(name: "g", shape: [count], floats: values)), "count \(count)")
            for position in Set([0, max(0, count / 2 - 1), count / 2, count - 1]) {
                for bad in [Float.nan, .infinity, -.infinity] {
                    let kept = values[position]
                    values[position] = bad
                    XCTAssertFalse(FrameMath.allFinite(try WireFrame(name: "g", shape: [count], floats: values)),
                                   "\(bad) at \(position) of \(count)")
                    values[position] = kept
                }
            }
            values[0] = .greatestFiniteMagnitude  // huge but finite
            XCTAssertTrue(FrameMath.allFinite(try WireFrame(name: "g", shape: [count], floats: values)))
        }
    }

    func testAccumulateAddsInIndexOrder() throws {
        for count in [1_029, 70_001] {
            let a = (0..<count).map { Float($0) / 7 }, b = (0..<count).map { Float(count - $0) / 3 }
            let sum = FloatBuffer(count: count)
            FrameMath.accumulate(try WireFrame(name: "g", shape: [count], floats: a), into: sum)
            FrameMath.accumulate(try WireFrame(name: "g", shape: [count], floats: b), into: sum)
            XCTAssertEqual(sum.array.map(\.bitPattern), (0..<count).map { ((0 as Float) + a[$0] + b[$0]).bitPattern }, "count \(count)")
        }
    }

    /// The first shard of a step overwrites what the last step left, with the bits of zeroing and
    /// then adding: −0 becomes +0, in the vector body and in the tail alike.
    func testAssignHasTheBitsOfZeroingFirst() throws {
        for count in [5, 8, 1_029, 70_001] {
            let values = (0..<count).map { i -> Float in i % 3 == 0 ? -0.0 : Float(i) / 7 - 40 }
            let frame = try WireFrame(name: "g", shape: [count], floats: values)
            let assigned = FloatBuffer(count: count), zeroed = FloatBuffer(count: count)
            for i in 0..<count { assigned[i] = .nan }  // what an earlier step left behind
            FrameMath.accumulate(frame, from: 0, count: count, into: assigned.pointer, assign: true)
            FrameMath.accumulate(frame, into: zeroed)
            XCTAssertEqual(assigned.array.map(\.bitPattern), zeroed.array.map(\.bitPattern), "count \(count)")
            XCTAssertEqual(assigned[0].bitPattern, (0 as Float).bitPattern, "−0 became +0")
            XCTAssertTrue(assigned.array.allSatisfy { !$0.isNaN })
        }
    }
}
