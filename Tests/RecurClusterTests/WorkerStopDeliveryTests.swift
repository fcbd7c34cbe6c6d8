// WorkerStopDeliveryTests: a worker SIGTERMed mid-shard still delivers that shard's gradient (the test plays the PS).
import Foundation
import RecurIO
import RecurTransport
import RecurWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class WorkerStopDeliveryTests: ClusterTestCase {
    private let runID: UInt64 = 7
    /// One shard per step of 8 lanes × 64 steps at H=1024: a few hundred ms of compute, so a SIGTERM
    /// sent just after the weights lands before the shard is done; the gradient is 34 MB, far more
    /// than a socket buffer, so it takes a while to leave the process.
    private let flags = ["--hidden", "1024", "--layers", "1", "--batch", "8", "--bptt", "64", "--lanes-per-shard", "8",
                         "--synthetic-sentences", "600", "--steps", "5", "--val-fraction", "0.05", "--seed", "11"]

    /// The model's parameters, in layout order, from a one-step single-process run.
    private func initialWeights() throws -> [Float] {
        let dir = path("weights")
        let p = try runToEnd(["train", "--single-process", "--threads", "1", "--quiet", "--run-dir", dir] + flags
                             + ["--steps", "1"], name: "single-process")
        guard p.status == 0 else { throw ClusterTestError("the one-step run failed\n\(p.summary)") }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/checkpoints/latest/model.safetensors")))
        return try SafeTensors.decode(bytes).tensors.flatMap(\.values)
    }

    /// Receives the next decodable message on `router`, as (peer, message); nil after `seconds`.
    private func next(_ router: ZSocket, seconds: Double) throws -> (String, WireMessage)? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            guard let frames = try router.receive(deadline: .milliseconds(100)), frames.count >= 2 else { continue }
            let peer = String(decoding: frames[0], as: UTF8.self)
            return (peer, try WireCodec.decode(Array(frames.dropFirst()), expectedRun: runID))
        }
        return nil
    }

    private func reply(_ router: ZSocket, to peer: String, _ body: WireBody, frames: [WireFrame] = []) throws {
        let m = WireMessage(runID: runID, sender: "ps", sequence: 1, body: body, frames: frames)
        try router.send([Array(peer.utf8)] + WireCodec.encode(m), deadline: .seconds(10))
    }

    func testWorkerStoppedMidShardDeliversTheShardsGradient() throws {
        let weights = try initialWeights()
        let context = try ZContext()
        let router = try ZSocket(context: context, type: .router)
        let psEndpoint = try router.bind("tcp://127.0.0.1:*")
        let coordinator = try startCoordinator(flags, ps: psEndpoint, runID: runID, runDir: path("run"), leaseTimeout: 60)
        let endpoint = try coordinator.endpoint()

        // Configure: the coordinator's Welcome, answered with "ready at version 0".
        guard let (peer, welcome) = try next(router, seconds: Self.deadline), case .welcome = welcome.body else {
            throw ClusterTestError("the coordinator sent no welcome to the parameter server\n\(coordinator.summary)")
        }
        try reply(router, to: peer, .stepApplied(WireStepApplied(version: 0, step: 0, gradNorm: 0, staleness: 0)))

        let worker = try startWorker("worker-0", coordinator: endpoint, runID: runID)
        var asked = false
        try waitUntil("the worker's weights request", showing: [coordinator, worker]) {
            if let (from, m) = try next(router, seconds: 0.2), from == "worker-0", case .weightsRequest = m.body { asked = true }
            return asked || !worker.isRunning
        }
        XCTAssertTrue(asked, "the worker never asked for weights\n\(worker.summary)")
        try reply(router, to: "worker-0", .weights(WireWeights(version: 0)),
                  frames: [try WireFrame(name: "params", shape: [weights.count], floats: weights)])
        // Stop it while it reads the weights or computes shard 0 (a few hundred ms): either way it
        // computes the shard before it notices the stop, then must report it and leave.
        var gradient: WireGradient?
        if let (from, m) = try next(router, seconds: 0.05), from == "worker-0", case .gradient(let g) = m.body { gradient = g }
        XCTAssertNil(gradient, "the shard was done before the SIGTERM; make the shard bigger")
        worker.send(SIGTERM)
        // The gradient comes in pieces as backpropagation finishes them; all of them must arrive.
        let end = Date().addingTimeInterval(10)
        var pieces: [Range<Int>] = []
        while pieces.map(\.count).reduce(0, +) < weights.count && Date() < end {
            guard let (from, m) = try next(router, seconds: 0.5) else { continue }
            if from == "worker-0", case .gradient(let g) = m.body {
                gradient = g
                let f = try m.frame(named: "gradient")
                pieces.append(f.offset ..< f.offset + f.elementCount)
            }
        }
        let sorted = pieces.sorted { $0.lowerBound < $1.lowerBound }
        XCTAssertEqual(sorted.first?.lowerBound, 0)
        XCTAssertEqual(sorted.last?.upperBound, weights.count)
        XCTAssertTrue(zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "pieces \(sorted)")
        assertFinishes(worker, seconds: 15)
        // (Whether the coordinator hands the shard back on Leave is not a signal here: it hands back
        // every shard still leased to a leaving worker, reported or not, and drops duplicates later.)
        XCTAssertEqual(coordinator.events(.workerLeft).filter { $0.field("worker") == .string("worker-0") }.count, 1,
                       "the coordinator must hear the worker leave\n\(coordinator.summary)")
        let g = try XCTUnwrap(gradient, "the worker left without delivering the gradient of the shard it had computed: "
                              + "the last messages of a stopping worker are lost\n\(worker.summary)\n\(coordinator.summary)")
        XCTAssertEqual(g.step, 0)
        XCTAssertEqual(g.shard, 0)
        coordinator.send(SIGTERM)
        coordinator.waitForExit(seconds: 10)
    }
}
