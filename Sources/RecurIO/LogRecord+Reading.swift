// LogRecord+Reading: a `--log-format json` line read back into its role and record, for programs
// that watch a run's processes (the test suite selects lines by event and reads their fields).
import Foundation

extension LogRecord {
    /// The role and record of a json-format log line; nil for any other line (a text line, an
    /// `error: …` line, a progress bar). Fields come back in key order, not the written order.
    public static func read(jsonLine line: some StringProtocol) -> (role: String, record: LogRecord)? {
        guard line.first == "{",
              let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8)),
              case .string(let role)? = object["role"], case .string(let name)? = object["event"],
              let event = LogEvent(rawValue: name), case .string(let message)? = object["message"] else { return nil }
        let fields = object.filter { !["role", "event", "message"].contains($0.key) }.sorted { $0.key < $1.key }
        return (role, LogRecord(event, message, fields.map { ($0.key, $0.value) }))
    }

    /// The records of `event` among `lines`, json-format or not (others are skipped).
    public static func read(_ event: LogEvent, in lines: some Sequence<some StringProtocol>) -> [LogRecord] {
        lines.compactMap { read(jsonLine: $0)?.record }.filter { $0.event == event }
    }
}

extension JSONValue: Decodable {
    /// Reads a JSON scalar: whole numbers as `.int`, other numbers as `.double`.
    ///
    /// Numbers are tried first, as a Double and then, when whole, as an exact Int: a failed
    /// `decode` builds an error with its coding path and message, and metrics and log lines are
    /// mostly numbers, so this order reads them without any.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let d = try? c.decode(Double.self) {
            let whole = d == d.rounded() && abs(d) <= 9.2e18
            if whole, let i = try? c.decode(Int.self) { self = .int(i) } else { self = .double(d) }
        }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else { self = .string(try c.decode(String.self)) }
    }

    /// The value as a number (`.int` or `.double`), else nil.
    public var number: Double? {
        switch self { case .int(let i): return Double(i); case .double(let d): return d; default: return nil }
    }

    /// The value as an integer (`.int` only), else nil.
    public var integer: Int? { if case .int(let i) = self { return i }; return nil }

    /// The value as text (`.string` only), else nil.
    public var text: String? { if case .string(let s) = self { return s }; return nil }
}

/// Field values written as literals (`["kind": "gradient", "alive": 2]`), as readers select records.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    /// A `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An `.int`.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
