// LauncherSignalTests: SIGTERM to `recur train --workers 2` stops it fast and leaves no role process behind.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class LauncherSignalTests: ClusterTestCase {
    private static let roles: Set<String> = ["ps", "coordinator", "worker"]

    /// Live `recur ps|coordinator|worker` processes whose command line carries `--run-id runID`.
    private func survivors(runID: String, among known: [ProcessEntry]) -> [ProcessEntry] {
        let byRunID = ProcessTable.all().filter {
            $0.isLive && $0.commandLine.count > 1 && Self.roles.contains($0.commandLine[1]) && $0.value(of: "--run-id") == runID
        }
        let byPID = known.filter(ProcessTable.isLive)
        return byPID + byRunID.filter { e in !byPID.contains { $0.pid == e.pid } }
    }

    func testSIGTERMToTheLauncherStopsEveryRoleProcess() throws {
        let dir = path("run")
        let launcher = try start(["train", "--workers", "2", "--threads", "1", "--quiet", "--run-dir", dir] + Self.slowFlags,
                                 name: "launcher")
        var children: [ProcessEntry] = []
        try waitUntil("the launcher's 4 role processes", showing: [launcher]) {
            children = ProcessTable.children(of: launcher.pid).filter {
                $0.commandLine.count > 1 && Self.roles.contains($0.commandLine[1])
            }
            adopted = children
            return children.count == 4 || !launcher.isRunning
        }
        XCTAssertEqual(children.map { $0.commandLine[1] }.sorted(), ["coordinator", "ps", "worker", "worker"])
        let runIDs = Set(children.compactMap { $0.value(of: "--run-id") })
        XCTAssertEqual(runIDs.count, 1, "every role must carry the same --run-id: \(children.map(\.commandLine))")
        let runID = try XCTUnwrap(runIDs.first)
        try waitUntil("2 logged steps", showing: [launcher]) { RunRecord.loggedSteps(dir) >= 2 || !launcher.isRunning }
        XCTAssertTrue(launcher.isRunning, "the run ended before the signal; slow it down\n\(launcher.summary)")

        let sent = Date()
        launcher.send(SIGTERM)
        let exited = launcher.waitForExit(seconds: 15)
        let seconds = Date().timeIntervalSince(sent)
        XCTAssertTrue(exited, "the launcher ignored SIGTERM for 15 s\n\(launcher.summary)")
        XCTAssertLessThan(seconds, 6, "the launcher took \(seconds) s to stop")
        XCTAssertFalse(launcher.signaled, "the launcher must handle SIGTERM, not die of it\n\(launcher.summary)")
        XCTAssertNotEqual(launcher.status, 0, "an interrupted run must not report success\n\(launcher.summary)")

        // Children reparented on the launcher's exit are reaped by init; allow a moment for that.
        var left = survivors(runID: runID, among: children)
        let end = Date().addingTimeInterval(5)
        while !left.isEmpty && Date() < end {
            usleep(50_000)
            left = survivors(runID: runID, among: children)
        }
        XCTAssertTrue(left.isEmpty, "role processes of run \(runID) outlived the launcher: "
                      + left.map { "\($0.pid) \($0.state) \($0.commandLine.joined(separator: " "))" }.joined(separator: "; "))
    }
}
