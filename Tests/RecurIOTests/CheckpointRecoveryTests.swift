// CheckpointStore recovery tests: newestValid fallback, prune, stale temp folders, resolve.
import Foundation
import RecurIO
import XCTest

final class CheckpointRecoveryTests: XCTestCase {
    private var run = ""

    override func setUpWithError() throws { run = try makeTemporaryDirectory(name) }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: run) }

    private func payload(_ step: Int) -> [String: [UInt8]] {
        ["weights.bin": (0..<64).map { UInt8(truncatingIfNeeded: $0 &+ step) }]
    }

    private func corrupt(_ checkpoint: String) throws {
        var bytes = try readBytes(checkpoint + "/weights.bin")
        bytes[10] ^= 0xFF
        try writeBytes(bytes, to: checkpoint + "/weights.bin")
    }

    func testNewestValidReturnsLatestWhenIntact() throws {
        let store = CheckpointStore(runDirectory: run)
        _ = try store.write(step: 1, files: payload(1))
        let second = try store.write(step: 2, files: payload(2))
        let found = try XCTUnwrap(store.newestValid())
        XCTAssertEqual(found.path, second)
        XCTAssertEqual(found.files, payload(2))
        XCTAssertTrue(found.skipped.isEmpty)
    }

    func testNewestValidFallsBackWhenLatestIsCorrupt() throws {
        let store = CheckpointStore(runDirectory: run)
        let first = try store.write(step: 1, files: payload(1))
        let second = try store.write(step: 2, files: payload(2))
        try corrupt(second)
        let found = try XCTUnwrap(store.newestValid())
        XCTAssertEqual(found.path, first)
        XCTAssertEqual(found.files, payload(1))
        XCTAssertEqual(found.skipped.map(\.path), [second])
        XCTAssertTrue(found.skipped.first?.error.contains("checksum mismatch") ?? false)
    }

    func testNewestValidPrefersLatestOverHigherSteps() throws {
        let store = CheckpointStore(runDirectory: run)
        _ = try store.write(step: 9, files: payload(9))
        let rolledBack = try store.write(step: 4, files: payload(4))
        let found = try XCTUnwrap(store.newestValid())
        XCTAssertEqual(found.path, rolledBack)
    }

    func testNewestValidReportsDanglingLatestAndNilWhenNothingVerifies() throws {
        let store = CheckpointStore(runDirectory: run)
        XCTAssertNil(store.newestValid())
        let first = try store.write(step: 1, files: payload(1))
        let second = try store.write(step: 2, files: payload(2))
        try FileManager.default.removeItem(atPath: second)
        XCTAssertNil(store.latest())
        let found = try XCTUnwrap(store.newestValid())
        XCTAssertEqual(found.path, first)
        XCTAssertEqual(found.skipped.count, 1)
        XCTAssertTrue(found.skipped.first?.error.contains("step-00000002") ?? false)
        try corrupt(first)
        XCTAssertNil(store.newestValid())
    }

    func testPruneKeepsNewestAndNeverLatest() throws {
        let store = CheckpointStore(runDirectory: run)
        for step in 1...5 { _ = try store.write(step: step, files: payload(step)) }
        try store.prune(keep: 3)
        XCTAssertEqual(store.list().map(\.step), [3, 4, 5])
        XCTAssertEqual(store.latest(), run + "/checkpoints/step-00000005")

        let rolledBack = try store.write(step: 1, files: payload(1))
        try store.prune(keep: 1)
        XCTAssertEqual(store.list().map(\.step), [1, 5])
        XCTAssertEqual(store.latest(), rolledBack)
        try store.prune(keep: 0)
        XCTAssertEqual(store.list().map(\.step), [1])
        XCTAssertNoThrow(try store.verify(checkpoint: rolledBack))
    }

    func testStaleTempFoldersAreIgnoredByListAndRemovedByPrune() throws {
        let store = CheckpointStore(runDirectory: run)
        _ = try store.write(step: 1, files: payload(1))
        let folder = store.checkpointsDirectory
        let stale = folder + "/.tmp-step-00000002-99999"
        try FileManager.default.createDirectory(atPath: stale + "/nested", withIntermediateDirectories: true)
        try writeBytes([1, 2, 3], to: stale + "/nested/weights.bin")
        try FileManager.default.createDirectory(atPath: folder + "/step-abc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/step-12", withIntermediateDirectories: true)
        try writeBytes([0], to: folder + "/step-00000003")
        try FileManager.default.createSymbolicLink(atPath: folder + "/latest.tmp-99999", withDestinationPath: "step-00000001")
        XCTAssertEqual(store.list().map(\.step), [1])

        try store.prune(keep: 5)
        let remaining = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertEqual(remaining, ["latest", "step-00000001", "step-00000003", "step-12", "step-abc"])
        XCTAssertEqual(store.list().map(\.step), [1])
    }

    func testResolve() throws {
        let store = CheckpointStore(runDirectory: run)
        let checkpoint = try store.write(step: 5, files: payload(5))
        XCTAssertEqual(CheckpointStore.resolve(run), checkpoint)
        XCTAssertEqual(CheckpointStore.resolve(run + "/"), checkpoint)
        XCTAssertEqual(CheckpointStore.resolve(store.checkpointsDirectory), checkpoint)
        XCTAssertEqual(CheckpointStore.resolve(checkpoint), checkpoint)
        let elsewhere = run + "/not-a-run"
        XCTAssertEqual(CheckpointStore.resolve(elsewhere), elsewhere)
    }

    func testSafetensorsInsideACheckpoint() throws {
        let store = CheckpointStore(runDirectory: run)
        let tensors = [TensorRecord(name: "w", shape: [2, 2], values: [1, 2, 3, 4])]
        let bytes = try SafeTensors.encode(tensors, metadata: ["step": "3"])
        let path = try store.write(step: 3, files: ["model.safetensors": bytes])
        let found = try XCTUnwrap(store.newestValid())
        XCTAssertEqual(found.path, path)
        let decoded = try SafeTensors.decode(try XCTUnwrap(found.files["model.safetensors"]))
        XCTAssertEqual(decoded.tensors, tensors)
        XCTAssertEqual(try SafeTensors.read(path: path + "/model.safetensors").metadata, ["step": "3"])
    }
}
