// Prometheus exposition: the exact text of a scrape, escapes and special values, refused names
// and duplicates, and the textfile collector's atomic file.
import Foundation
import RecurIO
import XCTest

final class PrometheusTests: XCTestCase {
    func testRendersHelpTypeAndSamplesInOrder() throws {
        let exposition = PrometheusExposition([
            .single("recur_step", help: "Optimizer steps taken.", 120),
            .single("recur_shards_redealt_total", help: "Shards dealt again after a lost lease.", kind: .counter, 3),
            PrometheusFamily(name: "recur_worker_tokens_per_second", help: "Tokens per second by worker.", kind: .gauge,
                             samples: [.init(labels: ["worker": "w-2", "host": "n1"], 1500.5), .init(labels: ["worker": "w-1"], 0.25)]),
            PrometheusFamily(name: "recur_empty", help: "No samples yet.", kind: .gauge, samples: []),
        ])
        XCTAssertEqual(try exposition.render(), """
            # HELP recur_step Optimizer steps taken.
            # TYPE recur_step gauge
            recur_step 120
            # HELP recur_shards_redealt_total Shards dealt again after a lost lease.
            # TYPE recur_shards_redealt_total counter
            recur_shards_redealt_total 3
            # HELP recur_worker_tokens_per_second Tokens per second by worker.
            # TYPE recur_worker_tokens_per_second gauge
            recur_worker_tokens_per_second{host="n1",worker="w-2"} 1500.5
            recur_worker_tokens_per_second{worker="w-1"} 0.25
            # HELP recur_empty No samples yet.
            # TYPE recur_empty gauge

            """)
        XCTAssertEqual(try PrometheusExposition().render(), "")
    }

    func testEscapesAndSpecialValues() throws {
        let family = PrometheusFamily(
            name: "a:b_c", help: "back\\slash, \"quotes\" stay,\nnew line", kind: .gauge,
            samples: [.init(labels: ["v": "a\\b\"c\nd"], .nan), .init(labels: ["v": "+"], .infinity),
                      .init(labels: ["v": "-"], -.infinity), .init(labels: ["v": "small"], 1e-5),
                      .init(labels: ["v": "big"], 1e20), .init(labels: ["v": "neg"], -2), .init(labels: ["v": "zero"], -0.0),
                      .init(labels: ["v": "ünï"], 0.1)])
        XCTAssertEqual(try PrometheusExposition([family]).render(), #"""
            # HELP a:b_c back\\slash, "quotes" stay,\nnew line
            # TYPE a:b_c gauge
            a:b_c{v="a\\b\"c\nd"} NaN
            a:b_c{v="+"} +Inf
            a:b_c{v="-"} -Inf
            a:b_c{v="small"} 1e-05
            a:b_c{v="big"} 1e+20
            a:b_c{v="neg"} -2
            a:b_c{v="zero"} 0
            a:b_c{v="ünï"} 0.1

            """#)
    }

    func testNamesAreChecked() {
        for good in ["a", "_", ":", "recur_step", "a:b", "A9_:z"] { XCTAssertTrue(PrometheusExposition.isMetricName(good), good) }
        for bad in ["", "9a", "a-b", "a b", "a.b", "é", "a{", "a\n"] { XCTAssertFalse(PrometheusExposition.isMetricName(bad), bad) }
        for good in ["worker", "_x", "a9"] { XCTAssertTrue(PrometheusExposition.isLabelName(good), good) }
        for bad in ["", "a:b", "__name__", "__x", "1a", "a-b"] { XCTAssertFalse(PrometheusExposition.isLabelName(bad), bad) }

        func error(_ families: [PrometheusFamily]) -> PrometheusError? {
            do { _ = try PrometheusExposition(families).render(); return nil } catch { return error as? PrometheusError }
        }
        XCTAssertEqual(error([.single("recur-loss", help: "", 1)]), .invalidMetricName("recur-loss"))
        XCTAssertEqual(error([.init(name: "m", help: "", kind: .gauge, samples: [.init(labels: ["__name__": "x"], 1)])]),
                       .invalidLabelName(metric: "m", label: "__name__"))
        XCTAssertEqual(error([.single("m", help: "", 1), .single("m", help: "", kind: .counter, 2)]), .duplicateFamily("m"))
        XCTAssertEqual(error([.init(name: "m", help: "", kind: .gauge, samples: [.init(labels: ["w": "1"], 1), .init(labels: ["w": "1"], 2)])]),
                       .duplicateSeries(metric: "m", labels: #"{w="1"}"#))
        XCTAssertEqual(error([.init(name: "m", help: "", kind: .gauge, samples: [.init(1), .init(2)])]),
                       .duplicateSeries(metric: "m", labels: "{}"))
        let message = PrometheusError.invalidMetricName("recur-loss").description
        XCTAssertTrue(message.contains("recur-loss") && !message.contains("\n"), message)
    }

    func testTextfileIsReplacedWhole() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/recur.prom"
        let first = PrometheusExposition([.single("recur_step", help: "Steps.", 1)])
        try first.writeTextfile(path: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), try first.render())
        let second = PrometheusExposition([.single("recur_step", help: "Steps.", 2), .single("recur_val_loss", help: "Loss.", 3.5)])
        try second.writeTextfile(path: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), try second.render())
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["recur.prom"], "no temporary file is left")

        // A set that cannot render leaves the file as it was.
        XCTAssertThrowsError(try PrometheusExposition([.single("bad name", help: "", 1)]).writeTextfile(path: path))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), try second.render())
        // A folder that does not exist is a file-system error naming the path.
        XCTAssertThrowsError(try first.writeTextfile(path: dir + "/missing/recur.prom")) {
            XCTAssertTrue(($0 as? FileSystemError)?.path.contains("missing/recur.prom") == true, "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["recur.prom"])
    }
}
