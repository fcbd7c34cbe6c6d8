// One test per SafeTensorsError validation case, on decode and on encode.
import RecurIO
import XCTest

final class SafeTensorsValidationTests: XCTestCase {
    private func decodeError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> SafeTensorsError? {
        do {
            _ = try SafeTensors.decode(bytes)
            XCTFail("decode unexpectedly succeeded", file: file, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    private func entry(_ name: String = "a", dtype: String = #""F32""#, shape: String = "[1]",
                       offsets: String = "[0,4]") -> String {
        #"{"\#(name)":{"dtype":\#(dtype),"shape":\#(shape),"data_offsets":\#(offsets)}}"#
    }

    func testFileTooShort() {
        XCTAssertEqual(decodeError([1, 2, 3]), .fileTooShort(byteCount: 3))
        XCTAssertEqual(decodeError([]), .fileTooShort(byteCount: 0))
    }

    func testHeaderLengthLimits() {
        XCTAssertEqual(decodeError(rawSafetensors(header: "{}", declaredLength: 100_000_001)),
                       .headerTooLarge(length: 100_000_001))
        XCTAssertEqual(decodeError(rawSafetensors(header: "{}", declaredLength: 3)),
                       .headerBeyondFile(length: 3, fileSize: 10))
        XCTAssertEqual(decodeError(rawSafetensors(header: "{}", declaredLength: UInt64.max)),
                       .headerTooLarge(length: UInt64.max))
    }

    func testHeaderNotJSONOrNotObject() {
        guard case .invalidHeaderJSON? = decodeError(rawSafetensors(header: "{not json")) else {
            return XCTFail("expected invalidHeaderJSON")
        }
        var invalidUTF8 = rawSafetensors(header: "{\"a\":\"xx\"}")
        invalidUTF8[14] = 0xFF
        guard case .invalidHeaderJSON(let detail)? = decodeError(invalidUTF8) else {
            return XCTFail("expected invalidHeaderJSON")
        }
        XCTAssertTrue(detail.contains("UTF-8"), detail)
        XCTAssertEqual(decodeError(rawSafetensors(header: "[1,2]")), .headerNotObject(found: "array"))
    }

    func testBadTensorEntry() {
        guard case .badTensorEntry(let name, _)? = decodeError(rawSafetensors(header: #"{"a":5}"#)) else {
            return XCTFail("expected badTensorEntry")
        }
        XCTAssertEqual(name, "a")
        let repeated = #"{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        guard case .badTensorEntry? = decodeError(rawSafetensors(header: repeated, data: [0, 0, 0, 0])) else {
            return XCTFail("expected badTensorEntry for repeated field")
        }
    }

    func testDtypeErrors() {
        let data: [UInt8] = [0, 0, 0, 0]
        XCTAssertEqual(decodeError(rawSafetensors(header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: data)),
                       .badDtype(name: "a", detail: "missing"))
        guard case .badDtype(name: "a", _)? = decodeError(rawSafetensors(header: entry(dtype: "3"), data: data)) else {
            return XCTFail("expected badDtype")
        }
        let f16 = decodeError(rawSafetensors(header: entry(dtype: #""F16""#), data: data))
        XCTAssertEqual(f16, .unsupportedDtype(name: "a", dtype: "F16"))
        XCTAssertTrue(f16?.description.contains("F16") ?? false)
    }

    func testShapeErrors() {
        let data: [UInt8] = [0, 0, 0, 0]
        XCTAssertEqual(decodeError(rawSafetensors(header: #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, data: data)),
                       .badShape(name: "a", detail: "missing"))
        for shape in ["\"x\"", "[-1]", "[1.5]", "[true]", "[9223372036854775808]", "[3037000500,3037000500,2]"] {
            guard case .badShape(name: "a", _)? = decodeError(rawSafetensors(header: entry(shape: shape), data: data)) else {
                return XCTFail("expected badShape for \(shape)")
            }
        }
    }

    func testDataOffsetErrors() {
        let data: [UInt8] = [0, 0, 0, 0]
        XCTAssertEqual(decodeError(rawSafetensors(header: #"{"a":{"dtype":"F32","shape":[1]}}"#, data: data)),
                       .badDataOffsets(name: "a", detail: "missing"))
        for offsets in ["[0]", "[0,4,8]", "[\"0\",\"4\"]", "[-4,0]", "[4,0]", "{}"] {
            guard case .badDataOffsets(name: "a", _)? = decodeError(rawSafetensors(header: entry(offsets: offsets), data: data))
            else { return XCTFail("expected badDataOffsets for \(offsets)") }
        }
    }

    func testSizeMismatch() {
        let error = decodeError(rawSafetensors(header: entry(shape: "[2]", offsets: "[0,4]"), data: [0, 0, 0, 0]))
        XCTAssertEqual(error, .sizeMismatch(name: "a", shape: [2], expectedBytes: 8, actualBytes: 4))
    }

    func testOffsetsOutOfRange() {
        let error = decodeError(rawSafetensors(header: entry(shape: "[2]", offsets: "[0,8]"), data: [0, 0, 0, 0]))
        XCTAssertEqual(error, .offsetsOutOfRange(name: "a", begin: 0, end: 8, bufferSize: 4))
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        XCTAssertEqual(decodeError(rawSafetensors(header: header, data: Array(repeating: 0, count: 12))),
                       .overlappingTensors(first: "a", second: "b"))
    }

    func testNonStringMetadata() {
        guard case .badMetadata(let detail)? = decodeError(rawSafetensors(header: #"{"__metadata__":{"k":1}}"#)) else {
            return XCTFail("expected badMetadata")
        }
        XCTAssertTrue(detail.contains("\"k\""), detail)
        guard case .badMetadata? = decodeError(rawSafetensors(header: #"{"__metadata__":["x"]}"#)) else {
            return XCTFail("expected badMetadata for array")
        }
    }

    func testDuplicateNames() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        XCTAssertEqual(decodeError(rawSafetensors(header: header, data: Array(repeating: 0, count: 8))),
                       .duplicateName("a"))
    }

    func testEncodeRejectsInconsistentTensors() {
        let cases: [([TensorRecord], String)] = [
            ([TensorRecord(name: "a", shape: [2], values: [1])], "count"),
            ([TensorRecord(name: "a", shape: [-1], values: [])], "negative"),
            ([TensorRecord(name: "__metadata__", shape: [], values: [1])], "reserved"),
            ([TensorRecord(name: "a", shape: [Int.max, 2], values: [])], "overflow"),
        ]
        for (tensors, label) in cases {
            XCTAssertThrowsError(try SafeTensors.encode(tensors, metadata: [:]), label) { error in
                guard case .invalidTensor? = error as? SafeTensorsError else { return XCTFail("\(label): \(error)") }
            }
        }
        let twice = [TensorRecord(name: "a", shape: [], values: [1]), TensorRecord(name: "a", shape: [], values: [2])]
        XCTAssertThrowsError(try SafeTensors.encode(twice, metadata: [:])) { error in
            XCTAssertEqual(error as? SafeTensorsError, .duplicateName("a"))
        }
    }
}
