// RunRecord: a finished run's weights bytes and per-step losses, cached reference runs, the bit-identity check.
import Foundation
import XCTest

/// One `step`/`loss` pair of metrics.jsonl.
struct StepLoss: Equatable, CustomStringConvertible {
    let step: Int
    let loss: Double
    var description: String { "\(step):\(loss)" }
}

/// The final weights and the logged losses of a run folder.
struct RunRecord {
    /// Bytes of `checkpoints/latest/model.safetensors`.
    let model: Data
    /// Every metrics line's step and loss, in file order.
    let losses: [StepLoss]

    /// Reads `runDir`; throws when a file is missing or a metrics line lacks step or loss.
    static func read(_ runDir: String) throws -> RunRecord {
        let url = URL(fileURLWithPath: runDir)
        let model = try Data(contentsOf: url.appendingPathComponent("checkpoints/latest/model.safetensors"))
        let losses = try metricsObjects(runDir).map { o -> StepLoss in
            guard let s = (o["step"] as? NSNumber)?.intValue, let l = (o["loss"] as? NSNumber)?.doubleValue else {
                throw ClusterTestError("\(runDir)/metrics.jsonl: a line without step or loss: \(o)")
            }
            return StepLoss(step: s, loss: l)
        }
        return RunRecord(model: model, losses: losses)
    }

    /// The JSON objects of the complete lines of `runDir/metrics.jsonl` ([] while it does not exist).
    static func metricsObjects(_ runDir: String) throws -> [[String: Any]] {
        let file = URL(fileURLWithPath: runDir).appendingPathComponent("metrics.jsonl")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        var lines = text.split(separator: "\n")
        if !text.hasSuffix("\n") && !lines.isEmpty { lines.removeLast() }  // a line still being written
        var objects: [[String: Any]] = []
        for line in lines {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ClusterTestError("\(file.path): not a JSON object: \(line)")
            }
            objects.append(o)
        }
        return objects
    }

    /// Metrics lines written so far (0 before the file exists).
    static func loggedSteps(_ runDir: String) -> Int { (try? metricsObjects(runDir).count) ?? 0 }
}

/// Single-process runs, computed once per flag set and shared by every test that compares with one.
enum ReferenceRuns {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [[String]: RunRecord] = [:]

    /// `recur train --single-process` with `flags` (in `test`'s folder), cached by flags.
    static func singleProcess(_ flags: [String], in test: ClusterTestCase) throws -> RunRecord {
        lock.lock()
        defer { lock.unlock() }
        if let r = cache[flags] { return r }
        let dir = test.path("reference-\(UUID().uuidString)")
        let p = try test.runToEnd(["train", "--single-process", "--threads", "1", "--quiet", "--run-dir", dir] + flags,
                                  name: "single-process")
        guard p.status == 0 else { throw ClusterTestError("the single-process reference run failed\n\(p.summary)") }
        let r = try RunRecord.read(dir)
        cache[flags] = r
        return r
    }
}

/// Fails unless `got` has exactly the weights bytes and the per-step losses of `want`.
func assertSameRun(_ got: RunRecord, _ want: RunRecord, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(want.model.isEmpty, "\(what): the reference model.safetensors is empty", file: file, line: line)
    if got.model != want.model {
        let first = zip(got.model, want.model).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        XCTFail("\(what): model.safetensors differs from the single-process run (sizes \(got.model.count)/"
                + "\(want.model.count), first differing byte \(first.map(String.init) ?? "none"))", file: file, line: line)
    }
    XCTAssertEqual(got.losses.map(\.step), want.losses.map(\.step), "\(what): logged steps differ", file: file, line: line)
    for (g, w) in zip(got.losses, want.losses) where g != w {
        XCTFail("\(what): step \(w.step) loss \(g.loss) vs single-process \(w.loss)", file: file, line: line)
        break
    }
}
