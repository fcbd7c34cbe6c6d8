// MetricsEndpoint over real sockets on 127.0.0.1: the exposition served and replaced, refusals,
// clients that are too big or too slow, a full house, a taken port, and a prompt stop.
import Foundation
import Glibc
import RecurTransport
import XCTest

final class MetricsEndpointTests: XCTestCase {
    /// A small exposition in the shape the coordinator serves (with escapes and special values).
    let sample = """
        # HELP recur_step Optimizer steps taken.
        # TYPE recur_step gauge
        recur_step 120
        # HELP recur_train_loss Mean training loss (nats per token) of the last step.\\nNot smoothed.
        # TYPE recur_train_loss gauge
        recur_train_loss NaN
        # HELP recur_worker_shards_done_total Shards each worker finished.
        # TYPE recur_worker_shards_done_total counter
        recur_worker_shards_done_total{worker="w-1"} 40
        recur_worker_shards_done_total{worker="a \\"quoted\\\\ one\\n"} +Inf

        """

    /// Loopback on a port the kernel picks, with short deadlines so that timeouts are quick to see.
    func start(_ configure: (inout MetricsEndpoint.Limits) -> Void = { _ in }) throws -> MetricsEndpoint {
        var limits = MetricsEndpoint.Limits()
        limits.requestTimeout = .milliseconds(600)
        limits.responseTimeout = .seconds(2)
        configure(&limits)
        return try MetricsEndpoint(address: MetricsEndpoint.Address(host: "127.0.0.1", port: 0), limits: limits)
    }

