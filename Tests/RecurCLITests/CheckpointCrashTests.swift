// CheckpointCrashTests: a trainer killed with SIGKILL at random moments — often in the middle of
// writing a checkpoint — always leaves `latest` pointing at a complete checkpoint that verifies.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CheckpointCrashTests: CLITestCase {
    func testLatestAlwaysLoadsAfterAKillAtARandomMoment() throws {
        // A checkpoint every step, 9 MB each: the process spends much of its time writing them.
        let flags = ["train", "--single-process", "--hidden", "256", "--layers", "2", "--batch", "4", "--bptt", "8",
                     "--synthetic-sentences", "600", "--steps", "100000", "--checkpoint-every", "1", "--keep", "3",
                     "--threads", "1", "--quiet"]
        var rng = SystemRandomNumberGenerator()
        var killedWithCheckpoints = 0
        for round in 0..<10 {
            let dir = path("crash-\(round)")
            let p = Process()
            p.executableURL = try CLIRunner.binary()
            p.arguments = flags + ["--run-dir", dir]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Wait for the first checkpoint, then kill at a randomly chosen moment of one of the next
            // ones (no fixed sleep): its staging folder holding `files` files (often mid-write), or
            // (files -1) the checkpoint renamed into place.
            let end = Date().addingTimeInterval(30)
            while p.isRunning && CheckpointStore(runDirectory: dir).latest() == nil && Date() < end { usleep(2_000) }
            let first = CheckpointStore(runDirectory: dir).latest().flatMap(CheckpointStore.step(ofCheckpoint:)) ?? 0
            let target = first + Int.random(in: 1...3, using: &rng), files = Int.random(in: -1...2, using: &rng)
            while p.isRunning && !reached(dir, step: target, files: files) && Date() < end { usleep(500) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let store = CheckpointStore(runDirectory: dir)
            guard let latest = store.latest() else { XCTFail("round \(round): no latest checkpoint"); continue }
            XCTAssertNoThrow(try store.verify(checkpoint: latest), "round \(round): latest (\(latest)) does not verify")
            killedWithCheckpoints += 1
            // And the run resumes from it.
            let r = try recur(["train", "--single-process", "--resume", dir, "--steps", String(CheckpointStore.step(ofCheckpoint: latest)! + 1),
                               "--quiet"])
            XCTAssertEqual(r.status, 0, "round \(round): resume after the kill\n\(r.summary)")
        }
        XCTAssertEqual(killedWithCheckpoints, 10)
    }

    /// Whether the run in `dir` has reached checkpoint `step`: its staging folder holds `files`
    /// files, or (any `files`) the checkpoint, or a later one, is in place.
    func reached(_ dir: String, step: Int, files: Int) -> Bool {
        let folder = dir + "/checkpoints", name = String(format: "step-%08d", step)
        let latest = CheckpointStore(runDirectory: dir).latest().flatMap(CheckpointStore.step(ofCheckpoint:)) ?? 0
        if latest >= step { return true }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        guard files >= 0, let staging = names.first(where: { $0.hasPrefix(".tmp-\(name)-") }) else { return false }
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/" + staging))?.count ?? 0) >= files
    }
}
