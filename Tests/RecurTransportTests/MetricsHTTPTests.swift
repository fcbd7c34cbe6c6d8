// MetricsHTTP without sockets: which answer each request head gets, when a head is complete or too
// large, and the exact bytes of the answers.
import RecurTransport
import XCTest

final class MetricsHTTPTests: XCTestCase {
    func reply(_ text: String, max: Int = 8192) -> MetricsHTTP.Reply? {
        MetricsHTTP.reply(to: Array(text.utf8), maxHeadBytes: max)
    }

    func testRequestLines() {
        XCTAssertEqual(reply("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"), .metrics(body: true))
        XCTAssertEqual(reply("GET /metrics?name[]=x HTTP/1.0\r\n\r\n"), .metrics(body: true))
        XCTAssertEqual(reply("HEAD /metrics HTTP/1.1\n\n"), .metrics(body: false), "bare line feeds are accepted")
        XCTAssertEqual(reply("GET /Metrics HTTP/1.1\r\n\r\n"), .notFound)
        XCTAssertEqual(reply("GET /metrics/../metrics HTTP/1.1\r\n\r\n"), .notFound)
        XCTAssertEqual(reply("PUT /metrics HTTP/1.1\r\n\r\n"), .methodNotAllowed)
        XCTAssertEqual(reply("get /metrics HTTP/1.1\r\n\r\n"), .badRequest, "methods are upper case")
        XCTAssertEqual(reply("GET  /metrics HTTP/1.1\r\n\r\n"), .badRequest, "one space between parts")
        XCTAssertEqual(reply("GET metrics HTTP/1.1\r\n\r\n"), .badRequest, "origin-form targets only")
        XCTAssertEqual(reply("GET /metrics\u{0} HTTP/1.1\r\n\r\n"), .badRequest, "no control characters")
        XCTAssertEqual(reply("GET /metrics HTTP/1.1 x\r\n\r\n"), .badRequest)
        XCTAssertEqual(reply("GET /metrics FTP/1.1\r\n\r\n"), .badRequest)
        XCTAssertEqual(reply("GET /metrics HTTP/0.9\r\n\r\n"), .versionNotSupported)
        XCTAssertEqual(reply("\r\n\r\n"), .badRequest)
        XCTAssertEqual(reply("GET /métrics HTTP/1.1\r\n\r\n"), .badRequest, "raw non-ASCII in the target")
    }

    func testIncompleteAndOversizedHeads() {
        XCTAssertNil(reply(""))
        XCTAssertNil(reply("GET /metrics HTTP/1.1\r\n"))
        XCTAssertNil(reply("GET /metrics HTTP/1.1\r\nHost: a\r\n\r"))
        let head = "GET /metrics HTTP/1.1\r\n\r\n"  // 25 bytes
        XCTAssertEqual(reply(head, max: 25), .metrics(body: true), "a head of exactly the limit is served")
        XCTAssertEqual(reply(head, max: 24), .headTooLarge)
        XCTAssertEqual(reply("GET /metrics HTTP/1.1\r\nX: yy", max: 24), .headTooLarge, "the limit reached, no end")
        XCTAssertNil(reply("GET /metrics HTTP/1.1\r\nX: y", max: 40))
        XCTAssertEqual(reply(head + "trailing body bytes", max: 25), .metrics(body: true), "bytes after the head are ignored")
    }

    func testResponses() {
        let text = "# TYPE a gauge\na 1\n"
        XCTAssertEqual(String(decoding: MetricsHTTP.response(.metrics(body: true), exposition: text), as: UTF8.self),
                       "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                       + "Content-Length: 19\r\nConnection: close\r\n\r\n" + text)
        XCTAssertEqual(String(decoding: MetricsHTTP.response(.metrics(body: false), exposition: text), as: UTF8.self),
                       "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                       + "Content-Length: 19\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(String(decoding: MetricsHTTP.response(.methodNotAllowed, exposition: text), as: UTF8.self),
                       "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       + "Content-Length: 23\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n405 Method Not Allowed\n")
        for reply in [MetricsHTTP.Reply.badRequest, .notFound, .headTooLarge, .versionNotSupported] {
            let bytes = String(decoding: MetricsHTTP.response(reply, exposition: text), as: UTF8.self)
            XCTAssertTrue(bytes.hasPrefix("HTTP/1.1 \(reply.status.code) "), bytes)
            XCTAssertFalse(bytes.contains("a 1"), "only /metrics carries the text")
        }
        XCTAssertEqual(MetricsHTTP.Reply.headTooLarge.status.code, 431)
    }
}
