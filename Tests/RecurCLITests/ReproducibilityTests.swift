// ReproducibilityTests: same bits across repeats and thread counts, same losses across shard sizes.
import Foundation
import XCTest

final class ReproducibilityTests: CLITestCase {
    /// Big enough that OpenBLAS splits the input and head products across threads
    /// (B·T = 128 rows, 4H = 256 columns), two layers with dropout so its masks are covered too.
    private let threadedFlags = ["--hidden", "64", "--layers", "2", "--dropout", "0.1", "--batch", "8",
                                 "--bptt", "16", "--synthetic-sentences", "600"]

    /// Fails unless the named checkpoint files of the two runs' latest checkpoints are byte-equal.
    private func assertSameFiles(_ a: URL, _ b: URL, _ names: [String], _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        for name in names {
            let x = try RunFolder(url: a).latestBytes(name), y = try RunFolder(url: b).latestBytes(name)
            XCTAssertFalse(x.isEmpty, "\(name) is empty", file: file, line: line)
            if x != y {
                let firstDiff = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                XCTFail("\(what): \(name) differs (sizes \(x.count)/\(y.count), first differing byte "
                        + "\(firstDiff.map(String.init) ?? "none")", file: file, line: line)
            }
        }
    }

    func testSameCommandTwiceGivesIdenticalBytes() throws {
        let a = try trainTiny("a", threadedFlags), b = try trainTiny("b", threadedFlags)
        try assertSameFiles(a, b, ["model.safetensors", "optimizer.safetensors", "state.safetensors"],
                            "the same command twice")
    }

    func testThreadCountDoesNotChangeTheBits() throws {
        let one = try trainTiny("t1", threadedFlags + ["--threads", "1"])
        let two = try trainTiny("t2", threadedFlags + ["--threads", "2"])
        try assertSameFiles(one, two, ["model.safetensors"], "--threads 1 vs --threads 2")
    }

    /// Shards of 2 lanes add the gradient in a different order than one shard of 8, so bits
    /// may differ, but every logged loss must agree to 1e-5 relative.
    func testShardSizeKeepsLosses() throws {
        let flags = threadedFlags + ["--log-every", "2"]
        let whole = try RunFolder(url: trainTiny("whole", flags)).metrics()
        let sharded = try RunFolder(url: trainTiny("sharded", flags + ["--lanes-per-shard", "2"])).metrics()
        XCTAssertEqual(whole.map(\.step), sharded.map(\.step))
        XCTAssertEqual(whole.count, 10)
        for (w, s) in zip(whole, sharded) {
            let lw = try XCTUnwrap(w.loss), ls = try XCTUnwrap(s.loss)
            XCTAssertLessThan(relativeDifference(lw, ls), 1e-5, "step \(w.step ?? -1): loss \(lw) vs \(ls)")
        }
        let vw = try XCTUnwrap(whole.last?.valLoss), vs = try XCTUnwrap(sharded.last?.valLoss)
        XCTAssertLessThan(relativeDifference(vw, vs), 1e-5, "val_loss \(vw) vs \(vs)")
    }
}
