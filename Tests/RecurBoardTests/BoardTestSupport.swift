// Shared helpers for RecurBoard tests: temporary folders, whole-file bytes, the one event file.
import Foundation
import RecurBoard
import XCTest

/// A fresh empty folder under the system temp folder, removed when the test ends.
func makeBoardDirectory(_ test: XCTestCase, _ label: String = #function) throws -> String {
    let safe = label.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "recurboard-\(safe)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The names of the event files in `directory`, sorted.
func eventFiles(in directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory)
        .filter { $0.hasPrefix(TensorBoardWriter.filePrefix) }.sorted()
}

/// Reads a whole file in tests.
func fileBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The scalars of `pairs` as the reader returns them: float32, in order.
func stored(_ pairs: [(tag: String, value: Double)]) -> [TensorBoardScalar] {
    pairs.map { TensorBoardScalar(tag: $0.tag, value: Float($0.value)) }
}
