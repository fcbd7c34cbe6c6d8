// CheckpointStatusTests: `recur status` names the newest checkpoint that exists. The coordinator
// machine learns a checkpoint's outcome from the runner (`.checkpointWritten` or, on a full disk,
// `.checkpointSkipped`), not from asking for it.
import XCTest
import RecurRoles
import RecurTrain
import RecurWire

extension RunScheduleTests {
    /// Checkpoints every 2 steps of 5, the one of step 4 skipped: status names step 2 until the
    /// final one is written, and counts the skip.
    func testASkippedCheckpointIsNotTheLastCheckpoint() throws {
        let sim = try simulation(options(), schedule: RunSchedule(totalSteps: 5, logEvery: 1, checkpointEvery: 2))
        sim.skippedCheckpoints = [4]
        sim.run()
        XCTAssertTrue(sim.finished)
        XCTAssertNil(sim.aborted)
        XCTAssertEqual(sim.checkpointed.map(\.step), [2, 4, 5])
        let last = sim.checkpointStatus.map { [$0.before.lastCheckpointStep, $0.after.lastCheckpointStep] }
        XCTAssertEqual(last, [[0, 2], [2, 2], [2, 5]], "a checkpoint counts once written, and a skipped one never")
        XCTAssertEqual(sim.checkpointStatus.map(\.after.checkpointsSkipped), [0, 1, 1])
        XCTAssertEqual(sim.coordinator.status(nowMs: sim.nowMs).lastCheckpointStep, 5)
    }

    /// Every checkpoint skipped: status never names one.
    func testWithEveryCheckpointSkippedStatusNamesNone() throws {
        let sim = try simulation(options(), schedule: RunSchedule(totalSteps: 5, logEvery: 1, checkpointEvery: 2))
        sim.skippedCheckpoints = [2, 4, 5]
        sim.run()
        let status = sim.coordinator.status(nowMs: sim.nowMs)
        XCTAssertEqual(status.lastCheckpointStep, 0)
        XCTAssertEqual(status.checkpointsSkipped, 3)
    }

    /// The count travels in the StatusReply.
    func testTheSkippedCountSurvivesTheWire() throws {
        let reply = WireStatusReply(step: 4, totalSteps: 5, etaSeconds: 1, lastCheckpointStep: 2, loss: 1, state: "running",
                                    workers: [], servers: [], shardsRedealt: 0, duplicatesDropped: 0, leasesOutstanding: 0,
                                    checkpointsSkipped: 3)
        let m = WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .statusReply(reply))
        let back = try WireCodec.decode(WireCodec.encode(m), expectedRun: 1)
        guard case .statusReply(let r) = back.body else { return XCTFail("\(back.body)") }
        XCTAssertEqual(r, reply)
    }
}
