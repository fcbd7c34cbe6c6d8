// StartupErrorTests: a role that cannot bind, or whose coordinator never answers, fails fast with one clear line.
import Foundation
import XCTest

final class StartupErrorTests: ClusterTestCase {
    func testPSOnAPortInUseExitsWithStatus2AndOneLine() throws {
        let held = try HeldPort()
        defer { held.close() }
        let p = try runToEnd(["ps", "--bind", held.endpoint, "--run-id", "7"], name: "ps", seconds: 30)
        XCTAssertFalse(p.signaled, p.summary)
        XCTAssertEqual(p.status, 2, "a port in use must exit with status 2\n\(p.summary)")
        XCTAssertFalse(p.out.lines.contains { $0.hasPrefix("endpoint ") }, "no endpoint may be announced\n\(p.summary)")
        let lines = p.stderrLines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(lines.count, 1, "exactly one line on standard error\n\(p.summary)")
        let line = lines.first ?? ""
        XCTAssertTrue(line.hasPrefix("error:"), "the line must start with \"error:\": \(line)")
        XCTAssertTrue(line.contains("in use"), "the line must say the port is in use: \(line)")
        XCTAssertTrue(line.contains(String(held.port)), "the line must name the port \(held.port): \(line)")
    }

    func testWorkerWhoseCoordinatorNeverAnswersGivesUp() throws {
        let endpoint = "tcp://127.0.0.1:\(try HeldPort.free())"
        let started = Date()
        let p = try runToEnd(["worker", "--connect", endpoint, "--peer-timeout", "2", "--run-id", "7", "--name", "lonely"],
                             name: "worker", seconds: 30)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertFalse(p.signaled, p.summary)
        XCTAssertNotEqual(p.status, 0, "a worker nobody answers must fail\n\(p.summary)")
        XCTAssertGreaterThanOrEqual(seconds, 1.5, "it must wait about --peer-timeout before giving up")
        XCTAssertLessThan(seconds, 10, "it must give up within ~10 s with --peer-timeout 2 (took \(seconds) s)")
        let last = p.stderrLines.last ?? ""
        XCTAssertTrue(last.hasPrefix("error:"), "the last line must start with \"error:\"\n\(p.summary)")
        XCTAssertTrue(last.contains(endpoint), "the message must name the coordinator endpoint \(endpoint): \(last)")
    }
}
