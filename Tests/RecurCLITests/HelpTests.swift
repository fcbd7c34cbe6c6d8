// HelpTests: `--help` of recur and of every subcommand exits 0 and shows an example.
import Foundation
import XCTest

final class HelpTests: CLITestCase {
    /// Runs `recur <prefix> --help` and checks status 0, an "Example" and the usage line.
    private func checkHelp(_ prefix: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try recur(prefix + ["--help"])
        XCTAssertEqual(r.status, 0, "--help must exit 0:\n\(r.summary)", file: file, line: line)
        let text = r.stdout + r.stderr
        XCTAssertTrue(text.contains("Example"), "help has no \"Example\":\n\(r.summary)", file: file, line: line)
        let usage = "USAGE: recur" + prefix.map { " " + $0 }.joined()
        XCTAssertTrue(text.contains(usage), "help should show \"\(usage)\":\n\(r.summary)", file: file, line: line)
    }

    func testRootHelp() throws { try checkHelp([]) }
    func testTrainHelp() throws { try checkHelp(["train"]) }
    func testEvalHelp() throws { try checkHelp(["eval"]) }
    func testSampleHelp() throws { try checkHelp(["sample"]) }
    func testScoreHelp() throws { try checkHelp(["score"]) }
}
