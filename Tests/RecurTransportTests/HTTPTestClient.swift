// HTTPTestClient: a blocking TCP client on 127.0.0.1 for the metrics endpoint tests — raw bytes
// out, the whole answer back — and a checker of Prometheus's text format line grammar.
import Foundation
import Glibc
import XCTest

/// One TCP connection to 127.0.0.1 with a receive deadline on every read.
final class HTTPTestClient {
    private var fd: Int32

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close()
            throw ClientError("connect 127.0.0.1:\(port): errno \(code)", code: code)
        }
    }

    deinit { close() }

    /// Closes the connection (idempotent).
    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Sends all of `text`.
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends all of `bytes` (the server may close early; EPIPE is reported, not raised as SIGPIPE).
    func send(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let wrote = bytes[done...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard wrote > 0 else { throw ClientError("send: errno \(errno)", code: errno) }
            done += wrote
        }
    }

    /// Reads until the server closes or `deadline` passes.
    /// - Returns: the bytes read and whether the server closed (EOF or reset) before the deadline.
    func readToClose(within deadline: Duration = .seconds(5)) -> (bytes: [UInt8], closed: Bool) {
        let end = ContinuousClock.now + deadline
        var out: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < end {
            let left = end - ContinuousClock.now
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&p, 1, ms) > 0 else { continue }
            let got = recv(fd, &chunk, chunk.count, 0)
            if got > 0 { out += chunk[0..<got]; continue }
            if got < 0 && errno == EINTR { continue }
            return (out, true)
        }
        return (out, false)
    }

    /// Whether the server has closed the connection by now (a read would not block and finds EOF).
    func isClosedByServer() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK)) <= 0
    }
}

/// A parsed HTTP response.
struct HTTPAnswer {
    var status: Int
    var headers: [String: String]  // lower-cased names
    var body: String

    /// Splits raw response bytes into status, headers and body.
    init(_ bytes: [UInt8]) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw ClientError("no end of head in \(text.debugDescription)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
            throw ClientError("bad status line \(lines[0].debugDescription)")
        }
        self.status = status
        headers = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError("bad header \(line.debugDescription)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        body = String(text[split.upperBound...])
    }
}

/// A test client's failure, with the errno when there is one.
struct ClientError: Error, CustomStringConvertible {
    let description: String
    var code: Int32 = 0
    init(_ description: String, code: Int32 = 0) {
        self.description = description
        self.code = code
    }
}

/// Sends `request` on a fresh connection to `port` and reads the whole answer.
func exchange(_ request: String, port: Int, file: StaticString = #filePath, line: UInt = #line) throws -> HTTPAnswer {
    let client = try HTTPTestClient(port: port)
    try client.send(request)
    let (bytes, closed) = client.readToClose()
    XCTAssertTrue(closed, "the server must close after its answer", file: file, line: line)
    return try HTTPAnswer(bytes)
}

/// The problems of `text` as Prometheus text format 0.0.4: every line is a `# HELP name text`,
/// a `# TYPE name gauge|counter|…`, another comment, or `name{label="value",…} value`, with valid
/// names, escapes and values; the text ends with a line feed; TYPE comes before a family's samples.
func prometheusProblems(_ text: String) -> [String] {
    let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#, label = #"[a-zA-Z_][a-zA-Z0-9_]*"#
    let escaped = #"(?:[^"\\\n]|\\[\\"n])*"#
    let value = #"(?:NaN|[+-]Inf|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"#
    let sample = "^(\(name))(?:\\{(?:\(label)=\"\(escaped)\")(?:,\(label)=\"\(escaped)\")*,?\\})? \(value)(?: -?\\d+)?$"
    let help = "^# HELP (\(name)) (?:[^\\\\\\n]|\\\\[\\\\n])*$"
    let type = "^# TYPE (\(name)) (counter|gauge|histogram|summary|untyped)$"
    var problems: [String] = [], typed = Set<String>()
    if !text.isEmpty && !text.hasSuffix("\n") { problems.append("does not end with a line feed") }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        let s = String(line)
        if let m = s.firstMatch(of: try! Regex(type)) {
            typed.insert(String(m.output[1].substring!))
        } else if s.firstMatch(of: try! Regex(help)) != nil || (s.hasPrefix("#") && !s.hasPrefix("# HELP") && !s.hasPrefix("# TYPE")) {
            continue
        } else if let m = s.firstMatch(of: try! Regex(sample)) {
            if !typed.contains(String(m.output[1].substring!)) { problems.append("sample before its TYPE: \(s)") }
        } else {
            problems.append("bad line: \(s.debugDescription)")
        }
    }
    return problems
}
