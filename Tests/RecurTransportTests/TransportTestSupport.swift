// Shared helpers for transport tests: a context, bound/connected socket pairs on 127.0.0.1, timing.
import RecurTransport
import XCTest

/// Base class giving each test a fresh context and a loopback ephemeral endpoint helper.
class TransportTestCase: XCTestCase {
    var context: ZContext!

    override func setUpWithError() throws {
        context = try ZContext()
    }

    override func tearDown() {
        context = nil
    }

    /// A socket of `type` bound to an ephemeral loopback port, and the endpoint it got.
    func bound(_ type: ZSocketType, configure: (ZSocket) throws -> Void = { _ in }) throws -> (ZSocket, String) {
        let socket = try ZSocket(context: context, type: type)
        try configure(socket)
        let endpoint = try socket.bind("tcp://127.0.0.1:*")
        return (socket, endpoint)
    }

    /// A socket of `type` connected to `endpoint`.
    func connected(_ type: ZSocketType, to endpoint: String,
                   configure: (ZSocket) throws -> Void = { _ in }) throws -> ZSocket {
        let socket = try ZSocket(context: context, type: type)
        try configure(socket)
        try socket.connect(endpoint)
        return socket
    }

    /// Asserts `body` throws a one-line `TransportError` with errno `code`, and returns it.
    @discardableResult
    func assertTransportError(code: Int32, file: StaticString = #filePath, line: UInt = #line,
                              _ body: () throws -> Void) -> TransportError? {
        do {
            try body()
            XCTFail("expected errno \(code), nothing thrown", file: file, line: line)
        } catch let error as TransportError {
            XCTAssertEqual(error.code, code, error.description, file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }
}

/// Seconds elapsed while running `body`.
func elapsed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try body()
    return (value, ContinuousClock.now - start)
}

extension Array where Element == UInt8 {
    /// UTF-8 bytes of `text`.
    init(text: String) { self = Array(text.utf8) }
}
