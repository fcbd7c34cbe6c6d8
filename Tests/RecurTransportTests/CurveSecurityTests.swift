// CURVE over 127.0.0.1: a ZAP handler admits listed clients only, refuses NULL peers and rate-limits handshakes.
import Foundation
import RecurTransport
import XCTest

final class CurveSecurityTests: TransportTestCase {
    func testListedClientExchangesMessagesBothWays() throws {
        let keys = try CurveKeys.generate(clients: ["coordinator", "worker"])
        let (handler, router, endpoint, log) = try curveServer(keys)
        let worker = try client(keys, "worker", to: endpoint, id: "w1")
        try assertRoundTrip(router, worker, id: "w1")
        XCTAssertEqual(handler.counters.admitted, 1)
        XCTAssertEqual(handler.counters.refused, 0)
        XCTAssertEqual(log.lines, [])
        let (_, stopTime) = elapsed { handler.stop() }
        XCTAssertLessThan(stopTime, .milliseconds(500), "stop() ends the handler thread promptly")
        handler.stop()  // idempotent
    }

    func testUnlistedKeyIsRefusedAndTheServerStaysUsable() throws {
        let keys = try CurveKeys.generate(clients: ["worker"])
        var forged = try CurveKeys.generate(clients: ["worker"])
        forged.serverPublicKey = keys.serverPublicKey  // right server key, key pair not in the file
        let (handler, router, endpoint, log) = try curveServer(keys)
        let intruder = try client(forged, "worker", to: endpoint, id: "intruder")
        try intruder.send([[UInt8](text: "let me in")], deadline: .seconds(1))
        XCTAssertNil(try router.receive(deadline: .seconds(1)), "nothing from an unlisted key gets through")
        XCTAssertTrue(eventually { handler.counters.refused >= 1 }, "\(handler.counters)")
        XCTAssertEqual(handler.counters.admitted, 0)
        XCTAssertEqual(handler.counters.rateLimited, 0)
        let prefix = String(Z85.encode(forged.clients[0].publicKey)!.prefix(8))
        XCTAssertTrue(log.lines.contains { $0.contains("refused CURVE client \(prefix)") && $0.contains("from 127.0.0.1")
                                            && $0.contains("key not in the run's key file") }, "\(log.lines)")
        intruder.close()
        let worker = try client(keys, "worker", to: endpoint, id: "w1")
        try assertRoundTrip(router, worker, id: "w1")
        XCTAssertEqual(handler.counters.admitted, 1)
    }

    func testUnsecuredClientGetsNothingThrough() throws {
        let keys = try CurveKeys.generate(clients: ["worker"])
        let (handler, router, endpoint, _) = try curveServer(keys)
        let plain = try connected(.dealer, to: endpoint) { try $0.setIdentity("plain") }
        try plain.send([[UInt8](text: "hello")], deadline: .seconds(1))
        XCTAssertNil(try router.receive(deadline: .seconds(1)), "a NULL-mechanism peer gets nothing through")
        XCTAssertEqual(handler.counters.admitted, 0)
        let worker = try client(keys, "worker", to: endpoint, id: "w1")
        try assertRoundTrip(router, worker, id: "w1")
    }

    func testThirdHandshakeWithinAMinuteFromOneAddressIsRefused() throws {
        let keys = try CurveKeys.generate(clients: ["a", "b", "c"])
        let (handler, router, endpoint, log) = try curveServer(keys, handshakesPerMinute: 2)
        let first = try client(keys, "a", to: endpoint, id: "a")
        try assertRoundTrip(router, first, id: "a")
        let second = try client(keys, "b", to: endpoint, id: "b")
        try assertRoundTrip(router, second, id: "b")
        let third = try client(keys, "c", to: endpoint, id: "c")
        try third.send([[UInt8](text: "one too many")], deadline: .seconds(1))
        XCTAssertNil(try router.receive(deadline: .seconds(1)), "the third handshake is refused")
        XCTAssertTrue(eventually { handler.counters.rateLimited >= 1 }, "\(handler.counters)")
        XCTAssertEqual(handler.counters.admitted, 2)
        XCTAssertGreaterThanOrEqual(handler.counters.refused, handler.counters.rateLimited)
        XCTAssertEqual(log.lines.filter { $0.contains("more than 2 handshakes a minute from this address") }.count, 1,
                       "a flood is logged once a minute per address: \(log.lines)")
        third.close()
        try assertRoundTrip(router, first, id: "a")  // established connections are unaffected
    }

