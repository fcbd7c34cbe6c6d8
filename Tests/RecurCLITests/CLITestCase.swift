// CLITestCase: base class of the CLI tests — a temp folder per test, runs of `recur`, and checks.
import Foundation
import XCTest

/// A test case that runs the real `recur` binary inside its own temporary folder.
class CLITestCase: XCTestCase {
    /// The test's temporary folder (created in setUp, removed in tearDown).
    private(set) var work: URL!

    /// Flags of a tiny training run: seconds in a debug build. Append flags to override;
    /// ArgumentParser keeps the last value of a repeated option.
    static let tinyTrainFlags = ["--hidden", "16", "--layers", "1", "--batch", "4", "--bptt", "8",
                                 "--synthetic-sentences", "300", "--steps", "20", "--quiet"]

    override func setUpWithError() throws {
        try super.setUpWithError()
        work = try TempFolder.make(prefix: "recur-cli")
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
        work = nil
        try super.tearDownWithError()
    }

    /// A path inside the test's folder.
    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// Runs `recur arguments…` in the test's folder.
    func recur(_ arguments: [String], timeout: Double = CLIRunner.defaultTimeoutSeconds) throws -> CLIResult {
        try CLIRunner.run(arguments, in: work, timeout: timeout)
    }

    /// Runs `recur arguments…` and fails the test unless it exits 0.
    @discardableResult
    func recurOK(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try recur(arguments)
        XCTAssertEqual(r.status, 0, "expected success:\n\(r.summary)", file: file, line: line)
        XCTAssertFalse(r.signaled, "killed by a signal:\n\(r.summary)", file: file, line: line)
        return r
    }

    /// Trains a tiny single-process run into `runDir` (relative to the test's folder) with
    /// `extra` flags after the tiny defaults, failing the test unless it succeeds.
    @discardableResult
    func trainTiny(_ runDir: String, _ extra: [String] = [], file: StaticString = #filePath,
                   line: UInt = #line) throws -> URL {
        try recurOK(["train", "--single-process", "--run-dir", path(runDir)] + Self.tinyTrainFlags + extra,
                    file: file, line: line)
        return work.appendingPathComponent(runDir)
    }

    /// Checks the error contract: exit status 2, exactly one non-empty line on standard error,
    /// starting with "error:", containing every string of `mentions` and, for each group of
    /// `mentionsOneOf`, at least one of its strings.
    func assertOneLineError(_ r: CLIResult, mentions: [String], mentionsOneOf: [[String]] = [],
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.signaled, "killed by a signal:\n\(r.summary)", file: file, line: line)
        XCTAssertEqual(r.status, 2, "exit status must be 2:\n\(r.summary)", file: file, line: line)
        let lines = r.stderrLines
        XCTAssertEqual(lines.count, 1, "standard error must be exactly one non-empty line:\n\(r.summary)",
                       file: file, line: line)
        guard let first = lines.first else { return }
        XCTAssertTrue(first.hasPrefix("error:"), "the line must start with \"error:\": \(first)", file: file, line: line)
        for word in mentions {
            XCTAssertTrue(first.contains(word), "the message should mention \"\(word)\": \(first)", file: file, line: line)
        }
        for group in mentionsOneOf {
            XCTAssertTrue(group.contains { first.contains($0) },
                          "the message should mention one of \(group): \(first)", file: file, line: line)
        }
    }

    /// Parses standard output as one JSON object.
    func jsonObject(_ r: CLIResult, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let text = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            XCTFail("standard output is not a JSON object:\n\(r.summary)", file: file, line: line)
            throw CLITestError("not a JSON object")
        }
        return object
    }
}

/// A failure of a test's own preconditions (the message says which).
struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Unique temporary folders.
enum TempFolder {
    /// Creates `<tmp>/<prefix>-<UUID>` and returns it.
    static func make(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
