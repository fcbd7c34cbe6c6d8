// LaunchRestartTests: a `recur launch` run whose coordinator is killed mid-run is finished by a
// restarted coordinator (the same command line, as a scheduler restarts it) with the surviving
// parameter server and workers, bit for bit as one process would have.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class LaunchRestartTests: ClusterTestCase {
    /// A 4-rank loopback launch (coordinator, one server, two workers) checkpointing every 10
    /// steps, started as the deploy files start it: the coordinator always resumes from its own
    /// run folder. Returns the single-process reference, the run folder, the arguments and each
    /// rank's environment.
    func launchRun() throws -> (reference: RunRecord, dir: String, args: [String], env: (Int) -> [String: String]) {
        let reference = try ReferenceRuns.singleProcess(Self.slowFlags, in: self)
        let port = try HeldPort.free()
        let dir = path("run")
        let args = ["launch", "--run-dir", dir, "--resume", dir, "--peer-timeout", "60", "--lease-timeout", "5", "--quiet",
                    "--log-format", "json"]
            + Self.slowFlags + ["--checkpoint-every", "10"]
        let env = ["MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port), "WORLD_SIZE": "4"]
        return (reference, dir, args, { env.merging(["RANK": String($0)]) { $1 } })
    }

    func testKilledCoordinatorIsReplacedAndTheRunEndsBitForBit() throws {
        let (reference, dir, args, env) = try launchRun()
        var survivors: [ClusterProcess] = []
        for rank in [3, 2, 1] { survivors.append(try start(args, name: "rank \(rank)", environment: env(rank))) }
        let first = try start(args, name: "rank 0", environment: env(0))
        try waitUntil("a checkpoint and a few steps more", seconds: 60, showing: [first] + survivors) {
            RunRecord.loggedSteps(dir) >= 24
        }
        first.send(SIGKILL)
        XCTAssertTrue(first.waitForExit(seconds: 10))
        let killedAt = RunRecord.loggedSteps(dir)
        XCTAssertLessThan(killedAt, Self.slowSteps, "the run ended before the kill; slow it down")
        let second = try runToEnd(args, name: "rank 0 again", environment: env(0))
        XCTAssertEqual(second.status, 0, second.summary)
        for p in survivors { assertFinishes(p, seconds: 30) }
        XCTAssertEqual(second.events(.resumed).count, 1, second.summary)
        XCTAssertEqual(second.events(.coordinatorClosed).map { $0.field("expired") }, [.int(0)],
                       "the surviving workers must rejoin at once\n\(second.summary)")
        XCTAssertEqual(survivors[2].events(.newCoordinator).count, 1, "the server must start over\n\(survivors[2].summary)")
        XCTAssertEqual(survivors[0].events(.newCoordinator).count, 1, "a worker must start over\n\(survivors[0].summary)")
        guard second.status == 0 else { return }
        assertSameRun(try RunRecord.read(dir), reference, "a launch run whose coordinator was killed after step \(killedAt)")
    }

    func testRestartedServerStopsTheCoordinatorAndARestartedCoordinatorFinishesExactly() throws {
        let (reference, dir, args, rank) = try launchRun()
        let workers = try [3, 2].map { try start(args, name: "rank \($0)", environment: rank($0)) }
        let server = try start(args, name: "rank 1", environment: rank(1))
        let first = try start(args, name: "rank 0", environment: rank(0))
        try waitUntil("a checkpoint and a few steps more", seconds: 60, showing: [first, server] + workers) {
            RunRecord.loggedSteps(dir) >= 24
        }
        server.send(SIGKILL)
        XCTAssertTrue(server.waitForExit(seconds: 10))
        let again = try start(args, name: "rank 1 again", environment: rank(1))
        XCTAssertTrue(first.waitForExit(seconds: 30), "the coordinator must stop once the server it lost comes back\n\(first.summary)")
        XCTAssertNotEqual(first.status, 0)
        XCTAssertFalse(first.stderrLines(containing: "parameter server 0 restarted", "--resume").isEmpty, first.summary)
        let second = try runToEnd(args, name: "rank 0 again", environment: rank(0))
        XCTAssertEqual(second.status, 0, second.summary)
        for p in workers + [again] { assertFinishes(p, seconds: 30) }
        guard second.status == 0 else { return }
        assertSameRun(try RunRecord.read(dir), reference, "a launch run whose server was killed and restarted")
    }
}
