// CPUCheckTests: on a CPU without AVX2 the shipped build refuses to start with an error naming
// the portable rebuild, instead of dying with SIGILL. The CPU is emulated by qemu-x86_64
// (Debian's qemu-user); without it the tests skip.
import Foundation
import XCTest

final class CPUCheckTests: XCTestCase {
    /// Runs `qemu-x86_64 -cpu <cpu> recur train --single-process …` (two steps of a tiny model),
    /// waiting at most `timeout` seconds.
    private func recurOnEmulated(_ cpu: String, timeout: Double = 120) throws -> (status: Int32, signaled: Bool, stderr: String) {
        #if !arch(x86_64)
        throw XCTSkip("the check concerns x86-64 builds")
        #else
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        guard let qemu = dirs.map({ $0 + "/qemu-x86_64" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("needs qemu-x86_64 (apt-get install qemu-user) to emulate a CPU without AVX2")
        }
        // Standard error goes to a file, so a run that hangs cannot also block a pipe reader.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("recur-cpu-\(UUID().uuidString).log")
        let runDir = FileManager.default.temporaryDirectory.appendingPathComponent("recur-cpu-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { for url in [log, runDir] { try? FileManager.default.removeItem(at: url) } }
        let process = Process(), exited = DispatchSemaphore(value: 0)
        process.executableURL = URL(fileURLWithPath: qemu)
        // A tiny training run, so that the kernels' AVX2 code runs unless the check stops it.
        process.arguments = ["-cpu", cpu, try CLIRunner.binary().path, "train", "--single-process", "--run-dir", runDir.path]
            + CLITestCase.tinyTrainFlags + ["--steps", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            _ = exited.wait(timeout: .now() + 10)
            XCTFail("qemu-x86_64 -cpu \(cpu) recur train did not end within \(timeout) s")
        }
        let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, stderr)
        #endif
    }

    func testACPUWithoutAVX2GetsTheErrorAndStatus2() throws {
        let r = try recurOnEmulated("Nehalem")  // SSE4.2, no AVX
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: this build needs AVX2 and FMA; rebuild with `swift build -c release "), r.stderr)
    }

    func testACPUWithAVX2Runs() throws {
        let r = try recurOnEmulated("Haswell")
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
