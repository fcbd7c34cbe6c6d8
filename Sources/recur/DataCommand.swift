// DataCommand: `recur data`, which writes the built-in examples of a classifier or a tagger as a file.
import ArgumentParser
import Foundation
import RecurData
import RecurTrain

/// `recur data`: saves the built-in sentiment or names data that `recur train --task classify|tag`
/// generates when `--corpus` is absent, in the format `--corpus` reads back.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Write the built-in data of a classifier or a tagger to a file.",
        discussion: """
        Writes the examples `recur train` makes from --seed and --synthetic-sentences when
        --corpus is absent: label<TAB>text lines for classify, CoNLL columns (token tag, a blank
        line after each sentence) for tag. Training on the written file with --corpus sees the
        same examples in the same order.

        Example:
          recur data --task tag --out names.conll
        """)

    /// Every default comes from the training options, so the file matches a run without flags.
    private static let defaults = TrainOptions()

    @Option(help: "classify (sentiment reviews), tag (person names) or seq2seq (dates to ISO 8601).")
    var task: TaskKind
    @Option(help: "softmax, or sigmoid for 0/1 labels.")
    var loss: LossKind = defaults.loss
    @Option(help: "Seed of the built-in data.")
    var seed: UInt64 = defaults.seed
    @Option(help: "Examples (classify) or sentences (tag).")
    var syntheticSentences: Int = defaults.syntheticSentences
    @Option(help: "The file to write.")
    var out: String
    @Option(help: "Seq2seq: also write the held-out pairs here.")
    var valOut: String?

    func validate() throws {
        if task == .lm { throw ValidationError("--task lm has no labelled data; give classify, tag or seq2seq") }
        if valOut != nil && task != .seq2seq { throw ValidationError("--val-out needs --task seq2seq") }
        if syntheticSentences < 1 { throw ValidationError("--synthetic-sentences must be at least 1") }
    }

    /// - Throws: `TrainError.data` when the file cannot be written.
    func run() throws {
        if task == .seq2seq { return try writePairs() }
        let binary = loss == .sigmoid
        let text = task == .classify
            ? LabeledDataFormat.classifyText(SyntheticSentiment.generate(seed: seed, count: syntheticSentences, binary: binary))
            : LabeledDataFormat.tagText(SyntheticNames.generate(seed: seed, count: syntheticSentences, binary: binary))
        do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
            throw TrainError.data("\(out): cannot write (\(error.localizedDescription))")
        }
        print("wrote \(syntheticSentences) \(task == .classify ? "examples" : "sentences") to \(out)")
    }
}
