// ClusterSimulationTests: the role machines, wired in memory, reproduce the single-process
// trainer bit for bit — in order, shuffled, with 1 or 3 workers, and with a worker lost mid-step.
import XCTest
import RecurData
import RecurMath
import RecurModel
import RecurRoles
import RecurTrain

/// Fails with the first differing index instead of printing whole parameter vectors.
func assertBitIdentical(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "parameter counts differ", file: file, line: line)
    if let i = zip(a, b).enumerated().first(where: { $0.element.0.bitPattern != $0.element.1.bitPattern })?.offset {
        XCTFail("parameters differ first at index \(i): \(a[i]) vs \(b[i])", file: file, line: line)
    }
}

final class ClusterSimulationTests: XCTestCase {
    func options(dropout: Float = 0) -> TrainOptions {
        var o = TrainOptions()
        o.syntheticSentences = 300
        o.hidden = 12
        o.layers = 2
        o.batch = 8
        o.bptt = 6
        o.lanesPerShard = 2
        o.steps = 5
        o.dropout = dropout
        o.threads = 1
        o.verbose = false
        o.valFraction = 0
        o.runDirectory = NSTemporaryDirectory() + "recur-sim-\(UUID().uuidString)"
        return o
    }

    /// Parameters after `steps` single-process steps.
    func singleProcess(_ o: TrainOptions) throws -> [Float] {
        let t = try Trainer(options: o)
        for _ in 0..<o.steps! { _ = t.trainStep() }
        try? FileManager.default.removeItem(atPath: o.runDirectory)
        return t.params.array
    }

