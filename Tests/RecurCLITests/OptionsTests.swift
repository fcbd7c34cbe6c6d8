// OptionsTests: the flags and `TrainOptions` are one thing — `TrainOptions.arguments` parses back
// into the same options, a launcher-only flag cannot reach the coordinator, and the flag table of
// docs/usage.md lists exactly the flags of `recur train --help`.
import Foundation
import RecurData
import RecurTrain
import RecurMath
import XCTest

final class OptionsTests: CLITestCase {
    /// The options `recur train --print-options` reports for `arguments`.
    private func parsed(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> TrainOptions {
        let r = try recurOK(["train", "--print-options"] + arguments, file: file, line: line)
        return try JSONDecoder().decode(TrainOptions.self, from: Data(r.stdout.utf8))
    }

    /// Options far from the defaults in every field, drawn from `seed` (valid for the parser:
    /// `epochs` stays 1 when `steps` is set, since the two flags are exclusive).
    static func randomOptions(_ seed: UInt64) -> TrainOptions {
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() }
        func double() -> Double { Double(next() >> 11) * 0x1p-53 }
        func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
        func pick<T>(_ a: [T]) -> T { a[int(0...(a.count - 1))] }
        func maybe<T>(_ v: @autoclosure () -> T) -> T? { int(0...1) == 0 ? nil : v() }
        var o = TrainOptions()
        o.corpus = maybe(pick(["input.txt", "-dash.txt", "dir with spaces/a=b.txt", "données.txt"]))
        o.syntheticSentences = int(1...50_000)
        o.tokenizer = pick(type(of: o.tokenizer).allCases)
        o.maxVocabulary = maybe(int(3...9_999))
        o.cell = pick(type(of: o.cell).allCases)
        o.activation = pick(type(of: o.activation).allCases)
        o.peephole = int(0...1) == 1
        o.hidden = int(1...1024); o.layers = int(1...4); o.embed = maybe(int(1...512))
        o.dropout = Float(int(0...999)) / 1000 + 1e-7
        o.batch = int(1...64); o.bptt = int(1...200); o.lanesPerShard = maybe(int(1...8))
        if int(0...1) == 0 { o.steps = int(1...100_000) } else { o.epochs = double() * 5 + 0.01 }
        o.optimizer = pick(type(of: o.optimizer).allCases)
        o.learningRate = maybe(double() / 7)
        o.lrDecay = double(); o.lrDecayEvery = int(1...5000); o.clip = double() * 10
        o.seed = next(); o.threads = int(1...16); o.valFraction = double() / 3
        o.evalEvery = int(0...500); o.logEvery = int(1...500); o.checkpointEvery = int(0...500)
        o.checkpointEverySeconds = double() * 100; o.keep = int(0...9)
        o.runDirectory = pick(["runs/r", "/tmp/a b", "-r"])
        o.onDivergence = pick(DivergencePolicy.allCases)
        o.verbose = int(0...1) == 1
        o.faultNaNAtStep = maybe(int(0...100))
        return o
    }

    func testArgumentsParseBackIntoTheSameOptions() throws {
        var defaults = TrainOptions()
        defaults.runDirectory = "runs/d"
        XCTAssertEqual(try parsed(defaults.arguments), defaults, "the defaults: \(defaults.arguments)")
        for seed in UInt64(1)...24 {
            let o = Self.randomOptions(seed)
            XCTAssertEqual(try parsed(o.arguments), o, "seed \(seed): \(o.arguments)")
        }
    }

    /// The flags listed by `recur <command> --help` (hidden ones are not listed).
    private func helpFlags(_ command: String) throws -> Set<String> {
        let text = try recurOK([command, "--help"]).stdout
        var flags = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("  --") {
            let first = line.dropFirst(2).split(separator: " ").first ?? ""
            for name in first.split(separator: "/") { flags.insert(String(name)) }
        }
        return flags
    }

