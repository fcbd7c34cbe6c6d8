// Seq2SeqCommands: `recur eval`, `recur predict` and `recur data` of an encoder–decoder.
import ArgumentParser
import Foundation
import RecurData
import RecurModel
import RecurTrain

/// `recur eval --json` of an encoder–decoder.
struct Seq2SeqEvalReport: Encodable {
    var loss: Double
    var exact_match: Double
    var token_accuracy: Double
    var bleu: Double
    var examples: Int
}

/// One decoded line, as `recur predict --json` prints it for an encoder–decoder.
struct Seq2SeqPrediction: Encodable {
    var source: String
    var output: String
    /// The length-normalised log-probability the search ranked the output by.
    var score: Double
    /// Each output token, `<EOS>` last when the output ended, with its probability.
    var tokens: [String]
    var probabilities: [Double]
}

extension EvalCommand {
    /// Evaluates an encoder–decoder's checkpoint on `corpus`, or on its run's held-out pairs.
    func evaluatePairs(_ saved: SavedModel) throws {
        if beam < 1 { throw TrainError.badOption("--beam must be at least 1, got \(beam)") }
        guard let target = try saved.head.targetCodec() else { throw TrainError.checkpoint("\(checkpoint): no target vocabulary") }
        let pairs: [EncodedPair]
        if let corpus {
            let source = SequenceCodec(tokenizer: saved.tokenizer)
            do {
                pairs = try PairReader.read(path: corpus).map {
                    try PairEncoder.encode($0, source: source, target: target, maxLength: nil, path: corpus)
                }
            } catch let e as TrainError { throw e } catch { throw TrainError.data("\(error)") }
        } else {
            guard let r = try ResumeState.load(checkpoint) else { throw TrainError.checkpoint("\(checkpoint): no checkpoint") }
            let o = try r.options(TrainOptions(), explicit: [])
            guard case .pairs(let held) = try TaskData.load(o).validation else { return }
            pairs = held
        }
        guard !pairs.isEmpty else { throw TrainError.data("\(corpus ?? checkpoint): no pairs to evaluate") }
        let s = try Seq2SeqEvaluator(config: saved.config, params: saved.params, target: target).score(pairs, beam: beam)
        let report = Seq2SeqEvalReport(loss: s.loss ?? .nan, exact_match: s.exactMatch, token_accuracy: s.tokenAccuracy,
                                       bleu: s.bleu, examples: s.examples)
        if json { return try printJSON(report) }
        print(String(format: "loss %.4f, exact match %.4f, token accuracy %.4f, BLEU %.2f, %d pairs (beam %d)",
                     report.loss, s.exactMatch, s.tokenAccuracy, s.bleu, s.examples, beam))
    }
}

extension PredictCommand {
    /// Decodes each non-blank line of `text` with an encoder–decoder, one output a line.
    func predictPairs(_ saved: SavedModel, text: String) throws {
        guard let target = try saved.head.targetCodec() else { throw TrainError.checkpoint("\(checkpoint): no target vocabulary") }
        let source = SequenceCodec(tokenizer: saved.tokenizer)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var sources: [[Int32]] = []
        for (i, line) in lines.enumerated() {
            let ids = source.encode(line)
            guard !ids.isEmpty else { throw TrainError.data("\(input ?? "standard input"): line \(i + 1) has no tokens") }
            sources.append(ids)
        }
        let evaluator = try Seq2SeqEvaluator(config: saved.config, params: saved.params, target: target)
        for (line, h) in zip(lines, evaluator.decode(sources, beam: beam, maxLength: maxLength)) {
            let output = target.decode(h.tokens)
            guard json else { print(output); continue }
            let names = evaluator.words(h.tokens) + (h.finished ? ["<EOS>"] : [])
            try printJSON(Seq2SeqPrediction(source: line, output: output, score: h.score, tokens: names,
                                            probabilities: h.tokenLogProbs.map { Foundation.exp(Double($0)) }))
        }
    }
}

extension DataCommand {
    /// Writes the built-in dates: the training pairs to `out`, the held-out ones to `valOut`.
    /// - Throws: `TrainError.data` when a file cannot be written.
    func writePairs() throws {
        let d = SyntheticDates.generate(seed: seed, count: syntheticSentences)
        func tsv(_ pairs: [SentencePair]) -> String { pairs.map { "\($0.source)\t\($0.target)\n" }.joined() }
        for (path, pairs) in [(out, d.training)] + (valOut.map { [($0, d.heldOut)] } ?? []) {
            do { try tsv(pairs).write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw TrainError.data("\(path): cannot write (\(error.localizedDescription))")
            }
            print("wrote \(pairs.count) pairs to \(path)")
        }
    }
}
