// LRScheduleTests: the rate each schedule gives, step by step, against values worked by hand.
import Foundation
import XCTest
@testable import RecurModel

final class LRScheduleTests: XCTestCase {
    func config(_ schedule: LRSchedule, warmup: Int = 0, min: Double = 0, total: Int = 0, decay: Double = 1,
                every: Int = 1) -> OptimizerConfig {
        var c = OptimizerConfig(kind: .adam, learningRate: 0.01, decay: decay, decayEvery: every)
        c.schedule = schedule
        c.warmupSteps = warmup
        c.minLearningRate = min
        c.totalSteps = total
        return c
    }

    func testConstantAndStep() {
        XCTAssertEqual((0..<5).map { config(.constant).rate(atStep: $0) }, [0.01, 0.01, 0.01, 0.01, 0.01])
        // Halved every 2 steps: 0.01, 0.01, 0.005, 0.005, 0.0025.
        let step = config(.step, decay: 0.5, every: 2)
        XCTAssertEqual((0..<5).map { step.rate(atStep: $0) }, [0.01, 0.01, 0.005, 0.005, 0.0025])
    }

    func testWarmupClimbsLinearlyThenHandsOver() {
        // 4 warm-up steps: 1/4, 2/4, 3/4, 4/4 of the rate, then the constant rate.
        let c = config(.constant, warmup: 4)
        let rates = (0..<6).map { c.rate(atStep: $0) }
        for (got, want) in zip(rates, [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01]) { XCTAssertEqual(got, want, accuracy: 1e-15) }
    }

    func testCosineFallsFromTheRateToTheFloorOverTheRun() {
        // 2 warm-up steps, then 8 steps of half a cosine from 0.01 to 0.001: at step 2 the full
        // rate, at step 6 (half way) the mean 0.0055, at step 10 and after the floor.
        let c = config(.cosine, warmup: 2, min: 0.001, total: 10)
        XCTAssertEqual(c.rate(atStep: 0), 0.005, accuracy: 1e-15)
        XCTAssertEqual(c.rate(atStep: 1), 0.01, accuracy: 1e-15)
        XCTAssertEqual(c.rate(atStep: 2), 0.01, accuracy: 1e-15)
        XCTAssertEqual(c.rate(atStep: 6), 0.0055, accuracy: 1e-15)
        // A quarter of the way: 0.001 + 0.009 · (1 + cos(π/4)) / 2.
        XCTAssertEqual(c.rate(atStep: 4), 0.001 + 0.009 * (1 + 0.5.squareRoot()) / 2, accuracy: 1e-15)
        XCTAssertEqual(c.rate(atStep: 10), 0.001, accuracy: 1e-15)
        XCTAssertEqual(c.rate(atStep: 50), 0.001, accuracy: 1e-15)
        let rates = (2...10).map { c.rate(atStep: $0) }
        XCTAssertEqual(rates, rates.sorted(by: >), "the cosine only falls")
    }
}
