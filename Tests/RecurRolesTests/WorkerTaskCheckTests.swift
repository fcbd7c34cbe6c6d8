// A worker reads a Task's shard only when it fits the run: its kind, its shape, its lengths and
// every id are checked, so a lying Task is refused instead of read out of bounds.
import XCTest
@testable import RecurRoles
import RecurModel
import RecurTrain
import RecurWire

final class WorkerTaskCheckTests: XCTestCase {
    /// A tagger's run: 2 examples per shard, examples at most 4 tokens, 3 tags, vocabulary 20.
    func tagConfig() -> RunConfig {
        var c = RunConfig(model: ModelConfig(cell: .gru, hidden: 8, vocab: 20, bidirectional: true, outputs: 3), batch: 4,
                          bptt: 4, lanesPerShard: 2, totalSteps: 3, seed: 1,
                          optimizer: OptimizerConfig(kind: .adam, learningRate: 0.01), clip: 5)
        c.task = .tag
        return c
    }

    func message(kind: WireShardKind = .examples, steps: Int = 3, lanes: Int = 2, inputs: [Int32]? = nil,
                 lengths: [Int32] = [3, 1], targets: [Int32]? = nil) -> (WireTask, WireMessage) {
        let t = WireTask(step: 0, shard: 0, shardCount: 2, firstLane: 0, laneCount: UInt32(lanes), steps: UInt32(steps),
                         weightVersion: 0, leaseID: 1, kind: kind)
        let frames = [try! WireFrame(name: "inputs", shape: [steps, lanes], int32s: inputs ?? [Int32](repeating: 5, count: steps * lanes)),
                      try! WireFrame(name: "lengths", shape: [lengths.count], int32s: lengths),
                      try! WireFrame(name: "targets", shape: [steps, lanes], int32s: targets ?? [0, 2, 1, -1, 2, -1])]
        return (t, WireMessage(runID: 1, sender: "coordinator", sequence: 1, body: .task(t), frames: frames))
    }

    func testAFittingShardIsRead() throws {
        let (t, m) = message()
        let (shard, state) = try WorkerMachine.readShard(t, m, tagConfig())
        XCTAssertEqual(shard.lengths, [3, 1])
        XCTAssertEqual(shard.steps, 3)
        XCTAssertEqual(state, [])
        XCTAssertEqual(shard.tokenCount, 4)
    }

    func testLyingShardsAreRefused() {
        let c = tagConfig()
        let lies: [(String, (WireTask, WireMessage))] = [
            ("a stream shard in a tag run", message(kind: .stream)),
            ("longer than the run's longest example", message(steps: 5, inputs: [Int32](repeating: 1, count: 10),
                                                              targets: [Int32](repeating: 0, count: 10))),
            ("a length of 0", message(lengths: [3, 0])),
            ("a length past T", message(lengths: [4, 1])),
            ("a token id outside the vocabulary", message(inputs: [5, 5, 20, 5, 5, 5])),
            ("a tag outside the 3 tags", message(targets: [0, 3, 1, -1, 2, -1])),
            ("more lanes than the run's shards", message(lanes: 3, inputs: [Int32](repeating: 1, count: 9),
                                                         lengths: [1, 1, 1], targets: [Int32](repeating: 0, count: 9))),
        ]
        for (why, (t, m)) in lies {
            XCTAssertThrowsError(try WorkerMachine.readShard(t, m, c), why)
        }
        var lm = c
        lm.task = .lm
        lm.model = ModelConfig(cell: .gru, hidden: 8, vocab: 20)
        let (t, m) = message()
        XCTAssertThrowsError(try WorkerMachine.readShard(t, m, lm), "an example shard in a language model's run")
    }
}
