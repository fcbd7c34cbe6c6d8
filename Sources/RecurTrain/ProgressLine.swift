// ProgressLine: a run's progress on standard error — a live bar rewritten in place on a
// terminal, one line per log step otherwise (a file, a pipe, or --log-format json).
import Foundation
import RecurIO

/// Shows how far a run is, the same way for the single process and the coordinator.
public struct ProgressLine {
    /// Whose line it is (`train`, `coordinator`).
    public let role: String
    /// Whether standard error is a terminal in text mode (then one line is rewritten in place).
    let live: Bool
    let start = Date()
    /// The first step this process showed, so the ETA counts this process's pace only.
    var firstStep: Int?

    /// A display for `role`.
    public init(role: String) {
        self.role = role
        live = isatty(STDERR_FILENO) != 0 && EventLog.format == .text
    }

    /// The bar of `fraction` (0…1), `width` cells wide.
    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded(.down))))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// Shows one step's figures: step, loss, validation figures, tokens/s, workers alive and ETA.
    public mutating func show(step: Int, total: Int, loss: Double, val: ValidationResult?, tokensPerSecond: Double,
                              workers: Int? = nil) {
        if firstStep == nil { firstStep = step - 1 }
        let done = step - (firstStep ?? 0), elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(max(0, total - step)) : 0
        let who = workers.map { ", \($0) workers" } ?? ""
        let line = String(format: "step %d/%d loss %.4f%@ %.0f tok/s%@, ETA %@", step, total, loss, val?.words ?? "",
                          tokensPerSecond, who, Self.clock(eta))
        if live {
            let fraction = total > 0 ? Double(step) / Double(total) : 1
            let text = "\r\u{1B}[2K[\(role)] \(Self.bar(fraction)) \(line)\(step == total ? "\n" : "")"
            FileHandle.standardError.write(Data(text.utf8))
        } else {
            var fields: [(String, JSONValue)] = [("step", .int(step)), ("total", .int(total)), ("loss", .double(loss)),
                                                 ("tokens_per_second", .double(tokensPerSecond)), ("eta_seconds", .double(eta))]
            if let workers { fields.append(("workers", .int(workers))) }
            EventLog.write(role: role, LogRecord(.progress, line, fields), prefix: role != "train")
        }
    }

    /// Seconds as m:ss or h:mm:ss.
    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
