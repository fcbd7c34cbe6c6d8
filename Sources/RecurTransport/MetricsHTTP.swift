// MetricsHTTP: the metrics endpoint's HTTP/1.x as pure functions — what a request head asks for,
// and the bytes of each answer. No sockets here, so every answer is tested without a network.

/// What the metrics endpoint understands of HTTP/1.x: one request head in, one answer out, and the
/// connection closed. It reads only the request line; headers are skipped and any body is ignored.
public enum MetricsHTTP {
    /// The path that serves the exposition (a query string after it is ignored).
    public static let path = "/metrics"

    /// The answers the endpoint gives, each with its status line.
    public enum Reply: Equatable, Sendable {
        /// 200 with the exposition; `body` false for `HEAD` (headers only, same `Content-Length`).
        case metrics(body: Bool)
        /// 400: the request line is not `METHOD SP TARGET SP HTTP/x.y`.
        case badRequest
        /// 404: a path other than `/metrics`.
        case notFound
        /// 405: a method other than `GET` or `HEAD` on `/metrics`.
        case methodNotAllowed
        /// 431: no end of the head within the size limit.
        case headTooLarge
        /// 505: an HTTP version other than 1.0 or 1.1.
        case versionNotSupported

        /// The status code and reason phrase.
        public var status: (code: Int, reason: String) {
            switch self {
            case .metrics: return (200, "OK")
            case .badRequest: return (400, "Bad Request")
            case .notFound: return (404, "Not Found")
            case .methodNotAllowed: return (405, "Method Not Allowed")
            case .headTooLarge: return (431, "Request Header Fields Too Large")
            case .versionNotSupported: return (505, "HTTP Version Not Supported")
            }
        }
    }

    /// Reads what a client has sent so far.
    /// - Parameters:
    ///   - received: every byte received on the connection, from the first.
    ///   - maxHeadBytes: the most bytes a head (request line, headers and the blank line) may take.
    /// - Returns: nil while the head is incomplete and within the limit, else the answer to give.
    public static func reply(to received: [UInt8], maxHeadBytes: Int) -> Reply? {
        guard let end = headEnd(received), end <= maxHeadBytes else {
            return received.count >= maxHeadBytes ? .headTooLarge : nil
        }
        let lineEnd = received.firstIndex(of: UInt8(ascii: "\n")) ?? end
        var line = received[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        // Request line: printable ASCII only, three parts separated by single spaces.
        guard line.allSatisfy({ (0x20..<0x7F).contains($0) }) else { return .badRequest }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else { return .badRequest }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)
        guard method.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
              target.hasPrefix("/"), version.hasPrefix("HTTP/") else { return .badRequest }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return .versionNotSupported }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard path == Self.path else { return .notFound }
        switch method {
        case "GET": return .metrics(body: true)
        case "HEAD": return .metrics(body: false)
        default: return .methodNotAllowed
        }
    }

    /// The index just past the blank line that ends a head (`CRLF CRLF`, or a bare `LF LF` from a
    /// lenient client), or nil when it has not arrived.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var i = 0
        while i < bytes.count {
            if bytes[i] == lf {
                if i + 1 < bytes.count, bytes[i + 1] == lf { return i + 2 }
                if i + 2 < bytes.count, bytes[i + 1] == cr, bytes[i + 2] == lf { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// The whole response: status line, `Content-Type`, `Content-Length`, `Connection: close`
    /// (the endpoint closes after every answer), `Allow` on a 405, then the body unless `HEAD`.
    /// - Parameters:
    ///   - reply: what to answer.
    ///   - exposition: the text served on `/metrics` (read only for `.metrics`).
    /// - Returns: the bytes to send.
    public static func response(_ reply: Reply, exposition: String) -> [UInt8] {
        let (code, reason) = reply.status
        let body: [UInt8], type: String
        if case .metrics = reply {
            body = Array(exposition.utf8)
            type = exposition0_0_4
        } else {
            body = Array("\(code) \(reason)\n".utf8)
            type = "text/plain; charset=utf-8"
        }
        var head = "HTTP/1.1 \(code) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n"
        if reply == .methodNotAllowed { head += "Allow: GET, HEAD\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (reply == .metrics(body: false) ? [] : body)
    }

    /// The `Content-Type` of Prometheus's text format 0.0.4, as its own client libraries send it.
    public static let exposition0_0_4 = "text/plain; version=0.0.4; charset=utf-8"
}