    func testGetReturnsTheCurrentTextAndUpdatesShowOnTheNextRequest() throws {
        let endpoint = try start()
        defer { endpoint.stop() }
        XCTAssertNotEqual(endpoint.address.port, 0)
        let empty = try exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", port: endpoint.address.port)
        XCTAssertEqual(empty.status, 200)
        XCTAssertEqual(empty.body, "", "nothing served before the first update")

        XCTAssertEqual(prometheusProblems(sample), [], "the test's own sample must be valid")
        endpoint.update(sample)
        let answer = try exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", port: endpoint.address.port)
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.body, sample)
        XCTAssertEqual(prometheusProblems(answer.body), [])
        XCTAssertTrue(answer.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(answer.headers)")
        XCTAssertEqual(answer.headers["content-length"], String(sample.utf8.count))
        XCTAssertEqual(answer.headers["connection"], "close")

        let next = sample.replacingOccurrences(of: "recur_step 120", with: "recur_step 121")
        endpoint.update(next)
        XCTAssertEqual(try exchange("GET /metrics?x=1 HTTP/1.0\r\n\r\n", port: endpoint.address.port).body, next)

        let head = try exchange("HEAD /metrics HTTP/1.1\r\n\r\n", port: endpoint.address.port)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, "")
        XCTAssertEqual(head.headers["content-length"], String(next.utf8.count))
    }

    func testOtherPathsMethodsAndVersionsAreRefused() throws {
        let endpoint = try start()
        defer { endpoint.stop() }
        endpoint.update(sample)
        let port = endpoint.address.port
        for (request, status) in [
            ("GET / HTTP/1.1\r\n\r\n", 404), ("GET /metricsx HTTP/1.1\r\n\r\n", 404), ("GET /metrics/ HTTP/1.1\r\n\r\n", 404),
            ("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405), ("DELETE /metrics HTTP/1.1\r\n\r\n", 405),
            ("GET /metrics HTTP/2.0\r\n\r\n", 505), ("GET /metrics\r\n\r\n", 400), ("hello\r\n\r\n", 400),
        ] {
            let answer = try exchange(request, port: port)
            XCTAssertEqual(answer.status, status, request.debugDescription)
            XCTAssertFalse(answer.body.contains("recur_"), "a refusal must not carry the metrics")
            if status == 405 { XCTAssertEqual(answer.headers["allow"], "GET, HEAD") }
        }
    }

    func testOversizedRequestIsRefusedAndTheServerGoesOn() throws {
        let endpoint = try start()
        defer { endpoint.stop() }
        endpoint.update(sample)
        let client = try HTTPTestClient(port: endpoint.address.port)
        // 16 KiB of headers, twice the limit, with no blank line until the end.
        try? client.send("GET /metrics HTTP/1.1\r\nX-Pad: " + String(repeating: "a", count: 16_384) + "\r\n\r\n")
        let (bytes, closed) = client.readToClose()
        XCTAssertTrue(closed)
        XCTAssertEqual(try HTTPAnswer(bytes).status, 431)
        XCTAssertEqual(try exchange("GET /metrics HTTP/1.1\r\n\r\n", port: endpoint.address.port).body, sample)
    }

    func testSilentAndTricklingClientsAreClosedWhileOthersAreServed() throws {
        let endpoint = try start { $0.requestTimeout = .milliseconds(1500) }
        defer { endpoint.stop() }
        endpoint.update(sample)
        let opened = ContinuousClock.now
        let silent = try HTTPTestClient(port: endpoint.address.port)
        let trickling = try HTTPTestClient(port: endpoint.address.port)
        try trickling.send("GET /metr")
        // Served at once, while both stalled clients still hold connections.
        let (answer, took) = try elapsed { try exchange("GET /metrics HTTP/1.1\r\n\r\n", port: endpoint.address.port) }
        XCTAssertEqual(answer.body, sample)
        XCTAssertLessThan(took, .seconds(1), "a stalled client must not hold up another")
        XCTAssertFalse(silent.isClosedByServer() || trickling.isClosedByServer(), "closed before the deadline")
        for client in [silent, trickling] {
            let (bytes, closed) = client.readToClose(within: .seconds(5))
            XCTAssertTrue(closed, "a client that sends no whole request must be closed")
            XCTAssertEqual(bytes, [], "it gets no answer")
        }
        let waited = ContinuousClock.now - opened
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(1500))
        XCTAssertLessThan(waited, .seconds(4), "closed near its 1.5 s deadline")
    }

    func testAClientThatDoesNotTakeTheAnswerIsClosed() throws {
        // One connection at a time: the second client is served only once the first is closed.
        let endpoint = try start {
            $0.maxConnections = 1
            $0.responseTimeout = .milliseconds(500)
        }
        defer { endpoint.stop() }
        // 40 MiB, more than loopback's socket buffers hold, so the server cannot hand it all over.
        let big = String(repeating: "# a comment line that pads the exposition out\n", count: 40 << 20 / 48)
        endpoint.update(big)
        let stalled = try HTTPTestClient(port: endpoint.address.port)
        try stalled.send("GET /metrics HTTP/1.1\r\n\r\n")
        let (answer, took) = try elapsed { try exchange("HEAD /metrics HTTP/1.1\r\n\r\n", port: endpoint.address.port) }
        XCTAssertEqual(answer.headers["content-length"], String(big.utf8.count))
        XCTAssertGreaterThanOrEqual(took, .milliseconds(400), "served only after the stalled client's deadline")
        XCTAssertLessThan(took, .seconds(3))
        let (bytes, closed) = stalled.readToClose(within: .seconds(10))
        XCTAssertTrue(closed)
        XCTAssertLessThan(bytes.count, big.utf8.count, "the server gave up before sending it all")
    }

    func testConnectionsBeyondTheLimitWaitTheirTurn() throws {
        let endpoint = try start { $0.maxConnections = 2 }
        defer { endpoint.stop() }
        endpoint.update(sample)
        let idle = try (0..<2).map { _ in try HTTPTestClient(port: endpoint.address.port) }
        // The third is queued by the kernel until an idle one is closed at its deadline.
        let (answer, took) = try elapsed { try exchange("GET /metrics HTTP/1.1\r\n\r\n", port: endpoint.address.port) }
        XCTAssertEqual(answer.body, sample)
        XCTAssertLessThan(took, .seconds(3))
        XCTAssertTrue(idle.allSatisfy { $0.readToClose(within: .seconds(1)).closed })
    }

    func testATakenPortIsAClearOneLineError() throws {
        let first = try start()
        defer { first.stop() }
        do {
            _ = try MetricsEndpoint(address: first.address)
            XCTFail("a second endpoint bound the same port")
        } catch let error as TransportError {
            XCTAssertEqual(error.code, EADDRINUSE)
            XCTAssertTrue(error.description.contains("127.0.0.1:\(first.address.port)"), error.description)
            XCTAssertTrue(error.description.contains("in use"), error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding it fails without any traffic.
        XCTAssertThrowsError(try MetricsEndpoint(address: .init(host: "192.0.2.1", port: 0))) {
            XCTAssertEqual(($0 as? TransportError)?.code, EADDRNOTAVAIL, "\($0)")
        }
    }

    func testStopIsPromptEvenWithClientsConnected() throws {
        let endpoint = try start { $0.requestTimeout = .seconds(30) }
        let port = endpoint.address.port
        let idle = try HTTPTestClient(port: port)
        try idle.send("GET /metrics HTTP/1.1\r\n")
        _ = try exchange("GET /metrics HTTP/1.1\r\n\r\n", port: port)  // the loop is running
        let (_, took) = elapsed { endpoint.stop() }
        XCTAssertLessThan(took, .milliseconds(500))
        XCTAssertTrue(idle.readToClose(within: .seconds(1)).closed, "stop closes open connections")
        XCTAssertThrowsError(try HTTPTestClient(port: port), "nothing listens after stop")
        endpoint.stop()
        endpoint.update("after stop is harmless")
        // The port is free again.
        let again = try MetricsEndpoint(address: .init(host: "127.0.0.1", port: port))
        again.stop()
    }

    func testAddressesParse() throws {
        XCTAssertEqual(try MetricsEndpoint.Address(parsing: "9464"), .init(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(try MetricsEndpoint.Address(parsing: "0.0.0.0:9464"), .init(host: "0.0.0.0", port: 9464))
        XCTAssertEqual(try MetricsEndpoint.Address(parsing: "[::1]:80"), .init(host: "::1", port: 80))
        XCTAssertEqual(MetricsEndpoint.Address(host: "::1", port: 80).description, "[::1]:80")
        XCTAssertEqual(try MetricsEndpoint.Address(parsing: "coord-0.recur:0").description, "coord-0.recur:0")
        for bad in ["", ":", "host:", "host:65536", "host:-1", ":9464", "[::1]9464", "a b:1", "host:x", "::1"] {
            XCTAssertThrowsError(try MetricsEndpoint.Address(parsing: bad), bad) {
                XCTAssertTrue(($0 as? TransportError)?.description.contains("HOST:PORT") == true, "\($0)")
            }
        }
    }
}
