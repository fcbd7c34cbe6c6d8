// Deadlines, bad endpoints, oversized frames and other failures each end cleanly with a clear error.
import RecurTransport
import XCTest

final class SocketFailureTests: TransportTestCase {
    func testReceiveReturnsNilAtTheDeadline() throws {
        let (pull, _) = try bound(.pull)
        let (frames, waited) = try elapsed { try pull.receive(deadline: .milliseconds(300)) }
        XCTAssertNil(frames)
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(300))
        XCTAssertLessThan(waited, .milliseconds(2300))
        XCTAssertNil(try pull.receive(deadline: .zero), "a zero deadline only checks")
    }

    func testSendGivesUpAtTheDeadline() throws {
        // A DEALER with no peer has nowhere to queue a message.
        let dealer = try ZSocket(context: context, type: .dealer)
        let (_, waited) = elapsed {
            let error = assertTransportError(code: EAGAIN) { try dealer.send([[1]], deadline: .milliseconds(200)) }
            XCTAssertEqual(error?.isTimeout, true)
        }
        XCTAssertGreaterThanOrEqual(waited, .milliseconds(200))
        XCTAssertLessThan(waited, .milliseconds(2200))
    }

    func testEphemeralBindReportsItsPort() throws {
        let (_, endpoint) = try bound(.router)
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        let port = Int(endpoint.split(separator: ":").last ?? "")
        XCTAssertNotNil(port, endpoint)
        XCTAssertGreaterThan(port ?? 0, 0)
    }

    func testBindingAPortInUseThrowsWithHint() throws {
        let (first, endpoint) = try bound(.router)
        let second = try ZSocket(context: context, type: .router)
        // Keep `first` alive: once closed, libzmq releases the port in the background.
        let error = withExtendedLifetime(first) { assertTransportError(code: EADDRINUSE) { try second.bind(endpoint) } }
        XCTAssertEqual(error?.call, "zmq_bind")
        XCTAssertEqual(error?.endpoint, endpoint)
        XCTAssertTrue(error?.description.contains("port already in use") ?? false, error?.description ?? "")
        XCTAssertTrue(error?.description.contains(endpoint) ?? false)
    }

    func testMalformedEndpointThrows() throws {
        let socket = try ZSocket(context: context, type: .dealer)
        for endpoint in ["tcp://127.0.0.1", "127.0.0.1:5555", "tcp://127.0.0.1:notaport"] {
            let error = assertTransportError(code: EINVAL) { try socket.bind(endpoint) }
            XCTAssertTrue(error?.description.contains("malformed endpoint") ?? false, error?.description ?? "")
        }
        assertTransportError(code: EINVAL) { try socket.connect("tcp://") }
        let unsupported = assertTransportError(code: EPROTONOSUPPORT) { try socket.connect("carrier-pigeon://x") }
        XCTAssertTrue(unsupported?.description.contains("unsupported transport") ?? false)
    }

    func testOversizedFrameIsDroppedAndTheConnectionRecovers() throws {
        // libzmq's behaviour: a frame over ZMQ_MAXMSGSIZE is a protocol error for the receiver,
        // which drops the frame and closes that connection; the connecting peer reconnects and
        // later messages get through.
        let (router, endpoint) = try bound(.router) { try $0.setMaxMessageBytes(1024) }
        let dealer = try connected(.dealer, to: endpoint) {
            try $0.setIdentity("w")
            try $0.setReconnectInterval(.milliseconds(50))
        }
        try dealer.send([[UInt8](repeating: 1, count: 64)], deadline: .seconds(5))
        XCTAssertEqual(try router.receive(deadline: .seconds(5))?.last?.count, 64, "small frames pass")
        try dealer.send([[UInt8](repeating: 2, count: 4096)], deadline: .seconds(5))
        XCTAssertNil(try router.receive(deadline: .milliseconds(500)), "the oversized frame never arrives")
        try dealer.send([[UInt8](text: "after")], deadline: .seconds(5))
        XCTAssertEqual(try router.receive(deadline: .seconds(5)), [[UInt8](text: "w"), [UInt8](text: "after")])
    }

    func testRouterMandatoryRejectsUnknownPeers() throws {
        let (router, _) = try bound(.router) { try $0.setRouterMandatory(true) }
        let error = assertTransportError(code: EHOSTUNREACH) {
            try router.send([[UInt8](text: "nobody"), [1]], deadline: .seconds(1))
        }
        XCTAssertTrue(error?.description.contains("routing id") ?? false)
    }

    func testClosedSocketThrows() throws {
        let socket = try ZSocket(context: context, type: .pull)
        socket.close()
        socket.close()
        XCTAssertTrue(socket.isClosed)
        assertTransportError(code: ENOTSOCK) { _ = try socket.receive(deadline: .milliseconds(10)) }
        assertTransportError(code: ENOTSOCK) { try socket.bind("tcp://127.0.0.1:*") }
    }

    func testOptionsAreAcceptedOrRefusedWithAClearError() throws {
        let socket = try ZSocket(context: context, type: .dealer)
        try socket.setSendHighWaterMark(10)
        try socket.setReceiveHighWaterMark(20)
        try socket.setHeartbeat(interval: .milliseconds(500), timeout: .seconds(2), ttl: .seconds(3))
        try socket.setLinger(.milliseconds(10))
        XCTAssertEqual(try socket.sendHighWaterMark(), 10)
        XCTAssertEqual(try socket.receiveHighWaterMark(), 20)
        try socket.setMaxMessageBytes(1 << 20)
        XCTAssertEqual(try socket.maxMessageBytes(), 1 << 20)
        let empty = assertTransportError(code: EINVAL) { try socket.setIdentity([UInt8](repeating: 7, count: 300)) }
        XCTAssertTrue(empty?.call.contains("ZMQ_ROUTING_ID") ?? false)
        assertTransportError(code: EINVAL) { try socket.send([], deadline: .seconds(1)) }
        if ZContext.has("curve") {
            let short = assertTransportError(code: EINVAL) { try socket.curveServer(secretKey: [1, 2, 3]) }
            XCTAssertTrue(short?.description.contains("32") ?? false)
        }
    }

    func testContextTerminatesPromptlyWithPendingMessages() throws {
        // Linger 0: closing sockets with undeliverable messages must not block termination.
        let (_, waited) = try elapsed { () throws -> Void in
            let local = try ZContext()
            let dealer = try ZSocket(context: local, type: .dealer)
            try dealer.connect("tcp://127.0.0.1:1")   // nothing listens there
            try? dealer.send([[1, 2, 3]], deadline: .milliseconds(50))
        }
        XCTAssertLessThan(waited, .seconds(2))
    }
}
