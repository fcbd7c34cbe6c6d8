// RunScheduleTests: the one schedule both drivers follow — which steps write a line, evaluate and
// checkpoint — and the coordinator machine following it: weights read as requests and replies,
// checkpoints by time from the events' clock, a silent server noticed on ticks, and a resumed run
// that was already complete left alone.
import XCTest
import RecurData
import RecurMath
import RecurModel
import RecurRoles
import RecurTrain
import RecurWire

final class RunScheduleTests: XCTestCase {
    func testLinesAtLogStepsEvaluationStepsAndTheLastOnly() {
        let s = RunSchedule(totalSteps: 13, logEvery: 4, evalEvery: 3, checkpointEvery: 5)
        let plans = (1...13).map { s.after(step: $0, secondsSinceCheckpoint: 0) }
        XCTAssertEqual(plans.filter(\.writesLine).map(\.step), [3, 4, 6, 8, 9, 12, 13])
        XCTAssertEqual(plans.filter(\.evaluates).map(\.step), [3, 6, 9, 12, 13])
        XCTAssertEqual(plans.filter(\.checkpoints).map(\.step), [5, 10, 13])
        XCTAssertEqual(plans.filter(\.isLast).map(\.step), [13])
        XCTAssertTrue(s.after(step: 2, secondsSinceCheckpoint: 1).readsWeights == false)
        let timed = RunSchedule(totalSteps: 13, checkpointEverySeconds: 2)
        XCTAssertFalse(timed.after(step: 2, secondsSinceCheckpoint: 1.9).checkpoints)
        XCTAssertTrue(timed.after(step: 2, secondsSinceCheckpoint: 2).checkpoints)
        XCTAssertTrue(s.isComplete(atStep: 13))
        XCTAssertFalse(s.isComplete(atStep: 12))
    }

    func testLengthComesFromStepsElseEpochs() {
        var o = TrainOptions()
        o.epochs = 2.5
        XCTAssertEqual(RunSchedule(options: o, chunksPerEpoch: 4).totalSteps, 10)
        o.steps = 7
        XCTAssertEqual(RunSchedule(options: o, chunksPerEpoch: 4).totalSteps, 7)
    }

    func options() -> TrainOptions {
        var o = TrainOptions()
        o.syntheticSentences = 300; o.hidden = 12; o.layers = 2; o.batch = 8; o.bptt = 6; o.lanesPerShard = 2
        o.steps = 5; o.threads = 1; o.verbose = false; o.valFraction = 0
        o.runDirectory = NSTemporaryDirectory() + "recur-schedule-\(UUID().uuidString)"
        return o
    }

    /// Parameters after each of `steps` single-process steps.
    func singleProcessSteps(_ o: TrainOptions) throws -> [[Float]] {
        let t = try Trainer(options: o)
        defer { try? FileManager.default.removeItem(atPath: o.runDirectory) }
        return (0..<o.steps!).map { _ in
            XCTAssertTrue(t.trainStep().loss.isFinite)
            return t.params.array
        }
    }

