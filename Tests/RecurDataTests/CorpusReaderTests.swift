// Tests of readCorpus: successful reads and each failure written as a real temporary file.

import Foundation
import RecurData
import XCTest

final class CorpusReaderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("recurdata-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ bytes: [UInt8], name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func assertCorpusError(_ path: String, _ expected: CorpusError,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try readCorpus(path: path), file: file, line: line) { error in
            XCTAssertEqual(error as? CorpusError, expected, file: file, line: line)
            let message = String(describing: error)
            XCTAssertTrue(message.contains(path), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
        }
    }

    func testReadsUTF8AndDropsByteOrderMark() throws {
        let text = "the cat .\nÜber 😀\r\n"
        XCTAssertEqual(try readCorpus(path: write(Array(text.utf8), name: "plain.txt")), text)
        XCTAssertEqual(try readCorpus(path: write([0xEF, 0xBB, 0xBF] + Array(text.utf8), name: "bom.txt")), text)
    }

    func testMissingFileIsUnreadableWithReason() {
        let path = directory.appendingPathComponent("nope.txt").path
        XCTAssertThrowsError(try readCorpus(path: path)) { error in
            guard case let .unreadable(reportedPath, reason)? = error as? CorpusError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertEqual(reportedPath, path)
            XCTAssertFalse(reason.isEmpty)
            XCTAssertTrue(String(describing: error).contains(path))
        }
        XCTAssertThrowsError(try readCorpus(path: directory.path)) { error in
            guard case .unreadable? = error as? CorpusError else { return XCTFail("wrong error \(error)") }
        }
    }

    func testEmptyFile() throws {
        assertCorpusError(try write([], name: "empty.txt"), .empty(path: directory.appendingPathComponent("empty.txt").path))
        let bomOnly = try write([0xEF, 0xBB, 0xBF], name: "bom-only.txt")
        assertCorpusError(bomOnly, .empty(path: bomOnly))
    }

    func testInvalidUTF8ReportsFirstBadByte() throws {
        let cases: [(String, [UInt8], Int)] = [
            ("lone-ff.txt", [0x61, 0xFF, 0x62], 1),
            ("truncated.txt", [0x61, 0x62, 0xE2, 0x82], 2),
            ("overlong.txt", [0xC0, 0xAF], 0),
            ("surrogate.txt", [0x61, 0xED, 0xA0, 0x80], 1),
            ("stray-continuation.txt", Array("ok".utf8) + [0x80], 2),
            ("too-large.txt", [0xF4, 0x90, 0x80, 0x80], 0),
        ]
        for (name, bytes, offset) in cases {
            let path = try write(bytes, name: name)
            assertCorpusError(path, .notUTF8(path: path, byteOffset: offset))
        }
        // Valid multi-byte sequences of every length pass.
        let valid = try write(Array("é€😀".utf8), name: "valid.txt")
        XCTAssertEqual(try readCorpus(path: valid), "é€😀")
    }
}
