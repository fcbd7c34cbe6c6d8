// ClusterSimulationTests+Schedules: the real machines over many hostile delivery schedules — 50
// seeded shuffles, then lost and duplicated deliveries — each giving the single process's bits.
import XCTest
import RecurMath
import RecurRoles
import RecurTrain

extension ClusterSimulationTests {
    /// Options small enough for many runs, with several pieces per slice and up to two slices.
    func scheduleOptions() -> TrainOptions {
        var o = options(dropout: 0.1)
        o.hidden = 24
        o.clip = 0.05  // below every step's norm: the global norm decides every update
        return o
    }

    func testFiftyShuffledSchedulesEachGiveTheSingleProcessBits() throws {
        let o = scheduleOptions()
        let reference = try singleProcess(o)
        for seed in 1...50 as ClosedRange<UInt64> {
            let workers = 1 + Int(seed % 3), shards = 1 + Int(seed / 3 % 2), streaming = seed % 4 != 0
            let r = try simulate(o, workers: workers, shuffle: true, psShards: shards, streaming: streaming, seed: seed)
            let what = "seed \(seed): W=\(workers) S=\(shards) streaming=\(streaming)"
            XCTAssertTrue(r.sim.finished, what)
            XCTAssertNil(r.sim.aborted, what)
            XCTAssertEqual(r.sim.reports.count, o.steps!, what)
            XCTAssertEqual(r.sim.coordinator.counters.expired, 0, "no lease may be lost when nothing is: \(what)")
            assertBitIdentical(r.params, reference)
            if r.params.map(\.bitPattern) != reference.map(\.bitPattern) { return XCTFail(what) }
        }
    }

    func testLostAndDuplicatedDeliveriesStillGiveTheSingleProcessBits() throws {
        let o = scheduleOptions()
        let reference = try singleProcess(o)
        var dropped = 0, duplicated = 0, duplicatesRefused = 0, expired = 0
        for seed in 100...111 as ClosedRange<UInt64> {
            let shards = 1 + Int(seed % 2)
            let r = try simulate(o, workers: 3, shuffle: true, psShards: shards, streaming: seed % 3 != 0, seed: seed,
                                 dropPerMille: 60, duplicatePerMille: 150)
            let what = "seed \(seed): S=\(shards)"
            XCTAssertTrue(r.sim.finished, what)
            XCTAssertNil(r.sim.aborted, what)
            XCTAssertEqual(r.sim.reports.count, o.steps!, what)
            assertBitIdentical(r.params, reference)
            if r.params.map(\.bitPattern) != reference.map(\.bitPattern) { return XCTFail(what) }
            dropped += r.sim.dropped
            expired += r.sim.coordinator.counters.expired
            duplicated += r.sim.duplicated
            duplicatesRefused += r.sim.servers.map(\.counters.duplicates).reduce(0, +)
        }
        XCTAssertGreaterThanOrEqual(dropped, 3, "the schedules must lose deliveries")
        XCTAssertGreaterThanOrEqual(expired, 1, "a lost piece's lease expires (unless its twin got through)")
        XCTAssertGreaterThanOrEqual(duplicated, 10, "and deliver some twice")
        XCTAssertGreaterThanOrEqual(duplicatesRefused, 1, "duplicated gradients are refused by the servers")
    }
}
