// Tests of StreamLayout: stream arithmetic, chunk filling against a naive layout, errors, splits.

import RecurData
import XCTest

final class StreamLayoutTests: XCTestCase {
    /// Distinct pseudo-random token values so any misplaced index shows up.
    private func tokens(_ count: Int) -> [Int32] {
        (0..<count).map { Int32(($0 * 7919 + 13) % 100_003) }
    }

    func testStreamArithmetic() throws {
        let layout = try StreamLayout(tokenCount: 103, batch: 4, bptt: 5)
        XCTAssertEqual(layout.streamLength, 25)  // (103 - 1) / 4
        XCTAssertEqual(layout.chunksPerEpoch, 5)
        XCTAssertEqual(layout.batch, 4)
        XCTAssertEqual(layout.bptt, 5)
        XCTAssertEqual(try StreamLayout(tokenCount: 103, batch: 4, bptt: 6).chunksPerEpoch, 4)
    }

    func testFillMatchesNaiveReconstruction() throws {
        let data = tokens(1000)
        let (batch, bptt) = (6, 7)
        let layout = try StreamLayout(tokenCount: data.count, batch: batch, bptt: bptt)
        let k = layout.streamLength
        XCTAssertEqual(k, 166)
        XCTAssertEqual(layout.chunksPerEpoch, 23)
        // Naive: stream b is data[b·k ... b·k + k] (k inputs plus one trailing target).
        let streams = (0..<batch).map { Array(data[($0 * k)...($0 * k + k)]) }
        for lanes in [0..<batch, 2..<5, 3..<4] {
            let n = lanes.count
            for chunk in 0..<layout.chunksPerEpoch {
                let (inputs, targets) = layout.chunk(chunk, lanes: lanes, from: data)
                for t in 0..<bptt {
                    for (j, lane) in lanes.enumerated() {
                        XCTAssertEqual(inputs[t * n + j], streams[lane][chunk * bptt + t])
                        XCTAssertEqual(targets[t * n + j], streams[lane][chunk * bptt + t + 1])
                    }
                }
            }
        }
    }

    func testChunksContinueEachStreamAcrossAnEpoch() throws {
        let data = tokens(501)
        let layout = try StreamLayout(tokenCount: data.count, batch: 5, bptt: 10)
        var lane2: [Int32] = []
        var targets2: [Int32] = []
        data.withUnsafeBufferPointer { source in
            var inputs = [Int32](repeating: -1, count: 10 * 5)
            var targets = [Int32](repeating: -1, count: 10 * 5)
            for chunk in 0..<layout.chunksPerEpoch {
                inputs.withUnsafeMutableBufferPointer { i in
                    targets.withUnsafeMutableBufferPointer { o in
                        layout.fill(chunk: chunk, lanes: 0..<5, from: source, inputs: i.baseAddress!, targets: o.baseAddress!)
                    }
                }
                for t in 0..<10 {
                    lane2.append(inputs[t * 5 + 2])
                    targets2.append(targets[t * 5 + 2])
                }
            }
        }
        XCTAssertEqual(lane2, Array(data[200..<300]))
        XCTAssertEqual(targets2, Array(data[201...300]))
    }

    func testTooShortNamesBatchAndBptt() throws {
        XCTAssertNoThrow(try StreamLayout(tokenCount: 4 * 5 + 1, batch: 4, bptt: 5))
        XCTAssertThrowsError(try StreamLayout(tokenCount: 4 * 5, batch: 4, bptt: 5)) { error in
            guard let error = error as? CorpusError else { return XCTFail("wrong error \(error)") }
            XCTAssertEqual(error, .tooShort(needed: 21, have: 20, batch: 4, bptt: 5))
            let message = error.description
            XCTAssertTrue(message.contains("B=4") && message.contains("T=5"), message)
            XCTAssertTrue(message.contains("21") && message.contains("20"), message)
            XCTAssertFalse(message.contains("\n"))
        }
        XCTAssertThrowsError(try StreamLayout(tokenCount: 0, batch: 1, bptt: 1))
    }

    func testSplitTakesValidationFromTheEnd() {
        let data = tokens(100)
        let none = StreamLayout.split(tokens: data, valFraction: 0)
        XCTAssertEqual(none.train, data)
        XCTAssertEqual(none.val, [])
        let tenth = StreamLayout.split(tokens: data, valFraction: 0.1)
        XCTAssertEqual(tenth.train, Array(data[..<90]))
        XCTAssertEqual(tenth.val, Array(data[90...]))
        let odd = StreamLayout.split(tokens: data, valFraction: 0.29)
        XCTAssertEqual(odd.val.count, 29)
        XCTAssertEqual(odd.train + odd.val, data)
        let all = StreamLayout.split(tokens: data, valFraction: 1)
        XCTAssertEqual(all.train, [])
        XCTAssertEqual(all.val, data)
    }
}
