// RunFolder: reads what a training run left on disk — metrics.jsonl lines and checkpoint files.
import Foundation
import XCTest

/// One line of `metrics.jsonl`.
struct MetricsLine {
    /// The parsed JSON object.
    let fields: [String: Any]
    /// `step` (an integer).
    var step: Int? { (fields["step"] as? NSNumber)?.intValue }
    /// `loss` (nats per token).
    var loss: Double? { (fields["loss"] as? NSNumber)?.doubleValue }
    /// `val_loss`, present on evaluation lines.
    var valLoss: Double? { (fields["val_loss"] as? NSNumber)?.doubleValue }
    /// `tokens_per_second` of the window the line closes.
    var tokensPerSecond: Double? { (fields["tokens_per_second"] as? NSNumber)?.doubleValue }
}

/// A run folder written by `recur train`.
struct RunFolder {
    /// The folder.
    let url: URL

    /// `<run>/checkpoints`.
    var checkpoints: URL { url.appendingPathComponent("checkpoints") }

    /// `<run>/checkpoints/latest/<name>`.
    func latestFile(_ name: String) -> URL {
        checkpoints.appendingPathComponent("latest").appendingPathComponent(name)
    }

    /// The bytes of `<run>/checkpoints/latest/<name>`.
    func latestBytes(_ name: String) throws -> Data {
        try Data(contentsOf: latestFile(name))
    }

    /// Every line of `metrics.jsonl`, each required to be a JSON object.
    /// - Throws: when the file is missing or a line is not a JSON object (naming the line).
    func metrics() throws -> [MetricsLine] {
        let text = try String(contentsOf: url.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        var lines: [MetricsLine] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if raw.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
                throw CLITestError("metrics.jsonl line \(i + 1) is not a JSON object: \(raw)")
            }
            lines.append(MetricsLine(fields: object))
        }
        return lines
    }

    /// The `val_loss` of the last metrics line.
    /// - Throws: when there are no lines or the last one has no `val_loss`.
    func finalValLoss() throws -> Double {
        guard let last = try metrics().last else { throw CLITestError("\(url.path): metrics.jsonl is empty") }
        guard let v = last.valLoss else { throw CLITestError("\(url.path): the last metrics line has no val_loss") }
        return v
    }
}

/// Relative difference |a − b| / max(|a|, |b|, tiny).
func relativeDifference(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(abs(a), abs(b), 1e-30)
}
