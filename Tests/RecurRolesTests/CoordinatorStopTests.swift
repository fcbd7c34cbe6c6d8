// CoordinatorStopTests: how the coordinator machine ends a run it cannot finish — a stop request
// and an abort are events and actions (the Leaves to dismiss each peer, then the final action), so
// the run loop only performs them.
import XCTest
import RecurData
import RecurRoles
import RecurTrain
import RecurWire

final class CoordinatorStopTests: XCTestCase {
    /// A coordinator of a small 3-step run (two shards of two lanes) with one parameter slice at a
    /// known endpoint.
    static func oneSlice() throws -> CoordinatorMachine {
        var o = TrainOptions()
        o.syntheticSentences = 200; o.hidden = 8; o.layers = 1; o.batch = 4; o.bptt = 4; o.lanesPerShard = 2
        o.valFraction = 0; o.verbose = false
        let data = try Dataset.load(o)
        let layout = try StreamLayout(tokenCount: data.train.count, batch: o.batch, bptt: o.bptt)
        let config = RunConfig(options: o, vocab: data.tokenizer.vocabulary.count, totalSteps: 3, psShards: 1)
        return CoordinatorMachine(runID: 1, config: config, psEndpoints: ["tcp://127.0.0.1:1"], tokens: data.train, layout: layout)
    }

    /// `oneSlice()` running (its server ready) with `workers` workers; returns it and the leases
    /// dealt, by shard.
    func running(workers: Int) throws -> (CoordinatorMachine, [UInt32: UInt64]) {
        let c = try Self.oneSlice()
        _ = c.handle(.start(nowMs: 0))
        _ = c.handle(.fromPS(0, msg(.stepApplied(WireStepApplied(version: 0, step: 0, gradNorm: 0, staleness: 0)), from: "ps-0"), nowMs: 1))
        var leases: [UInt32: UInt64] = [:]
        for i in 0..<workers {
            let id = "w\(i)"
            for (shard, lease) in dealt(c.handle(.fromWorker(id: id, msg(.hello(WireHello(workerID: id, pid: 1, hostname: "h", threads: 1)), from: id),
                                                            nowMs: 2))) { leases[shard] = lease }
        }
        return (c, leases)
    }

    func msg(_ body: WireBody, from sender: String) -> WireMessage { WireMessage(runID: 1, sender: sender, sequence: 1, body: body) }

    func dealt(_ actions: [CoordinatorMachine.Action]) -> [(shard: UInt32, lease: UInt64)] {
        actions.compactMap { if case .toWorker(_, let m) = $0, case .task(let t) = m.body { return (t.shard, t.leaseID) }; return nil }
    }

    /// The peers dismissed, as "w…" or "ps-k", each with the reason its Leave gives.
    func dismissed(_ actions: [CoordinatorMachine.Action]) -> [String] {
        actions.compactMap { a in
            switch a {
            case .dismissWorker(let id, let m, _): if case .leave(let l) = m.body { return "\(id): \(l.reason)" }
            case .dismissPS(let k, let m, _): if case .leave(let l) = m.body { return "ps-\(k): \(l.reason)" }
            default: break
            }
            return nil
        }
    }

    func testAStopDismissesTheWorkersKeepsTheServersAndEndsTheRun() throws {
        let (c, _) = try running(workers: 3)
        let actions = c.handle(.stop)
        XCTAssertEqual(dismissed(actions), ["w0: stopped", "w1: stopped", "w2: stopped"], "the servers stay for a restarted coordinator")
        XCTAssertEqual(actions.last, .fail("stopped by signal at step 0"))
        XCTAssertTrue(c.isFinished)
        XCTAssertEqual(c.handle(.stop), [], "stopped once")
        XCTAssertEqual(c.handle(.tick(nowMs: 1_000_000)), [], "nothing is dealt or timed out after a stop")
    }

    func testAnAbortDismissesEveryWorkerAndServerBeforeItStops() throws {
        let (c, first) = try running(workers: 4)
        var lease = try XCTUnwrap(first[0])
        var actions: [CoordinatorMachine.Action] = []
        for i in 0..<CoordinatorMachine.maxRefusals {  // the server refuses shard 0 every time it comes
            actions = c.handle(.fromPS(0, msg(.reject(WireReject(code: .notFinite, detail: "nan", leaseID: lease)), from: "ps-0"), nowMs: 10 + i))
            if i + 1 < CoordinatorMachine.maxRefusals { lease = try XCTUnwrap(dealt(actions).first { $0.shard == 0 }?.lease, "\(actions)") }
        }
        let reason = "shard 0 of step 0 was refused 3 times (nan); stopping the run"
        XCTAssertEqual(dismissed(actions), ["w0", "w1", "w2", "w3", "ps-0"].map { "\($0): \(reason)" })
        XCTAssertEqual(actions.last, .abort(reason), "the Leaves go before the loop stops")
        XCTAssertTrue(c.isFinished)
    }
}
