// Tests of ExampleBatcher and PaddedBatch: determinism, one use per epoch, shards and padding layout.

import RecurData
import XCTest

final class ExampleBatcherTests: XCTestCase {
    func testEveryExampleOnceAndOrderDependsOnlyOnInputs() throws {
        let batcher = try ExampleBatcher(seed: 42, count: 103, batchSize: 10, shardSize: 5)
        XCTAssertEqual(batcher.stepsPerEpoch, 10)
        XCTAssertEqual(batcher.shardsPerBatch, 2)
        for epoch in 0..<3 {
            let steps = (epoch * 10)..<((epoch + 1) * 10)
            let used = steps.flatMap { batcher.batch(step: $0) }
            XCTAssertEqual(Set(used).count, 100, "epoch \(epoch) repeats an example")
            XCTAssertEqual(used, Array(batcher.permutation(epoch: epoch).prefix(100)))
            XCTAssertEqual(batcher.permutation(epoch: epoch).sorted(), Array(0..<103))
        }
        XCTAssertNotEqual(batcher.permutation(epoch: 0), batcher.permutation(epoch: 1))
        XCTAssertNotEqual(batcher.permutation(epoch: 0), Array(0..<103))
        let again = try ExampleBatcher(seed: 42, count: 103, batchSize: 10, shardSize: 5)
        XCTAssertEqual((0..<25).map { again.batch(step: $0) }, (0..<25).map { batcher.batch(step: $0) })
        let other = try ExampleBatcher(seed: 43, count: 103, batchSize: 10, shardSize: 5)
        XCTAssertNotEqual(other.batch(step: 0), batcher.batch(step: 0))
    }

    func testShardsSplitTheBatchInOrderWhateverTheShardSize() throws {
        let coarse = try ExampleBatcher(seed: 7, count: 50, batchSize: 12, shardSize: 6)
        let fine = try ExampleBatcher(seed: 7, count: 50, batchSize: 12, shardSize: 3)
        for step in [0, 3, 4, 9] {
            XCTAssertEqual(coarse.batch(step: step), fine.batch(step: step))
            XCTAssertEqual((0..<2).flatMap { coarse.shard(step: step, index: $0) }, coarse.batch(step: step))
            XCTAssertEqual((0..<4).flatMap { fine.shard(step: step, index: $0) }, coarse.batch(step: step))
            XCTAssertEqual(fine.shard(step: step, index: 1), Array(coarse.batch(step: step)[3..<6]))
        }
        XCTAssertEqual(coarse.epoch(ofStep: 3), 0)
        XCTAssertEqual(coarse.epoch(ofStep: 4), 1)  // 50 / 12 = 4 steps per epoch
    }

    func testSizeErrors() {
        XCTAssertThrowsError(try ExampleBatcher(seed: 1, count: 9, batchSize: 10, shardSize: 5)) {
            XCTAssertEqual($0 as? BatchingError, .tooFewExamples(count: 9, batch: 10))
        }
        XCTAssertThrowsError(try ExampleBatcher(seed: 1, count: 90, batchSize: 10, shardSize: 4)) {
            XCTAssertEqual($0 as? BatchingError, .batchNotDivisible(batch: 10, shard: 4))
        }
        XCTAssertThrowsError(try ExampleBatcher(seed: 1, count: 90, batchSize: 0, shardSize: 1))
    }

    func testEvaluationRangesCoverTheSetInOrder() {
        XCTAssertEqual(ExampleBatcher.evaluationRanges(count: 7, size: 3), [0..<3, 3..<6, 6..<7])
        XCTAssertEqual(ExampleBatcher.evaluationRanges(count: 6, size: 3), [0..<3, 3..<6])
        XCTAssertEqual(ExampleBatcher.evaluationRanges(count: 0, size: 3), [])
    }

    func testClassificationPaddingIsTimeMajor() throws {
        let batch = PaddedBatch([
            EncodedExample(tokens: [5, 6], target: .label(1), line: 1),
            EncodedExample(tokens: [7, 8, 9], target: .label(0), line: 2),
            EncodedExample(tokens: [4], target: .label(2), line: 3),
        ])
        XCTAssertEqual(batch.time, 3)
        XCTAssertEqual(batch.lanes, 3)
        // [T=3, n=3]: row t holds step t of lanes 0, 1, 2.
        XCTAssertEqual(batch.inputs, [5, 7, 4,
                                      6, 8, 0,
                                      0, 9, 0])
        XCTAssertEqual(batch.lengths, [2, 3, 1])
        XCTAssertEqual(batch.labels, [1, 0, 2])
        XCTAssertEqual(batch.tags, [])
    }

    func testTaggingPaddingAndFixedTime() throws {
        let examples = [
            EncodedExample(tokens: [3], target: .tags([2]), line: 1),
            EncodedExample(tokens: [4, 5], target: .tags([0, 1]), line: 4),
        ]
        let batch = try PaddedBatch(examples, time: 3)
        XCTAssertEqual(batch.inputs, [3, 4,
                                      0, 5,
                                      0, 0])
        XCTAssertEqual(batch.tags, [2, 0,
                                    -1, 1,
                                    -1, -1])
        XCTAssertEqual(batch.lengths, [1, 2])
        XCTAssertEqual(batch.labels, [])
        XCTAssertEqual(PaddedBatch(examples).time, 2)
        XCTAssertThrowsError(try PaddedBatch(examples, time: 1)) {
            XCTAssertEqual($0 as? BatchingError, .longerThanTime(length: 2, time: 1, line: 4))
        }
    }
}
