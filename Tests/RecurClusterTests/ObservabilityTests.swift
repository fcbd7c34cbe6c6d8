// ObservabilityTests: what a run shows the tools people already use — TensorBoard finds every
// logged step's scalars (across a resume, without a gap or a duplicate), Prometheus can scrape the
// coordinator while the step moves, and the textfile and the chart are there.
import Foundation
import RecurBoard
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ObservabilityTests: ClusterTestCase {
    /// One HTTP/1.0 request to 127.0.0.1:`port`; the status code and body, or nil when nothing answers.
    func get(port: Int, _ path: String) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<10_000 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let head = text.range(of: "\r\n\r\n"), let code = Int(text.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return (code, String(text[head.upperBound...]))
    }

    /// The samples of a Prometheus text exposition, by series; fails on a line that is not one.
    func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]),
                  parts[0].range(of: #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})?$"#,
                                 options: .regularExpression) != nil else {
                XCTFail("not a Prometheus sample line: \(line)")
                continue
            }
            out[String(parts[0])] = value
        }
        return out
    }

    /// Every summary event of a run folder's event files, in file order.
    func boardEvents(_ dir: String) throws -> [TensorBoardEvent] {
        try TensorBoardFolder.files(in: dir + "/tensorboard").flatMap { try TensorBoardReader.read(path: $0) }
            .filter { !$0.scalars.isEmpty }
    }

    func testClusterRunIsScrapedAndEveryViewIsWritten() throws {
        let dir = path("run"), port = try HeldPort.free()
        let train = try start(["train", "--workers", "2", "--threads", "1", "--hidden", "16", "--layers", "1",
                               "--batch", "8", "--lanes-per-shard", "4", "--bptt", "16", "--steps", "300", "--log-every", "20",
                               "--eval-every", "100", "--metrics-addr", "127.0.0.1:\(port)", "--run-dir", dir, "--quiet"],
                              name: "train --workers 2")
        var first: [String: Double] = [:]
        try waitUntil("the coordinator to serve /metrics with both workers", showing: [train]) {
            guard let r = get(port: port, "/metrics"), r.status == 200 else { return false }
            first = samples(r.body)
            return (first["recur_step"] ?? 0) > 0 && first["recur_workers_alive"] == 2
        }
        XCTAssertNotNil(first["recur_train_loss"])
        XCTAssertNotNil(first["recur_worker_shards_done_total{worker=\"worker-0\"}"])
        try waitUntil("the scraped step to move", showing: [train]) {
            guard let r = get(port: port, "/metrics"), r.status == 200 else { return !train.isRunning }
            return (samples(r.body)["recur_step"] ?? 0) > first["recur_step"]!
        }
        XCTAssertEqual(get(port: port, "/other")?.status ?? 404, 404)
        assertFinishes(train)

        let logged = try RunRecord.metricsObjects(dir).compactMap { ($0["step"] as? NSNumber)?.intValue }
        let events = try boardEvents(dir)
        XCTAssertEqual(events.map(\.step), logged, "one TensorBoard event per metrics line")
        for e in events {
            let tags = Set(e.scalars.map(\.tag))
            XCTAssertTrue(tags.isSuperset(of: ["train/loss", "opt/lr", "opt/grad_norm", "speed/tokens_per_second",
                                               "cluster/workers", "cluster/shards_redealt", "cluster/bytes_per_step"]), "\(tags)")
            XCTAssertEqual(tags.contains("val/loss"), e.step % 100 == 0, "val/loss at the evaluations, step \(e.step)")
        }
        let prom = try String(contentsOfFile: dir + "/recur.prom", encoding: .utf8)
        XCTAssertEqual(samples(prom)["recur_step"], 300, "the textfile holds the last step")
        let svg = try String(contentsOfFile: dir + "/loss.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"), "loss.svg is an SVG")
    }

    func testResumedRunsCurvesJoinWithoutAGapOrADuplicate() throws {
        let dir = path("resumed")
        let flags = ["--hidden", "16", "--layers", "1", "--batch", "4", "--bptt", "16", "--log-every", "10",
                     "--checkpoint-every", "20", "--quiet"]
        let first = try runToEnd(["train", "--single-process", "--steps", "60", "--run-dir", dir] + flags, name: "train")
        XCTAssertEqual(first.status, 0, first.summary)
        // As if it had stopped after step 40's line: the checkpoints past 20 are gone.
        let checkpoints = URL(fileURLWithPath: dir).appendingPathComponent("checkpoints")
        for name in ["latest", "step-00000040", "step-00000060"] { try FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name)) }
        try FileManager.default.createSymbolicLink(atPath: checkpoints.appendingPathComponent("latest").path, withDestinationPath: "step-00000020")
        let resumed = try runToEnd(["train", "--workers", "2", "--threads", "1", "--resume", dir, "--quiet"], name: "train --resume")
        XCTAssertEqual(resumed.status, 0, resumed.summary)
        XCTAssertEqual(TensorBoardFolder.files(in: dir + "/tensorboard").count, 2, "a resumed run writes a new event file")
        XCTAssertEqual(try boardEvents(dir).map(\.step), [10, 20, 30, 40, 50, 60], "each step once, in order")
    }
}
