// EventLogTests: a log record's text and json lines, and the json line read back into the same
// event and typed fields (what the process tests select lines by).
import RecurIO
import XCTest

final class EventLogTests: XCTestCase {
    let record = LogRecord(.leaseExpired, "coordinator: lease 7 of worker w \"1\" expired; dealing it again",
                           [("worker", .string("w \"1\"")), ("lease", .int(7)), ("lr", .double(0.5)), ("shared", .bool(true))])

    func testTextLineIsTheMessageWithOrWithoutTheRole() {
        XCTAssertEqual(record.line(role: "coordinator", format: .text), "[coordinator] " + record.message)
        XCTAssertEqual(record.line(role: "train", prefix: false, format: .text), record.message)
    }

    func testJSONLineReadsBackAsTheSameEventAndFields() throws {
        let line = record.line(role: "coordinator", format: .json)
        XCTAssertTrue(line.hasPrefix(#"{"role":"coordinator","event":"lease_expired","worker":"#), line)
        XCTAssertFalse(line.contains("\n"))
        let (role, back) = try XCTUnwrap(LogRecord.read(jsonLine: line))
        XCTAssertEqual(role, "coordinator")
        XCTAssertEqual(back.event, .leaseExpired)
        XCTAssertEqual(back.message, record.message)
        for (name, value) in record.fields { XCTAssertEqual(back.field(name), value, name) }
        XCTAssertEqual(LogRecord.read(.leaseExpired, in: ["[ps] a text line", "error: x", line]), [back])
        XCTAssertNil(LogRecord.read(jsonLine: #"{"role":"ps","event":"no_such_event","message":""}"#))
    }

    func testEveryEventNameIsSnakeCase() {
        for e in LogEvent.allCases { XCTAssertNotNil(e.rawValue.range(of: "^[a-z]+(_[a-z]+)*$", options: .regularExpression), e.rawValue) }
    }
}
