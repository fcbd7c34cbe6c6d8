// RendezvousTests: `recur launch` finds its role and peers from flags, RECUR_*, torchrun's and
// Slurm's variables, in that order, and says clearly what is missing.
import XCTest
import RecurRoles

final class RendezvousTests: XCTestCase {
    func plan(_ env: [String: String], _ edit: (inout LaunchSettings) -> Void = { _ in }) throws -> LaunchPlan {
        var s = LaunchSettings()
        edit(&s)
        return try Rendezvous.plan(s, environment: env)
    }

    func testTorchrunVariablesGiveRolesByRank() throws {
        let env = ["MASTER_ADDR": "10.1.2.3", "MASTER_PORT": "4000", "WORLD_SIZE": "6"]
        let roles = try (0..<6).map { r in try plan(env.merging(["RANK": String(r)]) { $1 }) { $0.psShards = 2 }.role }
        XCTAssertEqual(roles, [.coordinator, .ps(0), .ps(1), .worker, .worker, .worker])
        let ps1 = try plan(env.merging(["RANK": "2"]) { $1 }) { $0.psShards = 2; $0.advertiseAddr = "10.1.2.9" }
        XCTAssertEqual(ps1.bindEndpoint, "tcp://*:4002")
        XCTAssertEqual(ps1.advertisedEndpoint, "tcp://10.1.2.9:4002")
        XCTAssertEqual(ps1.coordinatorEndpoint, "tcp://10.1.2.3:4000")
        let c = try plan(env.merging(["RANK": "0"]) { $1 })
        XCTAssertEqual(c.bindEndpoint, "tcp://*:4000")
        // Every rank derives the same run id from the coordinator's address.
        XCTAssertEqual(c.runID, try plan(env.merging(["RANK": "4"]) { $1 }).runID)
        XCTAssertNotEqual(c.runID, try plan(env.merging(["RANK": "0", "MASTER_PORT": "4001"]) { $1 }).runID)
    }

    func testSlurmVariablesAndPrecedence() throws {
        let env = ["SLURM_PROCID": "3", "SLURM_NTASKS": "8", "SLURM_JOB_NODELIST": "gpu[07-09],cpu1", "SLURM_JOB_ID": "991"]
        let p = try plan(env)
        XCTAssertEqual(p.role, .worker)
        XCTAssertEqual(p.masterAddr, "gpu07")
        XCTAssertEqual(p.masterPort, Rendezvous.defaultPort)
        XCTAssertEqual(p.runID, 991)
        // RECUR_* beats torchrun's, which beats Slurm's; a flag beats them all.
        let mixed = env.merging(["RANK": "1", "RECUR_RANK": "0", "MASTER_ADDR": "m1", "RECUR_MASTER_ADDR": "m2"]) { $1 }
        XCTAssertEqual(try plan(mixed).role, .coordinator)
        XCTAssertEqual(try plan(mixed).masterAddr, "m2")
        XCTAssertEqual(try plan(mixed) { $0.rank = 5; $0.masterAddr = "m3" }.masterAddr, "m3")
        XCTAssertEqual(try plan(mixed) { $0.rank = 5 }.role, .worker)
    }

    func testExplicitRolesForSchedulersWithoutRanks() throws {
        let env = ["RECUR_ROLE": "ps", "RECUR_PS_INDEX": "1", "RECUR_PS_SHARDS": "2", "RECUR_MASTER_ADDR": "127.0.0.1"]
        let p = try plan(env)
        XCTAssertEqual(p.role, .ps(1))
        XCTAssertEqual(p.bindEndpoint, "tcp://127.0.0.1:\(Rendezvous.defaultPort + 2)")  // a loopback run stays on loopback
        XCTAssertEqual(p.advertisedEndpoint, "tcp://127.0.0.1:\(Rendezvous.defaultPort + 2)")
        XCTAssertEqual(try plan(["RECUR_ROLE": "worker", "MASTER_ADDR": "h"]).role, .worker)
    }

    func testMissingOrInconsistentSettingsAreClearErrors() {
        func message(_ env: [String: String], _ edit: (inout LaunchSettings) -> Void = { _ in }) -> String {
            do { _ = try plan(env, edit); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message([:]).contains("no role"), message([:]))
        XCTAssertTrue(message(["RANK": "2"]).contains("no coordinator address"))
        XCTAssertTrue(message(["RANK": "x", "MASTER_ADDR": "h"]).contains("RANK=\"x\""))
        XCTAssertTrue(message(["RANK": "7", "WORLD_SIZE": "4", "MASTER_ADDR": "h"]).contains("outside world size"))
        XCTAssertTrue(message(["RANK": "1", "WORLD_SIZE": "3", "MASTER_ADDR": "h"]) { $0.psShards = 2 }.contains("no worker"))
        XCTAssertTrue(message(["RECUR_ROLE": "ps", "MASTER_ADDR": "h"]).contains("--ps-index"))
        XCTAssertTrue(message(["RECUR_ROLE": "chief", "MASTER_ADDR": "h"]).contains("auto, coordinator, ps or worker"))
    }

    func testSlurmHostListsExpand() throws {
        XCTAssertEqual(try Rendezvous.expandNodeList("node[01-03,7],login"), ["node01", "node02", "node03", "node7", "login"])
        XCTAssertEqual(try Rendezvous.expandNodeList("r[1-2]-n[8-9]"), ["r1-n8", "r1-n9", "r2-n8", "r2-n9"])
        XCTAssertEqual(try Rendezvous.expandNodeList("solo"), ["solo"])
        XCTAssertThrowsError(try Rendezvous.expandNodeList("bad[1-2"))
        XCTAssertThrowsError(try Rendezvous.expandNodeList("bad[5-2]"))
    }

    func testLocalAddressTowardLoopbackIsLoopback() {
        XCTAssertEqual(Rendezvous.localAddress(toward: "127.0.0.1", port: 9), "127.0.0.1")
        XCTAssertNil(Rendezvous.localAddress(toward: "no-such-host.invalid", port: 9))
    }
}
