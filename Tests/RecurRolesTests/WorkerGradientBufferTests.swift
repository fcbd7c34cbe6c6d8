// WorkerGradientBufferTests: a worker's gradient pieces leave without a copy, so the next shard must
// not compute into a buffer that frames still borrow.
import XCTest
@testable import RecurRoles
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

final class WorkerGradientBufferTests: XCTestCase {
    let config = RunConfig(model: ModelConfig(cell: .gru, hidden: 24, layers: 2, vocab: 30), batch: 4, bptt: 5,
                           lanesPerShard: 2, totalSteps: 4, seed: 3,
                           optimizer: OptimizerConfig(kind: .sgd, learningRate: 0.1), clip: 0)

    /// Runs shard `shard` on weights that depend on `version`, returning the streamed pieces.
    func run(_ compute: WorkerCompute, shard: Int, version: UInt64,
             into destination: (UnsafeMutablePointer<Float>, AnyObject)? = nil) throws -> [WireFrame] {
        let n = config.lanesPerShard, t = config.bptt, per = config.model.stateFloatsPerLane
        let task = WireTask(step: version, shard: UInt32(shard), shardCount: UInt32(config.shardCount),
                            firstLane: UInt32(shard * n), laneCount: UInt32(n), steps: UInt32(t),
                            weightVersion: version, leaseID: version + 1)
        let pieces = try config.parameterPieces.ranges
        let weights = try pieces.map { r in
            try WireFrame(name: "params", shape: [r.count], offset: r.lowerBound,
                          floats: r.map { Float(($0 * 7 + Int(version)) % 23) * 0.01 - 0.1 })
        }
        var sent: [WireFrame] = []
        let batch = ShardBatch(inputs: (0..<(t * n)).map { Int32(($0 + shard) % 30) },
                               targets: (0..<(t * n)).map { Int32(($0 * 3 + shard) % 30) }, steps: t, lanes: n)
        _ = try compute.run(task: task, shard: batch,
                            state: [Float](repeating: 0.1, count: n * per), weights: weights, version: version,
                            send: { piece, _, _ in sent.append(piece) }, into: destination)
        XCTAssertEqual(Set(sent.map(\.offset)), Set(pieces.map(\.lowerBound)), "every piece is sent once")
        return sent
    }

    func testHeldPiecesSurviveTheNextShards() throws {
        let compute = try WorkerCompute(config: config)
        let first = try run(compute, shard: 0, version: 0)
        let firstBuffer = UnsafeRawPointer(compute.grads.pointer)
        for f in first {
            XCTAssertEqual(f.payload.base, firstBuffer + f.offset * 4, "piece at \(f.offset) borrows the gradient buffer")
        }
        let snapshot = first.map(\.payload.array)
        // The pieces are still held (as libzmq holds them until written): the next shard computes
        // into the other buffer, and the one after into a third while both are held.
        let second = try run(compute, shard: 1, version: 1)
        XCTAssertNotEqual(UnsafeRawPointer(compute.grads.pointer), firstBuffer)
        XCTAssertTrue(first.map(\.payload.array) == snapshot, "the first shard's pieces are unchanged")
        let secondSnapshot = second.map(\.payload.array)
        XCTAssertTrue(secondSnapshot != snapshot, "a different shard has a different gradient")
        _ = try run(compute, shard: 0, version: 2)
        XCTAssertTrue(first.map(\.payload.array) == snapshot)
        XCTAssertTrue(second.map(\.payload.array) == secondSnapshot)
        // Held by nobody, the same shard again gives the same bits, in a buffer reused in place.
        let fresh = try WorkerCompute(config: config)
        XCTAssertTrue(try run(fresh, shard: 0, version: 0).map(\.payload.array) == snapshot)
        let reused = UnsafeRawPointer(fresh.grads.pointer)
        XCTAssertTrue(try run(fresh, shard: 0, version: 0).map(\.payload.array) == snapshot)
        XCTAssertEqual(UnsafeRawPointer(fresh.grads.pointer), reused, "a buffer nobody holds is reused")
    }

    func testAGradientComputedInPlaceHasTheSameBitsThere() throws {
        let reference = try run(try WorkerCompute(config: config), shard: 1, version: 3).map(\.payload.array)
        let compute = try WorkerCompute(config: config)
        let count = ParameterLayout(config.model).count
        let slot = FloatBuffer([Float](repeating: .nan, count: count))  // stale contents: zeroed first
        let pieces = try run(compute, shard: 1, version: 3, into: (slot.pointer, slot))
        XCTAssertTrue(pieces.map(\.payload.array) == reference)
        for f in pieces {
            XCTAssertEqual(f.payload.base, UnsafeRawPointer(slot.pointer + f.offset), "piece at \(f.offset) lies in the destination")
        }
    }
}
