// MetricsWriterFailureTests: an append that the kernel takes only in part (here a file-size limit,
// as a full disk would) is undone, so metrics.jsonl never ends in half a line.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class MetricsWriterFailureTests: XCTestCase {
    func testAnAppendCutShortLeavesTheFileAsItWas() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("recur-metrics-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/metrics.jsonl"
        let writer = try MetricsWriter(path: path)
        defer { writer.close() }
        try writer.append([("step", .int(1))])
        let before = try XCTUnwrap(FileManager.default.contents(atPath: path))

        // Let the file grow by 5 bytes only: write(2) takes 5 bytes, then fails with EFBIG.
        signal(SIGXFSZ, SIG_IGN)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Self.fileSize, &saved), 0)
        var limited = saved
        limited.rlim_cur = rlim_t(before.count + 5)
        XCTAssertEqual(setrlimit(Self.fileSize, &limited), 0)
        let failed: Bool
        do {
            try writer.append([("step", .int(2)), ("note", .string(String(repeating: "x", count: 100)))])
            failed = false
        } catch { failed = true }
        XCTAssertEqual(setrlimit(Self.fileSize, &saved), 0)

        XCTAssertTrue(failed, "an append past the file-size limit must throw")
        XCTAssertEqual(FileManager.default.contents(atPath: path), before, "the file must be cut back to its last whole line")
        try writer.append([("step", .int(3))])  // and appending goes on after it
        XCTAssertEqual(String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: path)), as: UTF8.self),
                       "{\"step\":1}\n{\"step\":3}\n")
    }

    /// `RLIMIT_FSIZE` as `getrlimit`/`setrlimit` take it on Glibc.
    static let fileSize = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
}
