// ShardedPSTests: the parameter vector cut across 2 and 3 parameter-server processes, with clipping
// by the global norm, gives the single-process weights bit for bit — started by `recur train` and
// by `recur launch` from torchrun-style variables on loopback.
import Foundation
import RecurIO
import XCTest

final class ShardedPSTests: ClusterTestCase {
    /// Tiny flags with a clip every step's norm exceeds, so the shards must agree on the global norm.
    static let clipped = tinyFlags + ["--clip", "0.05"]

    func testTwoAndThreeShardsMatchOneProcessBitForBit() throws {
        let reference = try ReferenceRuns.singleProcess(Self.clipped, in: self)
        for shards in [2, 3] {
            let dir = path("shards-\(shards)")
            let p = try runToEnd(["train", "--workers", "2", "--ps-shards", String(shards), "--threads", "1", "--quiet",
                                  "--run-dir", dir] + Self.clipped, name: "train --ps-shards \(shards)")
            XCTAssertEqual(p.status, 0, p.summary)
            guard p.status == 0 else { continue }
            let norms = try RunRecord.metricsObjects(dir).compactMap { ($0["grad_norm"] as? NSNumber)?.doubleValue }
            XCTAssertFalse(norms.isEmpty)
            XCTAssertTrue(norms.allSatisfy { $0 > 0.05 }, "clipping must be exercised: \(norms)")
            assertSameRun(try RunRecord.read(dir), reference, "--ps-shards \(shards)")
        }
    }

    func testLaunchFromTorchrunVariablesFindsEveryRoleAndMatchesBitForBit() throws {
        let reference = try ReferenceRuns.singleProcess(Self.clipped, in: self)
        let port = try HeldPort.free()
        let dir = path("launch")
        let args = ["launch", "--ps-shards", "2", "--quiet", "--log-format", "json", "--run-dir", dir, "--peer-timeout", "60"] + Self.clipped
        let base = ["MASTER_ADDR": "127.0.0.1", "MASTER_PORT": String(port), "WORLD_SIZE": "5"]
        // Workers and servers first: they wait for the coordinator, as on a real cluster.
        var others: [ClusterProcess] = []
        for rank in [4, 3, 2, 1] {
            others.append(try start(args, name: "rank \(rank)", environment: base.merging(["RANK": String(rank)]) { $1 }))
        }
        let coordinator = try runToEnd(args, name: "rank 0", environment: base.merging(["RANK": "0"]) { $1 })
        XCTAssertEqual(coordinator.status, 0, coordinator.summary)
        for p in others { assertFinishes(p) }
        XCTAssertEqual(others[0].events(.launchPlan, where: ["assigned_role": "worker", "rank": 4]).count, 1, others[0].summary)
        XCTAssertEqual(others[3].events(.launchPlan, where: ["assigned_role": "ps", "rank": 1]).count, 1, others[3].summary)
        XCTAssertFalse(coordinator.events(.configuringServer, where: ["shard": 1, "endpoint": .string("tcp://127.0.0.1:\(port + 2)")]).isEmpty,
                       coordinator.summary)
        guard coordinator.status == 0 else { return }
        assertSameRun(try RunRecord.read(dir), reference, "recur launch --ps-shards 2")
    }

    func testACheckpointOfTwoShardsResumesExactlyOnThree() throws {
        let flags = Self.clipped + ["--checkpoint-every", "6"]
        let reference = try ReferenceRuns.singleProcess(Self.clipped, in: self)
        let dir = path("resharded")
        let first = try runToEnd(["train", "--workers", "2", "--ps-shards", "2", "--threads", "1", "--quiet", "--run-dir", dir] + flags,
                                 name: "train --ps-shards 2")
        XCTAssertEqual(first.status, 0, first.summary)
        // Forget the end of the run: the newest checkpoint is then step 6 of 12.
        let checkpoints = URL(fileURLWithPath: dir).appendingPathComponent("checkpoints")
        try FileManager.default.removeItem(at: checkpoints.appendingPathComponent("step-00000012"))
        try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent("latest"))
        try FileManager.default.createSymbolicLink(atPath: checkpoints.appendingPathComponent("latest").path, withDestinationPath: "step-00000006")
        let resumed = try runToEnd(["train", "--workers", "2", "--ps-shards", "3", "--threads", "1", "--quiet", "--resume", dir,
                                    "--log-format", "json"] + flags,
                                   name: "train --ps-shards 3 --resume")
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        let resumedAt = resumed.events(.resumed)
        XCTAssertFalse(resumedAt.isEmpty, resumed.summary)
        XCTAssertTrue(resumedAt.allSatisfy { $0.field("step") == 6 && ($0.field("path")?.text?.hasSuffix("step-00000006") ?? false) },
                      resumed.summary)
        let model = try Data(contentsOf: checkpoints.appendingPathComponent("latest/model.safetensors"))
        XCTAssertEqual(model, reference.model, "resumed on three servers, the weights must equal one process's")
    }

    func testPlainTCPOffLoopbackIsRefusedWithoutKeysOrInsecure() throws {
        let p = try runToEnd(["launch", "--role", "coordinator", "--master-addr", "0.0.0.0", "--run-dir", path("r")] + Self.tinyFlags,
                             name: "coordinator", seconds: 30)
        XCTAssertEqual(p.status, 2, p.summary)
        XCTAssertFalse(p.stderrLines(containing: "refusing plain TCP", "--insecure").isEmpty, p.summary)
    }
}