    /// A flag of `recur train` that `recur coordinator` lacks is the launcher's own (`--workers`,
    /// `--restarts`, …): none may be in a child's command line, whatever the options.
    func testNoLauncherOnlyFlagReachesTheCoordinator() throws {
        let launcherOnly = try helpFlags("train").subtracting(try helpFlags("coordinator"))
        XCTAssertTrue(launcherOnly.isSuperset(of: ["--workers", "--restarts", "--single-process", "--print-options"]),
                      "launcher-only flags: \(launcherOnly.sorted())")
        for seed in UInt64(1)...24 {
            let names = Self.randomOptions(seed).arguments.map { String($0.split(separator: "=")[0]) }
            XCTAssertTrue(launcherOnly.isDisjoint(with: names), "seed \(seed) passes \(launcherOnly.intersection(names))")
        }
    }

    /// The table of train flags in docs/usage.md: each row's flags (from its first cell's code
    /// spans) and the comma-separated values of its default cell.
    private func usageRows() throws -> [(flags: [String], defaults: [String])] {
        let usage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/usage.md")
        let lines = try String(contentsOf: usage, encoding: .utf8).components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex(of: "| flag | default | meaning |"), "docs/usage.md has no flag table")
        return lines[(start + 2)...].prefix { $0.hasPrefix("|") }.map { row in
            // Cells are split at the `|` that Markdown does not see escaped as `\|`.
            let cells = row.replacingOccurrences(of: "\\|", with: "¦").split(separator: "|").map(String.init)
            var flags: [String] = []
            for code in cells[0].split(separator: "`").enumerated() where code.offset % 2 == 1 {
                for flag in code.element.split(separator: " ") where flag.hasPrefix("--") {
                    flags += flag.split(separator: "/").map(String.init)
                }
            }
            let defaults = cells.count > 1 ? cells[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : []
            return (flags, defaults)
        }
    }

    /// Every flag of `recur train --help` is in the table of train flags in docs/usage.md, and
    /// every flag of the table is a flag of `recur train`.
    func testUsageFlagTableListsExactlyTheFlagsOfTrain() throws {
        let table = Set(try usageRows().flatMap(\.flags))
        let help = try helpFlags("train").subtracting(["--help"])
        XCTAssertEqual(help.subtracting(table).sorted(), [], "flags of recur train missing from the table in docs/usage.md")
        XCTAssertEqual(table.subtracting(help).sorted(), [], "rows of the table in docs/usage.md that are not flags of recur train")
    }

