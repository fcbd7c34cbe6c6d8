// A worker reads an encoder–decoder's pair shard only when it fits the run: sources, lengths and
// targets are checked against the run's shapes and both vocabularies, so a lying Task is refused.
import XCTest
@testable import RecurRoles
import RecurModel
import RecurTrain
import RecurWire

final class WorkerPairCheckTests: XCTestCase {
    /// An encoder–decoder's run: 2 pairs per shard, sources at most 4 tokens (vocabulary 20),
    /// targets at most 3 positions with `<EOS>` (target vocabulary 9).
    func pairConfig() -> RunConfig {
        var c = RunConfig(model: ModelConfig(cell: .lstm, hidden: 8, vocab: 20, targetVocab: 9, attention: .general),
                          batch: 4, bptt: 4, lanesPerShard: 2, totalSteps: 3, seed: 1,
                          optimizer: OptimizerConfig(kind: .adam, learningRate: 0.01), clip: 5)
        c.task = .seq2seq
        c.targetSteps = 3
        return c
    }

    func message(kind: WireShardKind = .pairs, steps: Int = 3, lanes: Int = 2, inputs: [Int32]? = nil,
                 lengths: [Int32] = [3, 1], targetShape: [Int] = [3, 2], targets: [Int32] = [4, 2, 8, 8, -1, -1])
        -> (WireTask, WireMessage) {
        let t = WireTask(step: 0, shard: 0, shardCount: 2, firstLane: 0, laneCount: UInt32(lanes), steps: UInt32(steps),
                         weightVersion: 0, leaseID: 1, kind: kind)
        let frames = [try! WireFrame(name: "inputs", shape: [steps, lanes], int32s: inputs ?? [Int32](repeating: 5, count: steps * lanes)),
                      try! WireFrame(name: "lengths", shape: [lengths.count], int32s: lengths),
                      try! WireFrame(name: "targets", shape: targetShape, int32s: targets)]
        return (t, WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .task(t), frames: frames))
    }

    func testAFittingShardIsRead() throws {
        let (t, m) = message()
        let (shard, state) = try WorkerMachine.readShard(t, m, pairConfig())
        XCTAssertEqual(shard.lengths, [3, 1])
        XCTAssertEqual(shard.steps, 3)
        XCTAssertEqual(shard.targetSteps, 3)
        XCTAssertTrue(shard.isPairs)
        XCTAssertEqual(state, [])
        XCTAssertEqual(shard.tokenCount, 4, "target tokens with their <EOS>: 3 and 1")
    }

    func testLyingShardsAreRefused() {
        let c = pairConfig()
        let lies: [(String, (WireTask, WireMessage))] = [
            ("an example shard in a seq2seq run", message(kind: .examples)),
            ("a source longer than the run's longest", message(steps: 5, inputs: [Int32](repeating: 1, count: 10))),
            ("a source length of 0", message(lengths: [3, 0])),
            ("a source length past S", message(lengths: [4, 1])),
            ("a source id outside the source vocabulary", message(inputs: [5, 5, 20, 5, 5, 5])),
            ("a target id outside the target vocabulary", message(targets: [4, 2, 9, 8, -1, -1])),
            ("a target below −1", message(targets: [4, 2, 8, -2, -1, -1])),
            ("a target that starts with padding", message(targets: [-1, 2, -1, 8, -1, -1])),
            ("a target id after padding", message(targets: [4, 2, -1, 8, 3, -1])),
            ("targets longer than the run's longest", message(targetShape: [4, 2], targets: [4, 2, 8, 8, -1, -1, -1, -1])),
            ("targets of another lane count", message(targetShape: [2, 3], targets: [4, 2, 8, 8, -1, -1])),
            ("targets of one dimension", message(targetShape: [6], targets: [4, 2, 8, 8, -1, -1])),
        ]
        for (why, (t, m)) in lies {
            XCTAssertThrowsError(try WorkerMachine.readShard(t, m, c), why)
        }
        var tag = c
        tag.task = .tag
        let (t, m) = message()
        XCTAssertThrowsError(try WorkerMachine.readShard(t, m, tag), "a pair shard in a tagger's run")
    }
}
