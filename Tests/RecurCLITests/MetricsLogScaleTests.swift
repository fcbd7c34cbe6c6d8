// MetricsLogScaleTests: a long run's metrics.jsonl (200,000 lines, Windows line endings on half of
// them, blank lines between) is read line by line, each line once: every line comes back, in
// order, and an error after the last names its true line number.
import Foundation
import RecurTrain
import XCTest

final class MetricsLogScaleTests: XCTestCase {
    static let count = 200_000

    /// Line `i` (1-based): a step with its loss and cumulative tokens.
    func line(_ i: Int) -> String { "{\"step\":\(i),\"loss\":\(Double(i) / 8),\"tokens\":\(i * 64)}" }

    /// The file: `count` lines, every even one ending in "\r\n", a blank line after every 1,000th.
    func text() -> (text: String, lines: Int) {
        var text = "", lines = 0
        text.reserveCapacity(Self.count * 48)
        for i in 1...Self.count {
            text += line(i) + (i % 2 == 0 ? "\r\n" : "\n")
            lines += 1
            if i % 1_000 == 0 { text += "\n"; lines += 1 }
        }
        return (text, lines)
    }

    func testEveryLineOfALongLogIsReadOnceInOrder() throws {
        let (text, _) = text()
        let parsed = try MetricsLog.parse(text, file: "metrics.jsonl")
        XCTAssertEqual(parsed.count, Self.count)
        XCTAssertEqual(parsed.map(\.step), Array(1...Self.count))
        XCTAssertTrue(parsed.allSatisfy { $0.loss == Double($0.step) / 8 && $0.tokens == Double($0.step * 64) })
    }

    /// The first bad line is found after every good one, and numbered as an editor numbers it.
    func testABadLineAfterALongLogIsNamedByItsLine() throws {
        let (text, lines) = text()
        XCTAssertThrowsError(try MetricsLog.parse(text + "{\"step\":\"late\"}\n", file: "metrics.jsonl")) { error in
            XCTAssertEqual(error as? MetricsLogError, .malformed(file: "metrics.jsonl", line: lines + 1,
                                                                 reason: "no integer \"step\""))
        }
    }
}
