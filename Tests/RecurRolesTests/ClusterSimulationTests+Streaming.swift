// ClusterSimulationTests+Streaming: workers that send each piece of a gradient as backpropagation
// finishes it, delivered in any order, still give the single-process bits — with 1 to 3 workers,
// 1 to 3 server slices, clipping, a poisoned piece and a worker lost mid-step.
import XCTest
import RecurData
import RecurModel
import RecurRoles
import RecurTrain

extension ClusterSimulationTests {
    /// Options for a model with several pieces per slice (the pieces are checked, not assumed).
    func streamingOptions() -> TrainOptions {
        var o = options(dropout: 0.1)
        o.hidden = 48
        o.clip = 0.05  // below every step's norm: the global norm decides every update
        return o
    }

    func testStreamedPiecesMatchSingleProcessBitForBit() throws {
        let o = streamingOptions()
        let reference = try singleProcess(o)
        for (workers, shards) in [(1, 1), (3, 1), (2, 2), (3, 3)] {
            let r = try simulate(o, workers: workers, shuffle: true, psShards: shards, streaming: true)
            XCTAssertGreaterThanOrEqual(r.sim.servers.map(\.pieces.count).reduce(0, +), 3, "the model must make several pieces")
            XCTAssertTrue(r.sim.finished, "W=\(workers) S=\(shards)")
            XCTAssertEqual(r.sim.reports.count, 5)
            XCTAssertTrue(r.sim.reports.allSatisfy { $0.gradNorm > o.clip })
            XCTAssertEqual(r.sim.servers.map(\.counters.duplicates).reduce(0, +), 0)
            assertBitIdentical(r.params, reference)
        }
    }

    func testAPoisonedPieceIsRefusedAndOnlyTheMissingPiecesAreTakenFromTheRedo() throws {
        let o = streamingOptions()
        let reference = try singleProcess(o)
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let sim = ClusterSimulation(config: RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 5),
                                    tokens: data.train, layout: layout)
        sim.streaming = true
        sim.shuffle = true
        sim.poisonGradients = 1  // the first piece sent: the others of that shard are accepted
        sim.start()
        for i in 0..<2 { sim.addWorker("worker-\(i)") }
        sim.run()
        XCTAssertTrue(sim.finished)
        XCTAssertEqual(sim.ps.counters.notFinite, 1)
        // The redo resends the pieces already taken: dropped as duplicates, or as stale once the
        // step is complete.
        XCTAssertGreaterThanOrEqual(sim.ps.counters.duplicates + sim.ps.counters.stale, 1)
        assertBitIdentical(sim.params, reference)
    }

    func testAWorkerLostMidStepWithPiecesDeliveredIsRedoneExactly() throws {
        let o = streamingOptions()
        let reference = try singleProcess(o)
        let r = try simulate(o, workers: 3, shuffle: true, silence: "worker-1", psShards: 2, streaming: true)
        XCTAssertTrue(r.sim.finished)
        XCTAssertGreaterThanOrEqual(r.sim.coordinator.counters.expired, 1)
        assertBitIdentical(r.params, reference)
    }
}
