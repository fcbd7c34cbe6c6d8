// MessageLimitTests: what ZMQ_MAXMSGSIZE changed on a bound socket does — the fact the parameter
// server's limit before and after its configuration rests on.
import Foundation
import RecurTransport
import XCTest

final class MessageLimitTests: TransportTestCase {
    /// libzmq copies a socket's options into its listener at bind: a limit set afterwards does not
    /// reach the connections that listener accepts, so a bound socket's limit cannot be raised
    /// (or lowered) once it listens.
    func testALimitSetAfterBindDoesNotReachLaterConnections() throws {
        let (router, endpoint) = try bound(.router) { try $0.setMaxMessageBytes(1024) }
        try router.setMaxMessageBytes(1 << 20)
        XCTAssertEqual(try router.maxMessageBytes(), 1 << 20, "the socket reports the new limit")
        let dealer = try connected(.dealer, to: endpoint) { try $0.setIdentity("late") }
        try dealer.send([[UInt8](repeating: 2, count: 4096)], deadline: .seconds(5))
        XCTAssertNil(try router.receive(deadline: .milliseconds(500)), "the bind-time limit still applies")
    }
}
