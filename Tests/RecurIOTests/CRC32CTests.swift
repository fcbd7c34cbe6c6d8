// CRC32C tests: standard check values, RFC 3720 vectors, chaining, and a bitwise reference.
import RecurIO
import XCTest

final class CRC32CTests: XCTestCase {
    /// Straightforward bit-at-a-time CRC-32C used as an independent reference.
    private func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    func testStandardCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    func testRFC3720Vectors() {
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
    }

    func testMatchesBitwiseReferenceAtAllLengthsAndAlignments() {
        var generator = SeededGenerator(seed: 7)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<8 {
            for length in 0...(data.count - start - 8) where length % 7 == 0 || length < 24 {
                let slice = Array(data[start..<(start + length)])
                let fast = data.withUnsafeBytes {
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + length)]))
                }
                XCTAssertEqual(fast, reference(slice), "start \(start) length \(length)")
            }
        }
    }

    func testIncrementalSeedMatchesWholeBuffer() {
        var generator = SeededGenerator(seed: 99)
        let data = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = CRC32C.checksum(data)
        XCTAssertEqual(whole, reference(data))
        for split in [0, 1, 7, 8, 9, 63, 4_999, 9_999, 10_000] {
            let first = CRC32C.checksum(Array(data[..<split]))
            XCTAssertEqual(CRC32C.checksum(Array(data[split...]), seed: first), whole, "split \(split)")
        }
        var running: UInt32 = 0
        for chunk in stride(from: 0, to: data.count, by: 333) {
            running = CRC32C.checksum(Array(data[chunk..<min(chunk + 333, data.count)]), seed: running)
        }
        XCTAssertEqual(running, whole)
    }

    func testHexFormatting() {
        XCTAssertEqual(CRC32C.hex(0xE306_9283), "e3069283")
        XCTAssertEqual(CRC32C.hex(0xAB), "000000ab")
        XCTAssertEqual(CRC32C.hex(0), "00000000")
    }
}
