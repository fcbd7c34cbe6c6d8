// Exact byte-layout tests for SafeTensors.encode: length field, header text, padding, offsets.
import RecurIO
import XCTest

final class SafeTensorsLayoutTests: XCTestCase {
    private func lengthField(_ bytes: [UInt8]) -> Int {
        (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    }

    func testTinyFileExactBytes() throws {
        let bytes = try SafeTensors.encode([TensorRecord(name: "a", shape: [2], values: [1.0, -2.0])], metadata: [:])
        let json = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertEqual(json.utf8.count, 54)
        // 8 + 54 = 62, padded to 64 with two spaces, so the length field says 56.
        let expected: [UInt8] = [56, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8) + [0x20, 0x20]
            + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
        XCTAssertEqual(bytes, expected)
    }

    func testMetadataComesFirstWithSortedKeysAndOffsetsAreContiguous() throws {
        let tensors = [
            TensorRecord(name: "w", shape: [2], values: [1, 2]),
            TensorRecord(name: "b", shape: [3], values: [3, 4, 5]),
        ]
        let bytes = try SafeTensors.encode(tensors, metadata: ["z": "last", "a": "first"])
        let length = lengthField(bytes)
        XCTAssertEqual((8 + length) % 8, 0)
        let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let json = #"{"__metadata__":{"a":"first","z":"last"},"#
            + #""w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}"#
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces), json)
        XCTAssertEqual(header.count - json.count, (8 - (8 + json.count) % 8) % 8)
        XCTAssertTrue(header.dropFirst(json.count).allSatisfy { $0 == " " })
        XCTAssertEqual(bytes.count, 8 + length + 20)
        XCTAssertEqual(Array(bytes[(8 + length)...]), floatBytes([1, 2, 3, 4, 5]))
    }

    func testEmptyFileIsAlignedObject() throws {
        let bytes = try SafeTensors.encode([], metadata: [:])
        XCTAssertEqual(bytes, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertTrue(decoded.tensors.isEmpty)
        XCTAssertTrue(decoded.metadata.isEmpty)
    }

    func testHeaderLengthIsAlwaysPaddedToEightBytes() throws {
        for nameLength in 1...16 {
            let name = String(repeating: "x", count: nameLength)
            let bytes = try SafeTensors.encode([TensorRecord(name: name, shape: [1], values: [1])], metadata: [:])
            let length = lengthField(bytes)
            XCTAssertEqual((8 + length) % 8, 0, "name length \(nameLength)")
            XCTAssertEqual(bytes.count, 8 + length + 4)
            let header = Array(bytes[8..<(8 + length)])
            let padding = header.reversed().prefix { $0 == 0x20 }.count
            XCTAssertLessThan(padding, 8)
            XCTAssertEqual(header[header.count - padding - 1], UInt8(ascii: "}"))
        }
    }

    func testNamesAreEscapedInHeader() throws {
        let name = "quote\"back\\slash\nnew\u{01}ctl"
        let bytes = try SafeTensors.encode([TensorRecord(name: name, shape: [1], values: [1])], metadata: [:])
        let header = String(decoding: bytes[8..<(8 + lengthField(bytes))], as: UTF8.self)
        XCTAssertTrue(header.contains(#""quote\"back\\slash\nnew\u0001ctl""#), header)
        XCTAssertEqual(try SafeTensors.decode(bytes).tensors.first?.name, name)
    }
}
