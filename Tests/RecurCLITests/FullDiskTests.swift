// FullDiskTests: `recur train` on a run folder that is a small tmpfs, mounted in a private mount
// namespace (`unshare -m`): a checkpoint that does not fit is skipped, the earlier one and
// `latest` stay whole, metrics.jsonl has no torn line, and the final checkpoint's failure ends the run.
import Foundation
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class FullDiskTests: CLITestCase {
    /// A model whose checkpoint (about 0.7 MB with Adam's moments) dwarfs the run's other files.
    static let flags = ["train", "--hidden", "64", "--layers", "1", "--batch", "4", "--bptt", "8",
                        "--synthetic-sentences", "300", "--log-every", "1", "--threads", "1", "--quiet"]
    /// Page size tmpfs charges in.
    static let page = 4096

    func testASingleProcessSkipsACheckpointThatDoesNotFitAndFailsOnTheFinalOne() throws {
        try assertFullDiskRule(["--single-process"], role: "train")
    }

    func testTheCoordinatorSkipsACheckpointThatDoesNotFitAndFailsOnTheFinalOne() throws {
        try assertFullDiskRule(["--workers", "1"], role: "coordinator")
    }

    /// Trains 6 steps, checkpointing every 2, in a tmpfs with room for one checkpoint, and checks
    /// the rule of `CheckpointRule` on what the run leaves and logs.
    /// - Parameters:
    ///   - layout: the flags choosing one process or a local cluster.
    ///   - role: the process that writes checkpoints (the `role` of its events).
    func assertFullDiskRule(_ layout: [String], role: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try requireMountNamespaces()
        // The same run for one step on the real disk: what a checkpoint and the rest cost in pages.
        let reference = path("reference")
        try recurOK(Self.flags + ["--single-process", "--steps", "1", "--run-dir", reference])
        let checkpointPages = try pages(under: reference + "/checkpoints")
        let allPages = try pages(under: reference)
        XCTAssertGreaterThan(checkpointPages, 20, "the checkpoint should dwarf the other files", file: file, line: line)
        // Room for one checkpoint, the other files and half a checkpoint more: step 2's fits,
        // step 4's (beside step 2's) does not, nor does the final one at step 6.
        let bytes = (allPages + checkpointPages / 2) * Self.page

        let out = path("out"), run = path("tmpfs-run")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let command = Self.flags + layout + ["--steps", "6", "--checkpoint-every", "2", "--run-dir", run, "--log-format", "json"]
        let script = """
            mount -t tmpfs -o size=\(bytes) recur-full "$1" || exit 90
            shift; bin="$1"; shift; out="$1"; shift
            "$bin" "$@" 2>"$out/stderr"; echo $? >"$out/status"
            cp -a "$(dirname "$out")/tmpfs-run/." "$out/run/"
            """
        try FileManager.default.createDirectory(atPath: out + "/run", withIntermediateDirectories: true)
        let status = try runToEnd("/usr/bin/env", ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                                                   run, try CLIRunner.binary().path, out] + command)
        XCTAssertEqual(status, 0, "the namespace script failed: \(String(decoding: FileManager.default.contents(atPath: out + "/stderr") ?? Data(), as: UTF8.self))", file: file, line: line)
        let trainStatus = try String(contentsOfFile: out + "/status", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotEqual(trainStatus, "0", "the final checkpoint cannot fit, so the run must fail", file: file, line: line)

        // One checkpoint_skipped event for step 4, none for step 2 (which fitted).
        let events = try String(contentsOfFile: out + "/stderr", encoding: .utf8).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let skipped = events.filter { $0["event"] as? String == "checkpoint_skipped" && $0["role"] as? String == role }
        XCTAssertEqual(skipped.compactMap { $0["step"] as? Int }, [4], "events: \(events)", file: file, line: line)
        XCTAssertEqual(skipped.first?["write"] as? Bool, true, file: file, line: line)
        XCTAssertEqual((skipped.first?["latest"] as? String).flatMap(CheckpointStore.step(ofCheckpoint:)), 2, file: file, line: line)

        // The run folder as the run left it: step 2's checkpoint, whole, and `latest` on it.
        let copy = out + "/run"
        let store = CheckpointStore(runDirectory: copy)
        XCTAssertEqual(store.list().map(\.step), [2], file: file, line: line)
        let latest = try XCTUnwrap(store.latest(), "latest is missing or dangling")
        XCTAssertEqual(CheckpointStore.step(ofCheckpoint: latest), 2, file: file, line: line)
        XCTAssertNoThrow(try store.verify(checkpoint: latest), file: file, line: line)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: copy + "/checkpoints").filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "a failed checkpoint left its staging files", file: file, line: line)

        // metrics.jsonl: whole lines only, and the run went on past the skipped checkpoint.
        let metrics = try XCTUnwrap(FileManager.default.contents(atPath: copy + "/metrics.jsonl"))
        XCTAssertEqual(metrics.last, 0x0A, "metrics.jsonl ends in half a line", file: file, line: line)
        let steps = try String(decoding: metrics, as: UTF8.self).split(separator: "\n").map { line -> Int in
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try XCTUnwrap(object["step"] as? Int)
        }
        XCTAssertEqual(steps, Array(1...6), file: file, line: line)
    }

    /// Skips unless this process may make mount namespaces and mount a tmpfs in one.
    func requireMountNamespaces() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs in a private mount namespace needs root") }
        let probe = path("probe")
        try FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        let status = try? runToEnd("/usr/bin/env", ["unshare", "-m", "--propagation", "private", "sh", "-c",
                                                     "mount -t tmpfs -o size=64k recur-probe \"$1\"", "sh", probe])
        guard status == 0 else { throw XCTSkip("cannot mount a tmpfs in a private mount namespace here (unshare -m)") }
    }

    /// Pages a tmpfs would charge for the regular files under `directory` (symlinks are free).
    func pages(under directory: String) throws -> Int {
        var total = 0
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            total += (size + Self.page - 1) / Self.page
        }
        return total
    }

    /// Runs `executable arguments…` to its end (killed after two minutes) and returns its status.
    func runToEnd(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in exited.signal() }
        try p.run()
        if exited.wait(timeout: .now() + CLIRunner.defaultTimeoutSeconds) == .timedOut {
            kill(p.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            XCTFail("`\(([executable] + arguments).joined(separator: " "))` did not finish")
        }
        return p.terminationStatus
    }
}