    /// Where a row of the table in docs/usage.md gives one default per flag, a number equals the
    /// `(default: X)` of `recur train --help` (which comes from `TrainOptions()`), and so does a
    /// one-word value (`lstm`, `adam`, …) where the help shows one word. Named defaults (`H`,
    /// `all`, `off`) are not compared.
    func testUsageDefaultsAreTheDefaultsOfTrain() throws {
        let text = try recurOK(["train", "--help"]).stdout
        var blocks: [String: String] = [:], current: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("  --") {
                current = (line.dropFirst(2).split(separator: " ").first ?? "").split(separator: "/").map(String.init)
            } else if !line.hasPrefix("      ") {
                current = []
            }
            for flag in current { blocks[flag, default: ""] += " " + line.trimmingCharacters(in: .whitespaces) }
        }
        let pattern = try NSRegularExpression(pattern: #"default: ([^;)]+)\)"#)
        func helpDefault(_ flag: String) -> String? {
            guard let block = blocks[flag],
                  let m = pattern.firstMatch(in: block, range: NSRange(block.startIndex..., in: block)),
                  let r = Range(m.range(at: 1), in: block) else { return nil }
            return String(block[r])
        }
        var compared = 0
        for row in try usageRows() where row.flags.count == row.defaults.count {
            for (flag, documented) in zip(row.flags, row.defaults) {
                let value = String(documented.split(separator: " ").first ?? "")
                guard let help = helpDefault(flag), !help.contains(" "), !help.hasPrefix("--") else { continue }
                if let a = Double(value), let b = Double(help) {
                    XCTAssertEqual(a, b, "docs/usage.md says \(flag) defaults to \(value); recur train --help says \(help)")
                } else if Double(value) == nil && Double(help) == nil {
                    XCTAssertEqual(value, help, "docs/usage.md says \(flag) defaults to \(value); recur train --help says \(help)")
                } else { continue }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 20, "the defaults of docs/usage.md were not read")
    }

    /// `--activation` belongs to the vanilla RNN as `--peephole` belongs to the LSTM: either with
    /// another cell is refused alike, before anything is written.
    func testActivationAndPeepholeWithTheWrongCellAreRefusedAlike() throws {
        for (flags, name) in [(["--cell", "lstm", "--activation", "relu"], "--activation"),
                              (["--cell", "gru", "--activation", "relu"], "--activation"),
                              (["--cell", "gru", "--peephole"], "--peephole")] {
            let r = try recur(["train", "--single-process", "--run-dir", path("run")] + Self.tinyTrainFlags + flags)
            assertOneLineError(r, mentions: [name])
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("run/checkpoints")), "\(flags) wrote a checkpoint")
        }
        try recurOK(["train", "--single-process", "--run-dir", path("relu")] + Self.tinyTrainFlags
                    + ["--cell", "rnn", "--activation", "relu", "--steps", "2"])
    }

    /// `--print-options` after `--resume` shows what the checkpoint's `trainer.json` decides: its
    /// model, rate and length, with the cadence given on the command line.
    func testPrintOptionsShowsWhatAResumeResolvesTo() throws {
        let run = try trainTiny("run", ["--cell", "gru", "--lr", "0.004", "--steps", "6", "--log-every", "3"])
        let o = try parsed(["--resume", run.path, "--log-every", "2"])
        XCTAssertEqual(o.cell.rawValue, "gru")
        XCTAssertEqual(o.hidden, 16)
        XCTAssertEqual(o.learningRate, 0.004)
        XCTAssertEqual(o.steps, 6, "the run's length comes from the checkpoint")
        XCTAssertEqual(o.logEvery, 2, "a cadence given again wins")
        XCTAssertEqual(o.runDirectory, run.path)
        let refused = try recur(["train", "--print-options", "--resume", run.path, "--hidden", "32"])
        assertOneLineError(refused, mentions: ["--hidden", "32", "16"])
    }

    /// A `trainer.json` written by the `[String: Any]` writer this type replaced.
    static let earlierTrainerJSON = """
        {"activation":"tanh","batch":4,"bptt":8,"cell":"lstm","checkpoint_every":0,"checkpoint_every_seconds":0,\
        "clip":5,"corpus":"","dropout":0.10000000149011612,"embed":16,"eval_every":0,"hidden":16,"keep":0,\
        "lanes_per_shard":4,"layers":1,"log_every":10,"lr":0.002,"lr_decay":1,"lr_decay_every":1000,\
        "optimizer":"adam","peephole":false,"seed":"1","step":3,"synthetic_sentences":300,"tokenizer":"word",\
        "total_steps":3,"val_fraction":0.05,"vocab":231,"vocab_size":0}
        """

    func testTrainerStateReadsAndWritesTheEarlierFormat() throws {
        let state = try TrainerState.decode(Array(Self.earlierTrainerJSON.utf8))
        var o = TrainOptions()
        o.tokenizer = .word; o.hidden = 16; o.layers = 1; o.batch = 4; o.bptt = 8; o.dropout = 0.1
        o.syntheticSentences = 300; o.learningRate = 0.002
        XCTAssertEqual(state, TrainerState(options: o, vocab: 231, step: 3, totalSteps: 3))
        let written = try JSONSerialization.jsonObject(with: Data(try state.encoded())) as? [String: Any]
        let earlier = try JSONSerialization.jsonObject(with: Data(Self.earlierTrainerJSON.utf8)) as? [String: Any]
        XCTAssertEqual(written.map { Set($0.keys) }, earlier.map { Set($0.keys) }, "the same keys as before")
        XCTAssertEqual(try TrainerState.decode(try state.encoded()), state)
    }
}
