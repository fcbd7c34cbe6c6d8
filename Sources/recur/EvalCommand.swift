// EvalCommand, SampleCommand and ScoreCommand: using a trained checkpoint.
import ArgumentParser
import Foundation
import RecurData
import RecurModel
import RecurTrain

/// `recur eval`: mean negative log-likelihood of a file under a checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Loss and perplexity of a text file, or a classifier's or tagger's scores, under a checkpoint.",
        discussion: """
        A language model reads the file as one stream from a zero hidden state; the loss is the
        mean negative log-likelihood (nats per token) of every token after the first.

        A classifier (--task classify) reads label<TAB>text lines and reports its loss, accuracy
        and confusion matrix; a tagger (--task tag) reads CoNLL columns and reports its loss,
        token accuracy and entity-level precision, recall and F1 (as conlleval computes them).
        Without --corpus, either scores the held-out part of the built-in data it was trained on
        (the names tagger adds its accuracy on the tokens only the following words decide).

        An encoder–decoder (--task seq2seq) reads source<TAB>target lines and reports its
        teacher-forced loss, and, decoding each source with --beam, exact match, token accuracy
        and corpus BLEU-4 over the target tokens; without --corpus, the held-out pairs of its run.

        Example:
          recur eval --checkpoint runs/demo --corpus held-out.txt --json
        """)

    @Option(help: "Checkpoint folder, or a run folder (its latest checkpoint).")
    var checkpoint: String
    @Option(help: "File to score: UTF-8 text (lm), label<TAB>text lines (classify), CoNLL columns (tag) or source<TAB>target lines (seq2seq).")
    var corpus: String?
    @Option(help: "Seq2seq: beam width of the decoding that exact match and BLEU score (1: greedy).")
    var beam: Int = 1
    @Flag(help: "Print one JSON object.")
    var json = false
    @Option(help: "BLAS threads.")
    var threads: Int = 1

    func run() throws {
        setThreads(threads)
        let saved = try ModelFile.load(checkpoint: checkpoint)
        if saved.head.task == .seq2seq { return try evaluatePairs(saved) }
        if saved.head.task != .lm { return try evaluateExamples(saved) }
        guard let corpus else { throw TrainError.badOption("--corpus is needed to evaluate a language model") }
        let text: String
        do { text = try readCorpus(path: corpus) } catch { throw TrainError.data("\(error)") }
        let ids = saved.tokenizer.encode(text)
        guard ids.count >= 2 else { throw TrainError.data("\(corpus): needs at least 2 tokens to score, has \(ids.count)") }
        let l = Evaluator.evaluate(model: try saved.languageModel(for: "recur eval"), params: saved.params, tokens: ids, lanes: 1, chunk: 256)
        let loss = l.sum / Double(l.count)
        if json {
            try printJSON(EvalReport(loss: loss, perplexity: Foundation.exp(loss), tokens: l.count))
        } else {
            print(String(format: "loss %.4f nats/token, perplexity %.3f, %d tokens", loss, Foundation.exp(loss), l.count))
        }
    }
}

/// `recur sample`: one-to-many generation.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a checkpoint.",
        discussion: """
        Example:
          recur sample --checkpoint runs/demo --prime "the cat" --length 300 --temperature 0.7 --seed 3
        """)

    @Option(help: "Checkpoint folder, or a run folder (its latest checkpoint).")
    var checkpoint: String
    @Option(help: "Text to start from.")
    var prime: String = ""
    @Option(parsing: .unconditional, help: "Tokens to generate.")
    var length: Int = 500
    @Option(help: "Softmax temperature (0 picks the most likely token).")
    var temperature: Double = 1
    @Option(help: "Random seed.")
    var seed: UInt64 = 1
    @Flag(help: "Word mode: go on past <EOS> to --length tokens (by default the text ends at the first <EOS>).")
    var noStop = false

    func validate() throws {
        if length < 0 { throw ValidationError("--length must be non-negative, got \(length)") }
        if !(temperature >= 0) { throw ValidationError("--temperature must be non-negative, got \(temperature)") }
    }

    func run() throws {
        setThreads(1)
        let sampler = try Sampler(try loadLanguageModel(checkpoint, for: "recur sample"))
        print(sampler.generate(prime: prime, length: length, temperature: temperature, seed: seed, stopAtEOS: !noStop))
    }
}

/// `recur score`: the probability of a sentence.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Log-probability and probability of a sentence.",
        discussion: """
        P(sentence) = Π P(token | tokens before), starting from the start token (<EOS> in word
        mode, a newline in char mode); word mode scores <EOS> at the end, as the notes do.

        Example:
          recur score --checkpoint runs/words --json "the apple and pear salad ."
        """)

    @Option(help: "Checkpoint folder, or a run folder (its latest checkpoint).")
    var checkpoint: String
    @Flag(help: "Print one JSON object.")
    var json = false
    @Argument(help: "The sentence.")
    var sentence: String

    func run() throws {
        guard !sentence.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the sentence is empty; give the words to score")
        }
        setThreads(1)
        let sampler = try Sampler(try loadLanguageModel(checkpoint, for: "recur score"))
        let r = sampler.score(sentence)
        guard !r.tokens.isEmpty else { throw ValidationError("the sentence has no tokens") }
        if json {
            try printJSON(ScoreReport(logProb: r.logProb, prob: Foundation.exp(r.logProb), tokens: r.tokens.count,
                                      perToken: r.tokens.map { .init(token: $0.0, logProb: $0.1) }))
        } else {
            for (t, lp) in r.tokens { print(String(format: "%@\t%.4f", t == "\n" ? "\\n" : t, lp)) }
            print(String(format: "log P = %.4f, P = %.6g", r.logProb, Foundation.exp(r.logProb)))
        }
    }
}

/// `recur eval --json`: one object, so scripts read the figures without parsing prose.
struct EvalReport: Encodable {
    /// Mean negative log-likelihood, nats per token.
    let loss: Double
    /// exp(loss).
    let perplexity: Double
    /// Tokens scored.
    let tokens: Int
}

/// `recur score --json`: the sentence's total and each token's term.
struct ScoreReport: Encodable {
    /// One token's log-probability given everything before it.
    struct Term: Encodable {
        let token: String
        let logProb: Double
        enum CodingKeys: String, CodingKey { case token, logProb = "log_prob" }
    }
    /// Σ of the terms, natural log.
    let logProb: Double
    /// exp(logProb).
    let prob: Double
    /// Tokens scored (`perToken.count`).
    let tokens: Int
    /// The terms in sentence order.
    let perToken: [Term]
    enum CodingKeys: String, CodingKey { case logProb = "log_prob", prob, tokens, perToken = "per_token" }
}

/// Loads `checkpoint` for `command`, which only a language model can serve.
/// - Throws: `TrainError.badOption` naming the checkpoint when it holds a classifier or a tagger.
func loadLanguageModel(_ checkpoint: String, for command: String) throws -> SavedModel {
    let saved = try ModelFile.load(checkpoint: checkpoint)
    guard saved.head.task == .lm else {
        throw TrainError.badOption("\(checkpoint): \(command) needs a language model's checkpoint; this one is a --task \(saved.head.task.rawValue) model")
    }
    return saved
}
