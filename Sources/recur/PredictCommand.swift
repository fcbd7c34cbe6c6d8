// PredictCommand: `recur predict` — a classifier's label for each line of text, or a tagger's
// tag for each word, from standard input or a file.
import ArgumentParser
import Foundation
import RecurData
import RecurTrain

/// `recur predict`: runs a classifier or a tagger over new text.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Label text with a classifier, or tag sentences with a tagger.",
        discussion: """
        Reads one text a line (classify) or one sentence a line, tokens separated by spaces (tag),
        from --input or standard input. A classifier prints each line's label (with --json, one
        object a line with the probability of every label); a tagger prints CoNLL lines,
        token<TAB>tag, with a blank line after each sentence (with --json, one object a sentence).
        An encoder–decoder reads one source a line and prints its output, by beam search of
        width --beam (1: greedy); with --json, one object a line with the score and every output
        token's probability.

        Example:
          echo "not bad at all" | recur predict --checkpoint runs/sentiment
        """)

    @Option(help: "Checkpoint folder, or a run folder (its latest checkpoint).")
    var checkpoint: String
    @Option(help: "Input file; - or none reads standard input.")
    var input: String?
    @Flag(help: "One JSON object per line, with probabilities.")
    var json = false
    @Option(help: "Seq2seq: beam width (1: greedy).")
    var beam: Int = 1
    @Option(help: "Seq2seq: the longest output, in tokens.")
    var maxLength: Int = 200
    @Option(help: "BLAS threads.")
    var threads: Int = 1

    func run() throws {
        setThreads(threads)
        let saved = try ModelFile.load(checkpoint: checkpoint)
        if saved.head.task == .seq2seq { return try predictPairs(saved, text: try readInput()) }
        guard saved.head.task != .lm else {
            throw TrainError.badOption("\(checkpoint): recur predict needs a classifier's or tagger's checkpoint; this one is a language model's (use recur sample)")
        }
        let text = try readInput()
        let encoder = try saved.exampleEncoder()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let tag = saved.head.task == .tag
        let words = lines.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        var examples: [EncodedExample] = []
        for (i, line) in lines.enumerated() {
            let ids = tag ? encoder.tokenIDs(ofWords: words[i]) : encoder.tokenIDs(ofText: line)
            guard !ids.isEmpty else { throw TrainError.data("\(input ?? "standard input"): line \(i + 1) has no tokens") }
            examples.append(EncodedExample(tokens: ids, target: tag ? .tags(ids.map { _ in 0 }) : .label(0), line: i + 1))
        }
        let evaluator = try ExampleEvaluator(config: saved.config, head: saved.head, params: saved.params)
        let predictions = evaluator.predict(examples, scored: false).predictions
        let labels = saved.head.labels
        for (i, p) in predictions.enumerated() {
            if tag {
                if json {
                    try printJSON(TagPrediction(tokens: words[i], tags: p.ids.map { labels[Int($0)] }))
                } else {
                    for (w, id) in zip(words[i], p.ids) { print("\(w)\t\(labels[Int(id)])") }
                    print("")
                }
            } else if json {
                try printJSON(ClassPrediction(text: lines[i], label: labels[Int(p.ids[0])],
                                              probabilities: Dictionary(uniqueKeysWithValues: zip(labels, p.probabilities[0].map(Double.init)))))
            } else {
                print(labels[Int(p.ids[0])])
            }
        }
    }
}

extension PredictCommand {
    /// The text of `--input`, or of standard input.
    /// - Throws: `TrainError.data` when it is unreadable or not UTF-8.
    func readInput() throws -> String {
        if let input, input != "-" {
            do { return try readCorpus(path: input) } catch { throw TrainError.data("\(error)") }
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let t = String(data: data, encoding: .utf8) else { throw TrainError.data("standard input: not UTF-8") }
        return t
    }

    func validate() throws {
        if beam < 1 { throw ValidationError("--beam must be at least 1, got \(beam)") }
        if maxLength < 1 { throw ValidationError("--max-length must be at least 1, got \(maxLength)") }
    }
}

/// One classified line, as `recur predict --json` prints it.
struct ClassPrediction: Encodable {
    var text: String
    var label: String
    var probabilities: [String: Double]
}

/// One tagged sentence, as `recur predict --json` prints it.
struct TagPrediction: Encodable {
    var tokens: [String]
    var tags: [String]
}