    func testMalformedNullAndValidRequestsAreAnswered() throws {
        let keys = try CurveKeys.generate(clients: ["worker"])
        let log = LogLines()
        let handler = try ZAPHandler(context: context, allowedKeys: keys.allowedClientKeys) { log.append($0.line) }
        let requester = try connected(.req, to: ZAPHandler.endpoint)
        func ask(_ frames: [String], key: [UInt8]? = nil) throws -> [String] {
            try requester.send(frames.map { [UInt8](text: $0) } + (key.map { [$0] } ?? []), deadline: .seconds(2))
            let reply = try XCTUnwrap(requester.receive(deadline: .seconds(2)))
            return reply.map { String(decoding: $0, as: UTF8.self) }
        }
        XCTAssertEqual(try ask(["garbage"]).prefix(3), ["1.0", "", "500"])
        XCTAssertEqual(try ask(["2.0", "1", "recur", "10.0.0.7", "", "CURVE"]).prefix(3), ["1.0", "1", "500"])
        XCTAssertEqual(try ask(["1.0", "2", "recur", "10.0.0.7", "", "CURVE"], key: [1, 2, 3]).prefix(3), ["1.0", "2", "500"])
        XCTAssertEqual(try ask(["1.0", "3", "recur", "10.0.0.7", "", "NULL"]).prefix(3), ["1.0", "3", "400"])
        let key = keys.clients[0].publicKey
        let admitted = try ask(["1.0", "4", "recur", "10.0.0.7", "", "CURVE"], key: key)
        XCTAssertEqual(admitted, ["1.0", "4", "200", "OK", Z85.encode(key)!, ""])
        XCTAssertEqual(handler.counters.admitted, 1)
        XCTAssertEqual(handler.counters.refused, 4)
        XCTAssertEqual(log.lines.filter { $0.hasPrefix("ZAP: malformed request") }.count, 3, "\(log.lines)")
        XCTAssertTrue(log.lines.contains { $0.contains("refused NULL client from 10.0.0.7") }, "\(log.lines)")
    }

    func testSecureReportsMissingSecretsUnknownClientsAndAMissingHandler() throws {
        let keys = try CurveKeys.generate(clients: ["worker"])
        let server = try ZSocket(context: context, type: .router)
        let noHandler = assertTransportError(code: EPERM) { try server.secure(.curveServer(keys)) }
        XCTAssertTrue(noHandler?.description.contains("ZAPHandler") ?? false)
        let handler = try ZAPHandler(context: context, allowedKeys: keys.allowedClientKeys) { _ in }
        assertTransportError(code: EADDRINUSE) {
            _ = try ZAPHandler(context: self.context, allowedKeys: []) { _ in }
        }
        let publicOnly = keys.withoutSecrets(keepingClient: nil)
        XCTAssertThrowsError(try server.secure(.curveServer(publicOnly))) {
            XCTAssertEqual($0 as? CurveKeyError, .missingSecret(purpose: "server"))
        }
        let dealer = try ZSocket(context: context, type: .dealer)
        XCTAssertThrowsError(try dealer.secure(.curveClient(keys, name: "nobody"))) {
            XCTAssertEqual($0 as? CurveKeyError, .unknownClient(name: "nobody", known: ["worker"]))
        }
        XCTAssertThrowsError(try dealer.secure(.curveClient(publicOnly, name: "worker"))) {
            XCTAssertEqual($0 as? CurveKeyError, .missingSecret(purpose: "client worker"))
        }
        XCTAssertNoThrow(try server.secure(.curveServer(keys)))
        XCTAssertNoThrow(try dealer.secure(.none))
        handler.stop()
    }

    // MARK: - Helpers

    /// A ZAP handler admitting `keys`' clients, a ROUTER secured as their CURVE server on an
    /// ephemeral loopback port, its endpoint, and the handler's log lines.
    private func curveServer(_ keys: CurveKeys, handshakesPerMinute: Int = 120) throws
        -> (ZAPHandler, ZSocket, String, LogLines) {
        let log = LogLines()
        let handler = try ZAPHandler(context: context, allowedKeys: keys.allowedClientKeys,
                                     handshakesPerMinutePerAddress: handshakesPerMinute) { log.append($0.line) }
        let (router, endpoint) = try bound(.router) { try $0.secure(.curveServer(keys)) }
        return (handler, router, endpoint, log)
    }

    /// A DEALER with routing id `id`, secured as client `name` of `keys`, connected to `endpoint`.
    private func client(_ keys: CurveKeys, _ name: String, to endpoint: String, id: String) throws -> ZSocket {
        try connected(.dealer, to: endpoint) { socket in
            try socket.setIdentity(id)
            try socket.secure(.curveClient(keys, name: name))
        }
    }

    /// Sends "ping" from `dealer` to `router` and "pong" back, asserting both arrive intact.
    private func assertRoundTrip(_ router: ZSocket, _ dealer: ZSocket, id: String,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        try dealer.send([[UInt8](text: "ping")], deadline: .seconds(5))
        let request = try XCTUnwrap(router.receive(deadline: .seconds(5)), "ping arrives", file: file, line: line)
        XCTAssertEqual(request, [[UInt8](text: id), [UInt8](text: "ping")], file: file, line: line)
        try router.send([[UInt8](text: id), [UInt8](text: "pong")], deadline: .seconds(5))
        XCTAssertEqual(try dealer.receive(deadline: .seconds(5)), [[UInt8](text: "pong")], file: file, line: line)
    }

    /// True once `condition` holds, checking every 10 ms for at most `timeout`.
    private func eventually(within timeout: Duration = .seconds(2), _ condition: () -> Bool) -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }
}

/// Log lines collected from the handler thread.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    /// Appends one line.
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    /// The lines so far.
    var lines: [String] { lock.withLock { stored } }
}
