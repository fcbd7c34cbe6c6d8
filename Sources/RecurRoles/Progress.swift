// Progress: the coordinator's progress display — one self-updating line on a terminal, plain log
// lines otherwise.
import Foundation

/// Reports training progress to standard error.
struct Progress {
    /// Whether standard error is a terminal (then one line is rewritten in place).
    let isTerminal = isatty(STDERR_FILENO) != 0
    let start = Date()

    /// Shows one step's figures: step, loss, validation loss, tokens/s, workers alive and ETA.
    func show(step: Int, total: Int, loss: Double, val: Double?, tokensPerSecond: Double, workers: Int) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = step > 0 ? elapsed / Double(step) * Double(total - step) : 0
        let valText = val.map { String(format: " val %.4f", $0) } ?? ""
        let line = String(format: "step %d/%d loss %.4f%@ %.0f tok/s, %d workers, ETA %@", step, total, loss, valText,
                          tokensPerSecond, workers, Progress.clock(eta))
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[2K[coordinator] \(line)\(step == total ? "\n" : "")".utf8))
        } else {
            RoleSupport.log("coordinator", line)
        }
    }

    /// Seconds as m:ss or h:mm:ss.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
