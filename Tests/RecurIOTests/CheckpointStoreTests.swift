// CheckpointStore write/list/latest/verify tests, including corruption and truncation detection.
import Foundation
import RecurIO
import XCTest

final class CheckpointStoreTests: XCTestCase {
    private var run = ""

    override func setUpWithError() throws { run = try makeTemporaryDirectory(name) }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: run) }

    private func files(_ seed: UInt8) -> [String: [UInt8]] {
        ["model.safetensors": (0..<1000).map { UInt8(truncatingIfNeeded: Int($0) * 7 + Int(seed)) },
         "state.json": Array("{\"step\":\(seed)}".utf8),
         "empty.bin": []]
    }

    func testWriteVerifyAndLatest() throws {
        let store = CheckpointStore(runDirectory: run)
        XCTAssertEqual(store.checkpointsDirectory, run + "/checkpoints")
        XCTAssertNil(store.latest())
        let path = try store.write(step: 7, files: files(1))
        XCTAssertEqual(path, run + "/checkpoints/step-00000007")
        XCTAssertEqual(store.latest(), path)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: run + "/checkpoints/latest")
        XCTAssertEqual(link, "step-00000007")
        XCTAssertEqual(try store.verify(checkpoint: path), files(1))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted(),
                       ["latest", "step-00000007"])
        let manifest = String(decoding: try readBytes(path + "/manifest.json"), as: UTF8.self)
        XCTAssertTrue(manifest.contains("\"step\":7"), manifest)
        let crc = CRC32C.hex(CRC32C.checksum(files(1)["model.safetensors"] ?? []))
        XCTAssertTrue(manifest.contains("\"model.safetensors\":{\"bytes\":1000,\"crc32c\":\"\(crc)\"}"), manifest)
        XCTAssertEqual(CheckpointStore.step(ofCheckpoint: path), 7)
    }

    func testRewritingAStepReplacesIt() throws {
        let store = CheckpointStore(runDirectory: run)
        _ = try store.write(step: 3, files: files(1))
        let path = try store.write(step: 3, files: ["only.bin": [9, 9]])
        XCTAssertEqual(try store.verify(checkpoint: path), ["only.bin": [9, 9]])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "/model.safetensors"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").sorted(),
                       ["latest", "step-00000003"])
    }

    func testListIsSortedByStepAndLatestIsLastWritten() throws {
        let store = CheckpointStore(runDirectory: run)
        for step in [20, 3, 100_000_000, 10] { _ = try store.write(step: step, files: files(UInt8(step % 256))) }
        XCTAssertEqual(store.list().map(\.step), [3, 10, 20, 100_000_000])
        XCTAssertEqual(store.list().last?.path, run + "/checkpoints/step-100000000")
        XCTAssertEqual(store.latest(), run + "/checkpoints/step-00000010")
    }

    func testCorruptedByteIsDetectedAndNamed() throws {
        let store = CheckpointStore(runDirectory: run)
        let path = try store.write(step: 1, files: files(1))
        var bytes = try readBytes(path + "/model.safetensors")
        bytes[500] ^= 0x01
        try writeBytes(bytes, to: path + "/model.safetensors")
        XCTAssertThrowsError(try store.verify(checkpoint: path)) { error in
            guard case .checksumMismatch(let checkpoint, let file, _, _)? = error as? CheckpointError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(checkpoint, path)
            XCTAssertEqual(file, "model.safetensors")
            let message = "\(error)"
            XCTAssertTrue(message.contains(path) && message.contains("model.safetensors")
                          && message.contains("checksum"), message)
        }
    }

    func testTruncatedFileIsDetected() throws {
        let store = CheckpointStore(runDirectory: run)
        let path = try store.write(step: 1, files: files(1))
        try writeBytes(Array(try readBytes(path + "/model.safetensors").prefix(999)), to: path + "/model.safetensors")
        XCTAssertThrowsError(try store.verify(checkpoint: path)) { error in
            XCTAssertEqual(error as? CheckpointError,
                           .sizeMismatch(checkpoint: path, file: "model.safetensors", expected: 1000, actual: 999))
            XCTAssertTrue("\(error)".contains("size mismatch"))
        }
    }

    func testMissingFileManifestAndMalformedManifest() throws {
        let store = CheckpointStore(runDirectory: run)
        let path = try store.write(step: 2, files: files(2))
        try FileManager.default.removeItem(atPath: path + "/state.json")
        XCTAssertThrowsError(try store.verify(checkpoint: path)) { error in
            XCTAssertEqual(error as? CheckpointError, .missingFile(checkpoint: path, file: "state.json"))
        }
        try writeBytes(Array("{\"step\":2,\"files\":[]}".utf8), to: path + "/manifest.json")
        XCTAssertThrowsError(try store.verify(checkpoint: path)) { error in
            guard case .malformedManifest(path, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
        }
        try writeBytes(Array("{\"step\":2,\"files\":{\"../x\":{\"bytes\":0,\"crc32c\":\"00000000\"}}}".utf8),
                       to: path + "/manifest.json")
        XCTAssertThrowsError(try store.verify(checkpoint: path)) { error in
            guard case .malformedManifest(path, let detail)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("../x"), detail)
        }
        try FileManager.default.removeItem(atPath: path + "/manifest.json")
        XCTAssertThrowsError(try store.verify(checkpoint: path)) { error in
            XCTAssertEqual(error as? CheckpointError, .missingManifest(checkpoint: path))
            XCTAssertTrue("\(error)".contains(path))
        }
    }

    func testInvalidArgumentsAreRejected() throws {
        let store = CheckpointStore(runDirectory: run)
        for name in ["", ".", "..", "a/b", "manifest.json"] {
            XCTAssertThrowsError(try store.write(step: 1, files: [name: [1]])) { error in
                XCTAssertEqual(error as? CheckpointError, .invalidFileName(name))
            }
        }
        XCTAssertThrowsError(try store.write(step: -1, files: [:])) { error in
            XCTAssertEqual(error as? CheckpointError, .invalidStep(-1))
        }
        XCTAssertThrowsError(try store.prune(keep: -1)) { error in
            XCTAssertEqual(error as? CheckpointError, .invalidKeep(-1))
        }
        XCTAssertTrue(store.list().isEmpty)
    }

    func testIOErrorsNameThePathAndErrno() throws {
        let blocker = run + "/file-not-dir"
        try writeBytes([1], to: blocker)
        let store = CheckpointStore(runDirectory: blocker)
        XCTAssertThrowsError(try store.write(step: 1, files: ["a": [1]])) { error in
            guard case .io(let failure)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertTrue(failure.path.hasPrefix(blocker), failure.path)
            XCTAssertTrue("\(error)".contains("Not a directory"), "\(error)")
        }
    }
}