    func simulation(_ o: TrainOptions, schedule: RunSchedule, workers: Int = 2, seed: UInt64 = 7,
                    leaseTimeoutMs: Int = 5_000, heartbeatIntervalMs: Int = 1_000) throws -> ClusterSimulation {
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        var config = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: o.steps!,
                               leaseTimeoutMs: leaseTimeoutMs, psShards: 2)
        config.heartbeatIntervalMs = heartbeatIntervalMs
        let sim = ClusterSimulation(config: config, tokens: data.train, layout: layout, schedule: schedule)
        sim.shuffle = true
        sim.rng = SplitMix64(seed: seed)
        sim.start()
        for i in 0..<workers { sim.addWorker("worker-\(i)") }
        return sim
    }

    /// Every read hands the runner the weights of exactly the step it names, gathered from both
    /// slices, at the steps the schedule names — whatever the delivery order.
    func testWeightsAreReadAtTheScheduledStepsAndAreThatStepsWeights() throws {
        let o = options()
        let reference = try singleProcessSteps(o)
        for seed in [1, 2, 3] as [UInt64] {
            let sim = try simulation(o, schedule: RunSchedule(totalSteps: 5, logEvery: 1, evalEvery: 3, checkpointEvery: 2), seed: seed)
            sim.run()
            XCTAssertTrue(sim.finished)
            XCTAssertNil(sim.aborted)
            XCTAssertEqual(sim.evaluated.map(\.step), [3, 5], "seed \(seed)")
            XCTAssertEqual(sim.dismissed.sorted(), ["ps-0", "ps-1"] + sim.workers.keys.sorted(), "the end dismisses every peer")
            XCTAssertEqual(sim.checkpointed.map(\.step), [2, 4, 5], "seed \(seed)")
            for w in sim.evaluated + sim.checkpointed { assertBitIdentical(w.params.array, reference[w.step - 1]) }
            XCTAssertTrue(sim.checkpointed.allSatisfy { $0.version == UInt64($0.step) && $0.m.count == $0.params.count })
            XCTAssertTrue(sim.evaluated.filter { $0.step < 5 }.allSatisfy { $0.m.count == 0 }, "an evaluation needs no moments")
        }
    }

    /// Async mode reads weights too (shards of later steps may still be in flight), and still ends
    /// with the final read whatever the order in which steps end.
    func testAsyncRunsReadWeightsOnScheduleAndEndWithTheFinalRead() throws {
        var o = options()
        o.steps = 12
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        for seed in [1, 2, 3, 4] as [UInt64] {
            let sim = ClusterSimulation(config: RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 12,
                                                          mode: .async, staleness: 2),
                                        tokens: data.train, layout: layout,
                                        schedule: RunSchedule(totalSteps: 12, logEvery: 1, evalEvery: 5, checkpointEvery: 4))
            sim.shuffle = true
            sim.rng = SplitMix64(seed: seed)
            sim.start()
            for i in 0..<4 { sim.addWorker("worker-\(i)") }
            sim.run()
            XCTAssertTrue(sim.finished, "seed \(seed)")
            XCTAssertNil(sim.aborted)
            XCTAssertEqual(sim.reports.map(\.step), Array(1...12), "every step reported once, in order")
            XCTAssertEqual(sim.checkpointed.last?.step, 12)
            XCTAssertEqual(sim.checkpointed.last?.version, UInt64(12 * 4), "the final read has every update")
            XCTAssertEqual(sim.evaluated.last?.step, 12)
            assertBitIdentical(sim.checkpointed.last?.params.array ?? [], sim.params)
        }
    }

    /// A reply lost on its way is asked for again after a lease timeout, and the read still gives
    /// that step's weights.
    func testALostWeightsReplyIsAskedForAgain() throws {
        let o = options()
        let reference = try singleProcessSteps(o)
        let sim = try simulation(o, schedule: RunSchedule(totalSteps: 5, logEvery: 1, checkpointEvery: 2))
        var dropped = 0
        while !sim.finished && dropped == 0 {
            sim.run(limit: 1)
            if let i = sim.queue.firstIndex(where: { if case .toCoordinatorFromPS(_, let m) = $0, case .weights = m.body { return true }; return false }) {
                sim.queue.remove(at: i)
                dropped += 1
            }
        }
        sim.run()
        XCTAssertEqual(dropped, 1)
        XCTAssertTrue(sim.finished)
        XCTAssertNil(sim.aborted)
        XCTAssertEqual(sim.checkpointed.map(\.step), [2, 4, 5])
        for w in sim.checkpointed { assertBitIdentical(w.params.array, reference[w.step - 1]) }
    }

    /// Checkpoints by time follow the clock of the events: none while no time passes, one after
    /// every step when each delivery takes a second.
    func testTimedCheckpointsFollowTheEventsClock() throws {
        let o = options()
        let schedule = RunSchedule(totalSteps: 5, logEvery: 10, checkpointEverySeconds: 3)
        let still = try simulation(o, schedule: schedule)
        still.run()
        XCTAssertEqual(still.checkpointed.map(\.step), [5])
        // No lease runs out; and with a delivery a second, the servers' heartbeats go a minute
        // apart, or the coordinator's beats (one a second to each) would be most of the traffic.
        let slow = try simulation(o, schedule: schedule, leaseTimeoutMs: 600_000, heartbeatIntervalMs: 60_000)
        slow.run(tickEvery: 1)
        XCTAssertTrue(slow.finished)
        XCTAssertNil(slow.aborted)
        XCTAssertEqual(slow.checkpointed.map(\.step), [1, 2, 3, 4, 5])
    }

}

