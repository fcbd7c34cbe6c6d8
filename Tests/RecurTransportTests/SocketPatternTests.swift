// ROUTER/DEALER and PUB/SUB delivery, a 4 MB round trip and the poller, over 127.0.0.1.
import RecurTransport
import XCTest

final class SocketPatternTests: TransportTestCase {
    func testRouterDealerMultipartRoundTripWithIdentities() throws {
        let (router, endpoint) = try bound(.router) { try $0.setRouterMandatory(true) }
        let workers = try ["worker-1", "worker-2"].map { id in
            try connected(.dealer, to: endpoint) { try $0.setIdentity(id) }
        }
        XCTAssertEqual(try workers[0].identity(), [UInt8](text: "worker-1"))
        for (index, worker) in workers.enumerated() {
            try worker.send([[UInt8](text: "hello"), [UInt8(index), 0, 255], []], deadline: .seconds(5))
        }
        var seen: [String: [[UInt8]]] = [:]
        for _ in 0..<2 {
            let frames = try XCTUnwrap(router.receive(deadline: .seconds(5)))
            XCTAssertEqual(frames.count, 4, "routing id + 3 frames")
            seen[String(decoding: frames[0], as: UTF8.self)] = Array(frames.dropFirst())
        }
        XCTAssertEqual(seen["worker-1"], [[UInt8](text: "hello"), [0, 0, 255], []])
        XCTAssertEqual(seen["worker-2"], [[UInt8](text: "hello"), [1, 0, 255], []])
        for id in ["worker-2", "worker-1"] {
            try router.send([[UInt8](text: id), [UInt8](text: "welcome " + id)], deadline: .seconds(5))
        }
        for (index, worker) in workers.enumerated() {
            let reply = try XCTUnwrap(worker.receive(deadline: .seconds(5)))
            XCTAssertEqual(reply, [[UInt8](text: "welcome worker-\(index + 1)")])
        }
    }

    func testPubSubDeliversMatchingTopicsOnly() throws {
        let (publisher, endpoint) = try bound(.pub)
        let subscriber = try connected(.sub, to: endpoint) { try $0.subscribe("weights") }
        // Subscriptions propagate asynchronously ("slow joiner"): publish until one arrives.
        var received: [[UInt8]]?
        for _ in 0..<100 where received == nil {
            try publisher.send([[UInt8](text: "other"), [9]], deadline: .seconds(1))
            try publisher.send([[UInt8](text: "weights"), [1, 2, 3]], deadline: .seconds(1))
            received = try subscriber.receive(deadline: .milliseconds(50))
        }
        XCTAssertEqual(received, [[UInt8](text: "weights"), [1, 2, 3]])
        while let more = try subscriber.receive(deadline: .milliseconds(100)) {
            XCTAssertEqual(more[0], [UInt8](text: "weights"), "only subscribed topics arrive")
        }
    }

    func testFourMegabyteRoundTrip() throws {
        let (router, endpoint) = try bound(.router)
        let dealer = try connected(.dealer, to: endpoint) { try $0.setIdentity("big") }
        var state: UInt32 = 0x1234_5678
        let payload = (0..<(4 << 20)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        try dealer.send([[UInt8](text: "params"), payload], deadline: .seconds(10))
        let request = try XCTUnwrap(router.receive(deadline: .seconds(10)))
        XCTAssertEqual(request.count, 3)
        XCTAssertTrue(request[2] == payload, "4 MB frame arrives intact")
        try router.send([request[0], request[2]], deadline: .seconds(10))
        let echo = try XCTUnwrap(dealer.receive(deadline: .seconds(10)))
        XCTAssertEqual(echo.count, 1)
        XCTAssertTrue(echo[0] == payload, "4 MB frame returns intact")
    }

    func testPollerReportsReadySockets() throws {
        let (first, firstEndpoint) = try bound(.pull)
        let (second, secondEndpoint) = try bound(.pull)
        let poller = ZPoller([first, second])
        let (idle, waited) = try elapsed { try poller.poll(deadline: .milliseconds(100)) }
        XCTAssertEqual(idle, [])
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(100))
        XCTAssertLessThan(waited, .seconds(2))
        let pusher = try connected(.push, to: secondEndpoint)
        _ = firstEndpoint
        try pusher.send([[7]], deadline: .seconds(5))
        XCTAssertEqual(try poller.poll(deadline: .seconds(5)), [1])
        XCTAssertEqual(try second.receive(deadline: .seconds(1)), [[7]])
        XCTAssertEqual(try poller.poll(deadline: .zero), [])
    }

    func testCurveEncryptedRoundTrip() throws {
        try XCTSkipUnless(ZContext.has("curve"), "libzmq built without CURVE")
        let server = try ZCurveKeyPair.generate()
        let client = try ZCurveKeyPair.generate()
        XCTAssertEqual(server.publicKey.count, 32)
        XCTAssertNotEqual(server.secretKey, client.secretKey)
        let (router, endpoint) = try bound(.router) { try $0.curveServer(secretKey: server.secretKey) }
        let dealer = try connected(.dealer, to: endpoint) {
            try $0.curveClient(serverKey: server.publicKey, publicKey: client.publicKey, secretKey: client.secretKey)
        }
        try dealer.send([[UInt8](text: "secret")], deadline: .seconds(5))
        XCTAssertEqual(try router.receive(deadline: .seconds(5))?.last, [UInt8](text: "secret"))
    }
}
