// Reads an event file written by TensorBoard's own writer (scripts/tensorboard_fixture.py).
import Foundation
import RecurBoard
import XCTest

final class TensorBoardFixtureTests: XCTestCase {
    /// The script's SCALARS table: step → (tag, value) as given to TensorBoard in float64.
    let expected: [(step: Int, scalars: [(tag: String, value: Double)])] = [
        (1, [("train/loss", 2.302585092994046), ("opt/lr", 0.001)]),
        (2, [("train/loss", 2.1), ("val/loss", 2.25), ("opt/lr", 0.001)]),
        (10, [("train/loss", 1.5), ("val/loss", 1.6180339887), ("opt/lr", 0.0005)]),
        (25, [("train/loss", 0.123456789), ("val/loss", 1e-8), ("opt/lr", 0.0)]),
    ]
    /// The script's WALL_TIME: summary event k is stamped WALL_TIME + step.
    let wallTime = 1_700_000_000.25

    func testReadsTensorBoardsOwnFileExactly() throws {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures missing")
        let path = fixtures.appendingPathComponent("tensorboard_scalars.tfevents").path
        let events = try TensorBoardReader.read(path: path)
        XCTAssertEqual(events.first?.content, .fileVersion("brain.Event:2"))
        XCTAssertEqual(Array(events.dropFirst()), expected.map {
            TensorBoardEvent(wallTime: wallTime + Double($0.step), step: $0.step, content: .summary(stored($0.scalars)))
        })
    }
}