/// The coordinator machine alone: a silent server noticed on ticks, a complete run left alone.
extension CoordinatorRegistrationTests {
    func applied(version: UInt64) -> WireMessage {
        msg(.stepApplied(WireStepApplied(version: version, step: version, gradNorm: 0, staleness: 0)), from: "ps-0")
    }

    func registered() throws -> CoordinatorMachine {
        let c = try machine(shards: 1)
        _ = c.handle(.start(nowMs: 0))
        _ = c.handle(.fromWorker(id: "ps-0", hello("ps-0", ps: 0, endpoint: "tcp://127.0.0.1:1"), nowMs: 0))
        return c
    }

    static func isBeat(_ a: CoordinatorMachine.Action) -> Bool {
        if case .toPS(_, let m) = a, case .heartbeat = m.body { return true }
        return false
    }

    /// With one server no step message reaches it, so the coordinator's heartbeats are what keeps
    /// a long run's server from giving up on it: one per interval, to every registered server.
    func testTheCoordinatorTellsItsServersItLivesOncePerHeartbeatInterval() throws {
        let c = try registered()
        let every = c.config.heartbeatIntervalMs
        XCTAssertEqual(c.handle(.tick(nowMs: 1)).filter(Self.isBeat).count, 1, "the first tick beats")
        XCTAssertEqual(c.handle(.tick(nowMs: every)).filter(Self.isBeat).count, 0, "not before the interval is up")
        XCTAssertEqual(c.handle(.tick(nowMs: every + 1)).filter(Self.isBeat).count, 1)
        // Every interval of a long stretch gets its beat (PSRegistrationTests: a server counts
        // the coordinator's heartbeat as its word), so a server never hears a silence longer than it.
        var beats: [Int] = []
        for t in stride(from: 2 * every + 1, through: 200 * every, by: every / 4) {
            _ = c.handle(.fromPS(0, msg(.heartbeat(WireHeartbeat(nowMs: UInt64(t), state: "running")), from: "ps-0"), nowMs: t))
            if c.handle(.tick(nowMs: t)).contains(where: Self.isBeat) { beats.append(t) }
        }
        XCTAssertEqual(beats.count, 198)
        XCTAssertLessThanOrEqual(zip(beats, beats.dropFirst()).map { $1 - $0 }.max() ?? 0, every + every / 4)
    }

    func testASilentServerEndsTheRunOnATickAndSpeakingKeepsItAlive() throws {
        let c = try registered()
        let limit = 4 * c.config.leaseTimeoutMs
        XCTAssertEqual(c.handle(.tick(nowMs: limit)).filter { !Self.isBeat($0) }, [], "four lease timeouts exactly: still waiting")
        _ = c.handle(.fromPS(0, applied(version: 0), nowMs: 3_000))
        XCTAssertFalse(c.handle(.tick(nowMs: 3_000 + limit)).contains { if case .peerTimeout = $0 { return true }; return false })
        let late = c.handle(.tick(nowMs: 3_001 + limit))
        XCTAssertEqual(late.count, 1)
        guard case .peerTimeout = late.first else { return XCTFail("\(late)") }
        XCTAssertTrue(c.isFinished)
        XCTAssertEqual(c.handle(.tick(nowMs: 4_000 + limit)), [], "a finished machine does nothing")
    }

    /// A resumed run whose servers are already at its last step deals nothing, reads and writes
    /// nothing, and ends.
    func testAResumedRunThatWasCompleteEndsWithoutDealingOrWriting() throws {
        let c = try registered()
        _ = c.handle(.fromWorker(id: "w0", hello("w0"), nowMs: 1))
        let actions = c.handle(.fromPS(0, applied(version: UInt64(c.config.totalSteps)), nowMs: 2))
        XCTAssertEqual(actions.last, .finished, "\(actions)")
        let dismissed = actions.compactMap { a -> String? in
            if case .dismissWorker(let id, let m, _) = a, case .leave = m.body { return id }
            if case .dismissPS(let k, let m, _) = a, case .leave = m.body { return "ps-\(k)" }
            return nil
        }
        XCTAssertEqual(dismissed, ["w0", "ps-0"], "everyone is told the run is over before it ends")
        XCTAssertTrue(c.isFinished)
        XCTAssertFalse(actions.contains { a in
            switch a {
            case .toWorker, .toPS, .stepDone, .evaluate, .checkpoint: return true
            default: return false
            }
        }, "\(actions)")
        XCTAssertEqual(c.step, c.config.totalSteps)
    }
}
