// TensorBoardReader: every damaged byte and every cut is caught and named by its record.
import Foundation
import RecurBoard
import XCTest

final class TensorBoardReaderTests: XCTestCase {
    /// A small file: the version event and two summaries, with the byte offset of each record.
    private func sample() throws -> (path: String, bytes: [UInt8], starts: [Int]) {
        let writer = try TensorBoardWriter(directory: makeBoardDirectory(self), wallTime: 10, hostname: "h")
        var starts = [0]
        starts.append(try fileBytes(writer.path).count)
        try writer.write(step: 1, scalars: [("train/loss", 2.5), ("opt/lr", 0.01)], wallTime: 11)
        starts.append(try fileBytes(writer.path).count)
        try writer.write(step: 2, scalars: [("val/loss", 2.75)], wallTime: 12)
        writer.close()
        return (writer.path, try fileBytes(writer.path), starts)
    }

    /// The record that byte `offset` belongs to.
    private func record(of offset: Int, _ starts: [Int]) -> Int {
        starts.lastIndex { $0 <= offset }!
    }

    func testEveryFlippedByteIsCaughtInItsRecord() throws {
        let (path, bytes, starts) = try sample()
        for offset in bytes.indices {
            var damaged = bytes
            damaged[offset] ^= 0x20
            let index = record(of: offset, starts)
            let start = starts[index]
            // A damaged length or length checksum fails the length check (nothing after it can
            // be framed); damaged data or its checksum fails the data check.
            let expected: TensorBoardError = offset - start < 12
                ? .lengthChecksum(path: path, record: index, offset: start)
                : .dataChecksum(path: path, record: index, offset: start)
            XCTAssertThrowsError(try TensorBoardReader.events(in: damaged, path: path), "byte \(offset)") { error in
                XCTAssertEqual(error as? TensorBoardError, expected, "byte \(offset)")
            }
        }
    }

    func testEveryCutInsideARecordIsTruncation() throws {
        let (path, bytes, starts) = try sample()
        for count in 0..<bytes.count {
            let cut = Array(bytes[0..<count])
            if starts.contains(count) {
                XCTAssertEqual(try TensorBoardReader.events(in: cut, path: path).count, starts.firstIndex(of: count))
                continue
            }
            let index = record(of: count, starts)
            XCTAssertThrowsError(try TensorBoardReader.events(in: cut, path: path), "cut at \(count)") { error in
                XCTAssertEqual(error as? TensorBoardError, .truncated(path: path, record: index, offset: starts[index]))
                XCTAssertEqual("\(error)", "\(path): record \(index) at byte \(starts[index]) is truncated (the file ends inside it)")
            }
        }
    }

    func testAFileCutOnDiskIsReportedByName() throws {
        let (path, bytes, starts) = try sample()
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TensorBoardReader.read(path: path)) { error in
            XCTAssertEqual(error as? TensorBoardError, .truncated(path: path, record: 2, offset: starts[2]))
        }
    }

    /// A well-framed record whose data is not protobuf is named as such, not as a CRC failure.
    func testWellFramedGarbageIsUndecodable() throws {
        let (path, bytes, _) = try sample()
        // Field 1 (wall_time) with wire type 1 needs 8 bytes; a record holding only its tag is cut.
        let garbage: [UInt8] = [0x09]
        var record: [UInt8] = []
        withUnsafeBytes(of: UInt64(garbage.count).littleEndian) { record += $0 }
        let lengthCRC = maskedCRC(record)
        withUnsafeBytes(of: lengthCRC.littleEndian) { record += $0 }
        record += garbage
        withUnsafeBytes(of: maskedCRC(garbage).littleEndian) { record += $0 }
        XCTAssertThrowsError(try TensorBoardReader.events(in: bytes + record, path: path)) { error in
            XCTAssertEqual(error as? TensorBoardError, .undecodable(path: path, record: 3, offset: bytes.count))
        }
    }

    func testAMissingFileThrowsNamingIt() {
        XCTAssertThrowsError(try TensorBoardReader.read(path: "/nonexistent/events.out.tfevents.1.h")) { error in
            XCTAssertEqual("\(error)", "open /nonexistent/events.out.tfevents.1.h: No such file or directory")
        }
    }

    /// TensorBoard's masked CRC32C, written out here from its definition.
    private func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        crc = ~crc
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
