// CheckpointIdentityTests: a local cluster writes the same checkpoint files, byte for byte, as one
// process — weights, optimizer moments, carried state, trainer position and manifest — at every
// checkpoint, so either can resume the other's run.
import Foundation
import XCTest

final class CheckpointIdentityTests: ClusterTestCase {
    func testClusterCheckpointsEqualSingleProcessCheckpoints() throws {
        let flags = ["--threads", "1", "--hidden", "24", "--layers", "2", "--batch", "8", "--bptt", "12",
                     "--lanes-per-shard", "2", "--synthetic-sentences", "400", "--steps", "12", "--log-every", "4",
                     "--checkpoint-every", "4", "--dropout", "0.1", "--quiet"]
        let single = path("single"), cluster = path("cluster")
        let a = try runToEnd(["train", "--single-process", "--run-dir", single] + flags, name: "single-process")
        XCTAssertEqual(a.status, 0, a.summary)
        let b = try runToEnd(["train", "--workers", "3", "--run-dir", cluster] + flags, name: "train --workers 3")
        XCTAssertEqual(b.status, 0, b.summary)
        for step in ["00000004", "00000008", "00000012"] {
            for file in ["model.safetensors", "optimizer.safetensors", "state.safetensors", "trainer.json", "manifest.json"] {
                let x = FileManager.default.contents(atPath: "\(single)/checkpoints/step-\(step)/\(file)")
                let y = FileManager.default.contents(atPath: "\(cluster)/checkpoints/step-\(step)/\(file)")
                XCTAssertNotNil(x, "single-process step-\(step)/\(file) missing")
                XCTAssertEqual(x, y, "step-\(step)/\(file) differs between one process and the cluster")
            }
        }
    }
}
