// EventLog: the one way a process writes a log line to standard error — plain text for people, or
// one JSON object per line (`--log-format json`) for programs: log shippers, dashboards, the tests.
import Foundation
import Synchronization

/// How log lines look on standard error. Chosen once per process by `--log-format`; a launcher
/// passes its own choice on to the processes it starts.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `[role] message`, as people read it (the default).
    case text
    /// `{"role":…,"event":…,<fields>,"message":…}`, one object per line, so programs can select
    /// lines by event name and read typed fields instead of matching wording that may change.
    case json
}

/// A log line: what happened (a stable event name and typed fields) and the text that says it.
public struct LogRecord: Sendable, Equatable {
    /// The event's stable name; `.note` for lines that carry only text.
    public var event: LogEvent
    /// The sentence a person reads (text mode prints only this).
    public var message: String
    /// Typed fields, in the order they are written (see `LogEvent` for each event's fields).
    public var fields: [(String, JSONValue)]

    /// A line about `event`, saying `message`, with `fields`.
    public init(_ event: LogEvent, _ message: String, _ fields: [(String, JSONValue)] = []) {
        self.event = event; self.message = message; self.fields = fields
    }

    /// Same event, message and fields in the same order (machines' actions compare by value).
    public static func == (a: LogRecord, b: LogRecord) -> Bool {
        a.event == b.event && a.message == b.message && a.fields.count == b.fields.count
            && zip(a.fields, b.fields).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// The value of field `name`, if the record has it.
    public func field(_ name: String) -> JSONValue? { fields.first { $0.0 == name }?.1 }

    /// The line in `format`, without its newline; `role` names the process, and in text starts
    /// the line as `[role] ` when `prefix` is set.
    public func line(role: String, prefix: Bool = true, format: LogFormat) -> String {
        switch format {
        case .text: return (prefix ? "[\(role)] " : "") + message
        case .json:
            return JSONLine.encode([("role", .string(role)), ("event", .string(event.rawValue))] + fields
                                   + [("message", .string(message))])
        }
    }
}

/// Writes log records to standard error in the process's format.
public enum EventLog {
    private static let jsonSelected = Atomic<Bool>(false)

    /// The process's log format (text until `use(_:)` is called).
    public static var format: LogFormat { jsonSelected.load(ordering: .relaxed) ? .json : .text }

    /// Sets the process's log format; called once, when the command line has been parsed.
    public static func use(_ format: LogFormat) { jsonSelected.store(format == .json, ordering: .relaxed) }

    /// Writes `record` as `role`'s, in one line (a single write, so lines of several threads
    /// never interleave); `prefix: false` leaves text lines without `[role] `, as the commands
    /// that speak for themselves (`recur train`, the launcher) write them.
    public static func write(role: String, _ record: LogRecord, prefix: Bool = true) {
        FileHandle.standardError.write(Data((record.line(role: role, prefix: prefix, format: format) + "\n").utf8))
    }
}
