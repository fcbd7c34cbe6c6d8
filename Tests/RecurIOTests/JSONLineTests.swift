// JSONLine encoding tests and MetricsWriter append/flush/close tests.
import Foundation
import RecurIO
import XCTest

final class JSONLineTests: XCTestCase {
    func testKeyOrderAndScalarKinds() {
        let line = JSONLine.encode([("step", .int(-3)), ("loss", .double(1.5)), ("ok", .bool(true)),
                                    ("bad", .bool(false)), ("none", .null), ("name", .string("gru"))])
        XCTAssertEqual(line, #"{"step":-3,"loss":1.5,"ok":true,"bad":false,"none":null,"name":"gru"}"#)
        XCTAssertEqual(JSONLine.encode([]), "{}")
        XCTAssertEqual(JSONLine.encode([("z", .int(1)), ("a", .int(2))]), #"{"z":1,"a":2}"#)
    }

    func testSpecialCharactersAreEscaped() throws {
        let text = "q\"b\\n\nt\tr\rc\u{01}d\u{7F}é🙂/"
        let line = JSONLine.encode([("k\"ey", .string(text))])
        XCTAssertEqual(line, #"{"k\"ey":"q\"b\\n\nt\tr\rc\u0001d\u007fé🙂/"}"#)
        XCTAssertFalse(line.contains("\n"))
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        XCTAssertEqual(parsed?["k\"ey"], text)
    }

    func testNonFiniteDoublesBecomeNullAndFiniteOnesRoundTrip() throws {
        let line = JSONLine.encode([("nan", .double(.nan)), ("inf", .double(.infinity)),
                                    ("ninf", .double(-.infinity)), ("tenth", .double(0.1)),
                                    ("one", .double(1)), ("tiny", .double(1e-7)), ("huge", .double(1.5e300))])
        XCTAssertEqual(line, #"{"nan":null,"inf":null,"ninf":null,"tenth":0.1,"one":1.0,"tiny":1e-07,"huge":1.5e+300}"#)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertTrue(parsed["nan"] is NSNull)
        XCTAssertEqual((parsed["tiny"] as? NSNumber)?.doubleValue, 1e-7)
        XCTAssertEqual((parsed["huge"] as? NSNumber)?.doubleValue, 1.5e300)
    }

    func testMetricsWriterAppendsWholeLines() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/metrics.jsonl"
        let writer = try MetricsWriter(path: path)
        try writer.append([("step", .int(1)), ("loss", .double(2.5))])
        XCTAssertEqual(String(decoding: try readBytes(path), as: UTF8.self), "{\"step\":1,\"loss\":2.5}\n")
        try writer.append([("step", .int(2)), ("loss", .double(.nan))])
        writer.close()
        writer.close()
        XCTAssertThrowsError(try writer.append([("step", .int(3))])) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        let reopened = try MetricsWriter(path: path)
        try reopened.append([("step", .int(3))])
        reopened.close()
        let lines = String(decoding: try readBytes(path), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines, [#"{"step":1,"loss":2.5}"#, #"{"step":2,"loss":null}"#, #"{"step":3}"#])
    }

    func testConcurrentAppendsNeverInterleave() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/metrics.jsonl"
        let writer = try MetricsWriter(path: path)
        let padding = String(repeating: "x", count: 500)
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            try? writer.append([("i", .int(index)), ("pad", .string(padding))])
        }
        writer.close()
        let lines = String(decoding: try readBytes(path), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 200)
        var seen = Set<Int>()
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if let index = object?["i"] as? Int { seen.insert(index) }
        }
        XCTAssertEqual(seen, Set(0..<200))
    }

    func testMetricsWriterOpenFailureNamesPath() {
        let path = "/nonexistent-recurio-dir/metrics.jsonl"
        XCTAssertThrowsError(try MetricsWriter(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
            XCTAssertTrue("\(error)".contains("No such file"), "\(error)")
        }
    }
}
