// Truncation and fuzz tests: SafeTensors.decode must throw cleanly on hostile bytes, never trap.
import RecurIO
import XCTest

final class SafeTensorsHostileInputTests: XCTestCase {
    private func validFile() throws -> [UInt8] {
        try SafeTensors.encode([
            TensorRecord(name: "w", shape: [2, 2], values: [1, 2, 3, 4]),
            TensorRecord(name: "b", shape: [3], values: [5, 6, 7]),
        ], metadata: ["kind": "gru", "layers": "2"])
    }

    /// Decodes and checks the outcome is either a consistent result or a one-line SafeTensorsError.
    private func checkOutcome(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        do {
            let decoded = try SafeTensors.decode(bytes)
            var dataBytes = 0
            for tensor in decoded.tensors {
                XCTAssertEqual(tensor.shape.reduce(1, *), tensor.values.count, file: file, line: line)
                dataBytes += tensor.values.count * 4
            }
            XCTAssertLessThanOrEqual(dataBytes, bytes.count - 8, file: file, line: line)
            return true
        } catch let error as SafeTensorsError {
            let message = error.description
            XCTAssertFalse(message.isEmpty, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "multi-line message: \(message)", file: file, line: line)
            return false
        } catch {
            XCTFail("unexpected error type \(type(of: error)): \(error)", file: file, line: line)
            return false
        }
    }

    func testEveryTruncatedPrefixThrows() throws {
        let bytes = try validFile()
        XCTAssertTrue(checkOutcome(bytes))
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors.decode(Array(bytes[0..<length])), "prefix \(length)") { error in
                XCTAssertTrue(error is SafeTensorsError, "prefix \(length): \(error)")
            }
        }
    }

    func testRandomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        var failures = 0
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<96, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if count >= 8 && Bool.random(using: &generator) {
                // Make the length field plausible so the JSON parser sees the random bytes.
                bytes[0] = UInt8(Int.random(in: 0...(count - 8), using: &generator))
                for index in 1..<8 { bytes[index] = 0 }
            }
            if !checkOutcome(bytes) { failures += 1 }
        }
        XCTAssertGreaterThan(failures, 1900, "random bytes should almost never form a valid file")
    }

    func testMutatedValidFilesNeverCrash() throws {
        let original = try validFile()
        var generator = SeededGenerator(seed: 42)
        var failures = 0
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                let choices: [UInt8] = [0, 0xFF, UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "\""),
                                        UInt8(ascii: "}"), UInt8(ascii: "["), UInt8.random(in: 0...255, using: &generator)]
                bytes[index] = choices[Int.random(in: 0..<choices.count, using: &generator)]
            }
            if Bool.random(using: &generator) {
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
            }
            if !checkOutcome(bytes) { failures += 1 }
        }
        XCTAssertGreaterThan(failures, 0)
    }

    func testHostileNumbersAndNestingAreRejected() {
        let cases = [
            #"{"a":{"dtype":"F32","shape":[9223372036854775807,9223372036854775807],"data_offsets":[0,0]}}"#,
            #"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#,
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[99999999999999999999999,4]}}"#,
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[1e400,4]}}"#,
            String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\u12\"}",
        ]
        for header in cases {
            XCTAssertThrowsError(try SafeTensors.decode(rawSafetensors(header: header, data: [0, 0, 0, 0]))) { error in
                XCTAssertTrue(error is SafeTensorsError, "\(error)")
            }
        }
    }
}
