// MetricsLog: a run's metrics.jsonl read back into the values a chart or a report needs.
import Foundation
import RecurIO

/// The fields of one `metrics.jsonl` line that a reader of a finished (or running) run looks at.
///
/// Every field but `step` is optional, so one type reads lines of every age and every task: an
/// older file has no `tokens` or `seconds`, only evaluation steps have `val_loss`, and a diverged
/// step writes its NaN loss as `null`.
public struct MetricsLine: Sendable, Equatable {
    /// Steps done.
    public var step: Int
    /// Mean training loss of the step (nats per token); nil when written as `null` (not finite).
    public var loss: Double?
    /// Validation loss, on evaluation steps.
    public var valLoss: Double?
    /// A classifier's validation accuracy, on evaluation steps.
    public var valAccuracy: Double?
    /// A tagger's entity-level validation F1, on evaluation steps.
    public var valF1: Double?
    /// Cumulative training tokens so far (absent from files written before the field existed).
    public var tokens: Double?
    /// Cumulative training seconds so far (absent from files written before the field existed).
    public var seconds: Double?

    /// A line's values; tests and callers that already hold the numbers build lines directly.
    public init(step: Int, loss: Double? = nil, valLoss: Double? = nil, valAccuracy: Double? = nil,
                valF1: Double? = nil, tokens: Double? = nil, seconds: Double? = nil) {
        self.step = step
        self.loss = loss
        self.valLoss = valLoss
        self.valAccuracy = valAccuracy
        self.valF1 = valF1
        self.tokens = tokens
        self.seconds = seconds
    }
}

/// Why a metrics file could not be read; each case prints as one line naming the file.
public enum MetricsLogError: Error, CustomStringConvertible, Equatable {
    /// The run folder does not exist.
    case noFolder(String)
    /// The folder exists but holds no `metrics.jsonl`.
    case noFile(String)
    /// The file holds no line at all.
    case empty(String)
    /// Line `line` (counting from 1) of `file` is not a metrics object.
    case malformed(file: String, line: Int, reason: String)

    /// One line naming the file and, for a bad line, its number.
    public var description: String {
        switch self {
        case .noFolder(let path): return "\(path): no such run folder"
        case .noFile(let path): return "\(path): no metrics.jsonl in this folder (is it a run folder?)"
        case .empty(let path): return "\(path): the file is empty (has the run logged a step yet?)"
        case .malformed(let file, let line, let reason): return "\(file):\(line): \(reason)"
        }
    }
}

/// Reads `metrics.jsonl` files as `MetricsLine`s.
public enum MetricsLog {
    /// The file every run writes in its folder.
    public static let fileName = "metrics.jsonl"

    /// The lines of `runDirectory/metrics.jsonl`.
    /// - Parameter runDirectory: a run folder (`--run-dir` of `recur train`).
    /// - Returns: the lines in file order, at least one.
    /// - Throws: `MetricsLogError` when the folder or file is missing, the file is empty, or a
    ///   line is not a metrics object.
    public static func read(runDirectory: String) throws -> [MetricsLine] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw MetricsLogError.noFolder(runDirectory) }
        let path = (runDirectory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { throw MetricsLogError.noFile(runDirectory) }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses the text of a metrics file. Blank lines (the newline ending the last line) are
    /// skipped; every other line must be a JSON object with an integer `step`.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - file: the name errors give the file.
    /// - Returns: the lines in file order, at least one.
    /// - Throws: `MetricsLogError.empty` when there is no line, `.malformed` naming the first bad one.
    public static func parse(_ text: String, file: String) throws -> [MetricsLine] {
        var lines: [MetricsLine] = []
        let decoder = JSONDecoder()
        // One pass over the bytes, split at "\n" bytes only (not at Swift's "\r\n" grapheme), so
        // that line numbers match an editor's even with stray "\r".
        for (index, raw) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = Substring(raw)
            if line.allSatisfy(\.isWhitespace) { continue }
            lines.append(try parseLine(line, decoder: decoder, file: file, lineNumber: index + 1))
        }
        guard !lines.isEmpty else { throw MetricsLogError.empty(file) }
        return lines
    }

    /// One line as a `MetricsLine`.
    private static func parseLine(_ raw: Substring, decoder: JSONDecoder, file: String, lineNumber: Int) throws -> MetricsLine {
        func bad(_ reason: String) -> MetricsLogError { .malformed(file: file, line: lineNumber, reason: reason) }
        guard let object = try? decoder.decode([String: JSONValue].self, from: Data(raw.utf8)) else {
            throw bad("not a one-line JSON object of scalars: \(raw.prefix(60))\(raw.count > 60 ? "…" : "")")
        }
        guard let step = object["step"]?.integer else { throw bad("no integer \"step\"") }
        func number(_ key: String) throws -> Double? {
            switch object[key] {
            case nil, .null?: return nil
            case let value?:
                guard let n = value.number else { throw bad("\"\(key)\" is not a number") }
                return n
            }
        }
        return MetricsLine(step: step, loss: try number("loss"), valLoss: try number("val_loss"),
                           valAccuracy: try number("val_accuracy"), valF1: try number("val_f1"),
                           tokens: try number("tokens"), seconds: try number("seconds"))
    }
}
