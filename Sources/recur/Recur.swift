// Recur: the one executable; every role and tool is a subcommand.
import ArgumentParser
import Foundation
import RecurIO
import RecurRoles
import RecurTrain

/// The `recur` command line.
@main
struct Recur: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Train, evaluate and sample recurrent language models (RNN, GRU, LSTM).",
        discussion: """
        Examples:
          recur train --single-process --run-dir runs/demo
          recur eval --checkpoint runs/demo --corpus text.txt --json
          recur sample --checkpoint runs/demo --prime "the cat" --length 200
          recur score --checkpoint runs/demo "the cats , which slept , were full ."
          recur plot runs/demo
          recur status runs/demo
        """,
        subcommands: [TrainCommand.self, CoordinatorCommand.self, PSCommand.self, WorkerCommand.self, LaunchCommand.self,
                      EvalCommand.self, PredictCommand.self, StatusCommand.self, PlotCommand.self, DataCommand.self,
                      SampleCommand.self, ScoreCommand.self, BenchWireCommand.self, KeygenCommand.self])

    /// Runs the command; every error is one line on standard error and exit status 2.
    static func main() {
        CPUCheck.exitUnlessSupported()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let text = message(for: error).split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: " ")
            FileHandle.standardError.write(Data("error: \(text)\n".utf8))
            if case RoleError.diverged = error { Foundation.exit(3) }  // a launcher may roll back
            Foundation.exit(2)
        }
    }
}

/// Writes a line to standard error (a `note` event in json format).
func note(_ line: String) { note(LogRecord(.note, line)) }

/// Writes `record` to standard error as the running command's (`role` is the subcommand's name:
/// `train`, `launch`, `coordinator`, …; text lines carry no prefix, as they always did).
func note(_ record: LogRecord) {
    EventLog.write(role: CommandLine.arguments.dropFirst().first ?? "recur", record, prefix: false)
}

/// `--log-format`: taken by `recur train`, `recur launch` and every role command.
struct LogFlags: ParsableArguments {
    @Option(help: "Log lines on standard error: text, or json (one object per line with role, event, fields and message).")
    var logFormat: LogFormat = .text

    /// The flag as a child process of a launcher takes it.
    static var arguments: [String] { ["--log-format=\(EventLog.format.rawValue)"] }

    /// Makes this process write its log lines in the chosen format.
    func apply() { EventLog.use(logFormat) }
}

extension LogFormat: ExpressibleByArgument {}

/// Prints a value as JSON on one line to standard output with sorted keys.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Sets the BLAS thread count of the process.
func setThreads(_ n: Int) { RecurTrain.setMathThreads(n) }