    func simulate(_ o: TrainOptions, workers: Int, shuffle: Bool, silence: String? = nil,
                  leaseTimeoutMs: Int = 5_000, psShards: Int = 1, streaming: Bool = false,
                  schedule: RunSchedule? = nil, seed: UInt64 = 7, dropPerMille: UInt64 = 0,
                  duplicatePerMille: UInt64 = 0) throws -> (params: [Float], sim: ClusterSimulation) {
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let config = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: o.steps!,
                               leaseTimeoutMs: leaseTimeoutMs, psShards: psShards)
        let sim = ClusterSimulation(config: config, tokens: data.train, layout: layout, schedule: schedule)
        sim.shuffle = shuffle
        sim.streaming = streaming
        sim.rng = SplitMix64(seed: seed)
        sim.dropPerMille = dropPerMille
        sim.duplicatePerMille = duplicatePerMille
        sim.start()
        for i in 0..<workers { sim.addWorker("worker-\(i)") }
        if let s = silence {
            sim.run(limit: 12)  // let the doomed worker take a lease, then cut it off
            sim.silence(s)
        }
        sim.run(tickEvery: silence == nil ? 0 : 50)
        return (sim.servers.allSatisfy { $0.params != nil } ? sim.params : [], sim)
    }

    func testShardedParameterServersMatchSingleProcessBitForBitWhileClipping() throws {
        var o = options(dropout: 0.1)
        o.hidden = 24
        o.clip = 0.05  // below every step's norm, so the global norm decides every update
        let reference = try singleProcess(o)
        for shards in [1, 2, 3] {
            let r = try simulate(o, workers: 3, shuffle: true, psShards: shards)
            XCTAssertTrue(r.sim.finished, "S=\(shards)")
            XCTAssertEqual(r.sim.reports.count, 5)
            XCTAssertTrue(r.sim.reports.allSatisfy { $0.gradNorm > o.clip }, "clipping must be exercised: \(r.sim.reports.map(\.gradNorm))")
            let ranges = r.sim.servers.map(\.slice.range)
            XCTAssertEqual(ranges.count, shards)
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, reference.count)
            assertBitIdentical(r.params, reference)
        }
    }

    func testAShardThatReachedOnlyOneServerIsRedoneFromTheRightState() throws {
        var o = options()
        o.hidden = 24
        let reference = try singleProcess(o)
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let sim = ClusterSimulation(config: RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 5,
                                                      leaseTimeoutMs: 5_000, psShards: 2),
                                    tokens: data.train, layout: layout)
        sim.partiallyDelivered = "worker-1"
        sim.start()
        for i in 0..<2 { sim.addWorker("worker-\(i)") }
        sim.run(tickEvery: 50)
        XCTAssertTrue(sim.finished)
        XCTAssertTrue(sim.silenced.contains("worker-1"), "the partial delivery must have happened")
        XCTAssertGreaterThanOrEqual(sim.coordinator.counters.expired, 1)
        XCTAssertEqual(sim.servers[0].counters.duplicates, 1, "server 0 had the shard already")
        assertBitIdentical(sim.params, reference)
    }

    func testShardsAreBalancedByBytesOnBlockBoundaries() throws {
        let s = try ParameterShards(count: 10_000, shards: 3)
        XCTAssertEqual(s.ranges.map(\.lowerBound), [0, 3 * 1024, 6 * 1024])
        XCTAssertEqual(s.ranges.last?.upperBound, 10_000)
        for r in s.ranges.dropLast() { XCTAssertEqual(r.upperBound % NormBlocks.blockFloats, 0) }
        XCTAssertThrowsError(try ParameterShards(count: 2_000, shards: 3))  // two blocks for three servers
        // The global norm is the same whether summed whole or from the slices' block sums.
        var rng = SplitMix64(seed: 3)
        let g = (0..<10_000).map { _ in Float(Double(rng.next() % 2000) / 1000 - 1) }
        let whole = g.withUnsafeBufferPointer { NormBlocks.total(NormBlocks.blockSums($0.baseAddress!, count: $0.count)) }
        let parts = g.withUnsafeBufferPointer { b in s.ranges.flatMap { NormBlocks.blockSums(b.baseAddress! + $0.lowerBound, count: $0.count) } }
        XCTAssertEqual(NormBlocks.total(parts).bitPattern, whole.bitPattern)
        let naive = g.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(whole, naive, accuracy: naive * 1e-12)
    }

    func testOneWorkerMatchesSingleProcessBitForBit() throws {
        let o = options()
        let reference = try singleProcess(o)
        let r = try simulate(o, workers: 1, shuffle: false)
        XCTAssertTrue(r.sim.finished)
        XCTAssertEqual(r.sim.reports.count, 5)
        assertBitIdentical(r.params, reference)
    }

    /// A step whose weights the loop reads (a checkpoint, an evaluation) is reported before the next
    /// step is dealt, so no server can have moved past it when asked; other steps deal first.
    func testTheNextStepWaitsForAStepWhoseWeightsAreRead() throws {
        let o = options()
        let reference = try singleProcess(o)
        let r = try simulate(o, workers: 2, shuffle: true, schedule: RunSchedule(totalSteps: o.steps!, logEvery: 1, evalEvery: 2))
        XCTAssertTrue(r.sim.finished)
        for step in 1..<o.steps! {
            XCTAssertEqual(r.sim.dealtBeforeReport[step], step % 2 == 1, "step \(step)")
        }
        assertBitIdentical(r.params, reference)
    }

    func testThreeWorkersShuffledDeliveryMatchesBitForBit() throws {
        let o = options(dropout: 0.2)
        let reference = try singleProcess(o)
        let r = try simulate(o, workers: 3, shuffle: true)
        XCTAssertTrue(r.sim.finished)
        XCTAssertEqual(r.sim.coordinator.counters.expired, 0, "no lease may be lost when nothing fails")
        assertBitIdentical(r.params, reference)
    }

    func testLossesMatchSingleProcessMetrics() throws {
        let o = options()
        let t = try Trainer(options: o)
        var losses: [Double] = []
        for _ in 0..<5 { losses.append(t.trainStep().loss) }
        try? FileManager.default.removeItem(atPath: o.runDirectory)
        let r = try simulate(o, workers: 2, shuffle: true)
        XCTAssertEqual(r.sim.reports.map(\.loss), losses)
    }

    func testNonFiniteGradientIsRefusedAndDealtAgainAtOnce() throws {
        let o = options()
        let reference = try singleProcess(o)
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let sim = ClusterSimulation(config: RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 5),
                                    tokens: data.train, layout: layout)
        sim.poisonGradients = 1
        sim.start()
        for i in 0..<2 { sim.addWorker("worker-\(i)") }
        sim.run()
        XCTAssertTrue(sim.finished)
        XCTAssertNil(sim.aborted)
        XCTAssertEqual(sim.ps.counters.notFinite, 1)
        XCTAssertEqual(sim.coordinator.counters.expired, 0, "a refused shard is dealt again at once, not after its lease")
        assertBitIdentical(sim.ps.params?.array ?? [], reference)
    }

    func testAShardRefusedAgainAndAgainStopsTheRun() throws {
        let o = options()
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let sim = ClusterSimulation(config: RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 5),
                                    tokens: data.train, layout: layout)
        sim.poisonGradients = 1000
        sim.start()
        sim.addWorker("worker-0")
        sim.run()
        XCTAssertNotNil(sim.aborted, "a shard that is never finite must stop the run, not loop")
        XCTAssertGreaterThanOrEqual(sim.ps.counters.notFinite, CoordinatorMachine.maxRefusals)
        XCTAssertLessThanOrEqual(sim.ps.counters.notFinite, CoordinatorMachine.maxRefusals * 4, "bounded: at most maxRefusals per shard")
        XCTAssertEqual(sim.ps.version, 0)
    }

    func testLostWorkerLeaseIsDealtAgainAndBitsStillMatch() throws {
        let o = options()
        let reference = try singleProcess(o)
        let r = try simulate(o, workers: 3, shuffle: false, silence: "worker-0", leaseTimeoutMs: 2_000)
        XCTAssertTrue(r.sim.finished)
        XCTAssertGreaterThanOrEqual(r.sim.coordinator.counters.expired, 1)
        XCTAssertFalse(r.sim.coordinator.workerIDs.contains("worker-0"))
        assertBitIdentical(r.params, reference)
    }
}

