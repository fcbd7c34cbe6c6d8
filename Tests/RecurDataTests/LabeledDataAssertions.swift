// LabeledDataAssertions: shared checks that a labelled-data error names its file, line and reason.

import Foundation
import RecurData
import XCTest

/// Asserts that `body` throws exactly `expected`, and that its one-line message names the file,
/// the line (when given) and contains `reason`.
func assertLabeledError<T>(_ body: @autoclosure () throws -> T, _ expected: LabeledDataError,
                           path: String, line: Int?, reason: String,
                           file: StaticString = #filePath, at sourceLine: UInt = #line) {
    XCTAssertThrowsError(try body(), file: file, line: sourceLine) { error in
        XCTAssertEqual(error as? LabeledDataError, expected, file: file, line: sourceLine)
        let message = String(describing: error)
        XCTAssertTrue(message.contains("'\(path)'"), "no file in: \(message)", file: file, line: sourceLine)
        if let line {
            XCTAssertTrue(message.contains("line \(line):"), "no line \(line) in: \(message)", file: file, line: sourceLine)
        }
        XCTAssertTrue(message.contains(reason), "no '\(reason)' in: \(message)", file: file, line: sourceLine)
        XCTAssertFalse(message.contains("\n"), message, file: file, line: sourceLine)
    }
}

/// A temporary folder for test files, removed by `remove()`.
struct ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("recurdata-labeled-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` and returns its path.
    func write(_ bytes: [UInt8], name: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
