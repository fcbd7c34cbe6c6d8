// CompleteRunTests: resuming a single-process run that already reached its last step trains
// nothing, changes no file, and reports the figures its metrics recorded (no NaN loss, no
// throughput for steps it did not run).
import RecurIO
import Foundation
import RecurTrain
import XCTest

final class CompleteRunTests: CLITestCase {
    /// Every regular file under `dir` by relative path (a symbolic link as its target).
    func snapshot(_ dir: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let fm = FileManager.default
        for case let relative as String in fm.enumerator(atPath: dir.path)! {
            let full = dir.appendingPathComponent(relative).path
            switch try fm.attributesOfItem(atPath: full)[.type] as? FileAttributeType {
            case .typeSymbolicLink?: files[relative] = Data(try fm.destinationOfSymbolicLink(atPath: full).utf8)
            case .typeRegular?: files[relative] = try Data(contentsOf: URL(fileURLWithPath: full))
            default: break
            }
        }
        return files
    }

    func testResumingACompleteRunChangesNothingAndReportsItsRecordedFigures() throws {
        let run = try trainTiny("done", ["--checkpoint-every", "5", "--eval-every", "10", "--val-fraction", "0.1"])
        let before = try snapshot(run)
        XCTAssertNotNil(before["checkpoints/step-00000020/model.safetensors"])
        let resumed = try recurOK(["train", "--single-process", "--resume", run.path, "--quiet", "--log-format", "json"])
        XCTAssertEqual(resumed.events(.runComplete).map { $0.field("step") }, [.int(20)], "says the run is complete\n\(resumed.summary)")
        XCTAssertEqual(try snapshot(run), before, "the command changed the run's files")

        let state = try XCTUnwrap(try ResumeState.load(run.path))
        var o = try state.options(TrainOptions(), explicit: [])
        o.runDirectory = run.path
        o.verbose = false
        let summary = try Trainer(options: o, resume: state).run()
        let last = try XCTUnwrap(try RunFolder(url: run).metrics().last)
        XCTAssertTrue(summary.alreadyComplete)
        XCTAssertEqual(summary.steps, 20)
        XCTAssertEqual(last.step, 20)
        XCTAssertEqual(summary.lastLoss, last.loss, "the loss the metrics recorded for the last step")
        XCTAssertEqual(summary.valLoss, last.valLoss)
        XCTAssertNotNil(summary.valLoss)
        XCTAssertEqual(summary.tokensPerSecond, 0, "no step ran")
        XCTAssertEqual(summary.checkpoint, run.appendingPathComponent("checkpoints/step-00000020").path)
        XCTAssertEqual(try snapshot(run), before, "the trainer changed the run's files")
    }
}
