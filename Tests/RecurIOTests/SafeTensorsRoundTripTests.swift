// Round-trip, determinism and file helper tests for SafeTensors.
import Foundation
import RecurIO
import XCTest

final class SafeTensorsRoundTripTests: XCTestCase {
    private func sample() -> [TensorRecord] {
        [
            TensorRecord(name: "embedding.weight", shape: [3, 2], values: [1, -2, 3.5, 0, -0.0, 1e-30]),
            TensorRecord(name: "scalar", shape: [], values: [42]),
            TensorRecord(name: "empty", shape: [0, 5], values: []),
            TensorRecord(name: "cell.0.bias", shape: [2, 1, 2], values: [.infinity, -.infinity, .pi, 7]),
        ]
    }

    func testRoundTripPreservesTensorsShapesAndMetadata() throws {
        let metadata = ["format": "pt", "config": "{\"hidden\": 64}", "note": "line1\nline2 é🙂 \"q\" \\"]
        let bytes = try SafeTensors.encode(sample(), metadata: metadata)
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.tensors, sample())
        XCTAssertEqual(decoded.metadata, metadata)
        XCTAssertEqual(decoded.tensors.map(\.shape), [[3, 2], [], [0, 5], [2, 1, 2]])
    }

    func testNaNBitPatternsSurvive() throws {
        let nan = Float(bitPattern: 0x7FC0_1234)
        let bytes = try SafeTensors.encode([TensorRecord(name: "n", shape: [1], values: [nan])], metadata: [:])
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.tensors.first?.values.first?.bitPattern, 0x7FC0_1234)
        XCTAssertEqual(decoded.metadata, [:])
    }

    func testEncodingIsDeterministic() throws {
        var first: [String: String] = [:]
        var second: [String: String] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { first[key] = "v" + key }
        for key in keys.reversed() { second[key] = "v" + key }
        let a = try SafeTensors.encode(sample(), metadata: first)
        let b = try SafeTensors.encode(sample(), metadata: second)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, try SafeTensors.encode(sample(), metadata: first))
    }

    func testDecodeReturnsTensorsInDataOffsetOrder() throws {
        let header = #"{"second":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"#
            + #""first":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let decoded = try SafeTensors.decode(rawSafetensors(header: header, data: floatBytes([1, 2])))
        XCTAssertEqual(decoded.tensors.map(\.name), ["first", "second"])
        XCTAssertEqual(decoded.tensors.map(\.values), [[1], [2]])
    }

    func testLargeTensorRoundTrip() throws {
        let count = 20_000_000
        var values = [Float](repeating: 0, count: count)
        for index in stride(from: 0, to: count, by: 9973) { values[index] = Float(index) * 0.5 }
        let tensors = [TensorRecord(name: "big", shape: [count / 1000, 1000], values: values)]
        let bytes = try SafeTensors.encode(tensors, metadata: [:])
        XCTAssertEqual(bytes.count % 8, 0)
        let decoded = try SafeTensors.decode(bytes)
        XCTAssertEqual(decoded.tensors.first?.values.count, count)
        XCTAssertTrue(decoded.tensors.first?.values == values)
    }

    func testWriteReadAndReadHeader() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        try SafeTensors.write(sample(), metadata: ["step": "12"], to: path)
        let loaded = try SafeTensors.read(path: path)
        XCTAssertEqual(loaded.tensors, sample())
        XCTAssertEqual(loaded.metadata, ["step": "12"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["model.safetensors"])

        let header = try SafeTensors.readHeader(path: path)
        XCTAssertEqual(header.metadata, ["step": "12"])
        XCTAssertEqual(header.tensors.map(\.name), ["embedding.weight", "scalar", "empty", "cell.0.bias"])
        XCTAssertEqual(header.tensors.map(\.dataOffsets), [0..<24, 24..<28, 28..<28, 28..<44])
        XCTAssertEqual(header.dataStart % 8, 0)
        XCTAssertEqual(header.dataStart + 44, try readBytes(path).count)
    }

    func testReadErrorsNameThePath() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = directory + "/missing.safetensors"
        XCTAssertThrowsError(try SafeTensors.read(path: missing)) { error in
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        let corrupt = directory + "/corrupt.safetensors"
        try writeBytes(rawSafetensors(header: "{\"a\":1}"), to: corrupt)
        XCTAssertThrowsError(try SafeTensors.read(path: corrupt)) { error in
            XCTAssertTrue("\(error)".hasPrefix(corrupt + ": "), "\(error)")
            guard case .inFile(let path, .badTensorEntry)? = error as? SafeTensorsError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(path, corrupt)
        }
        XCTAssertThrowsError(try SafeTensors.readHeader(path: corrupt)) { error in
            XCTAssertTrue("\(error)".contains(corrupt), "\(error)")
        }
    }
}