/// Asynchronous updates: bounded staleness, every chunk applied exactly once, and learning.
final class AsyncSimulationTests: XCTestCase {
    func testAsyncRunAppliesEveryShardOnceWithBoundedStalenessAndLearns() throws {
        var o = TrainOptions()
        o.syntheticSentences = 600
        o.hidden = 24
        o.layers = 1
        o.batch = 8
        o.bptt = 16
        o.lanesPerShard = 2
        o.steps = 40
        o.learningRate = 0.01
        o.threads = 1
        o.verbose = false
        o.valFraction = 0
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let config = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 40, mode: .async,
                               staleness: 2)
        let sim = ClusterSimulation(config: config, tokens: data.train, layout: layout)
        sim.shuffle = true
        sim.start()
        for i in 0..<4 { sim.addWorker("worker-\(i)") }
        sim.run()
        XCTAssertTrue(sim.finished)
        XCTAssertEqual(sim.ps.version, UInt64(40 * config.shardCount), "every shard chunk applied exactly once")
        XCTAssertEqual(sim.reports.count, 40)
        XCTAssertEqual(sim.coordinator.counters.expired, 0, "no lease may be lost when nothing fails")
        XCTAssertLessThanOrEqual(sim.reports.map(\.maxStaleness).max() ?? 99, 2)
        XCTAssertGreaterThan(sim.reports.map(\.maxStaleness).max() ?? 0, 0, "4 workers must overlap")
        let first = sim.reports.prefix(5).map(\.loss).reduce(0, +) / 5
        let last = sim.reports.suffix(5).map(\.loss).reduce(0, +) / 5
        XCTAssertLessThan(last, first - 0.3, "async training should lower the loss (\(first) → \(last))")
    }
}
