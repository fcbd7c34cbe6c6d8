// TrainerState: `trainer.json` of a checkpoint — where the run stands and the flags a resume keeps.
import Foundation
import RecurData
import RecurModel

/// The contents of `trainer.json`: the step, the run's length, and every flag that fixes the
/// model, the data and the optimizer (a resume keeps them), plus the cadences (a resume keeps them
/// unless given again). The keys are those the `[String: Any]` writer of earlier versions used,
/// so their checkpoints still load.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Steps done when the checkpoint was written.
    public var step: Int
    /// Steps of the whole run.
    public var totalSteps: Int
    /// The learning rate in force (halved by each rollback).
    public var lr: Double
    /// The task; nil for a language model, so a language model's file keeps the keys it always had.
    public var task: TaskKind?
    /// The head's loss (classify and tag only).
    public var loss: LossKind?
    /// Both directions (classify and tag only).
    public var bidirectional: Bool?
    /// Validation file of a classifier or tagger, when one was given.
    public var valCorpus: String?
    /// Seq2seq only: the source and target tokenizers and the attention.
    public var sourceTokenizer: TokenizerKind?, targetTokenizer: TokenizerKind?, attention: AttentionKind?
    /// Corpus file; "" for the built-in synthetic language.
    public var corpus: String
    /// Sentences of the built-in corpus.
    public var syntheticSentences: Int
    /// `char` or `word`.
    public var tokenizer: TokenizerKind
    /// Vocabulary cap; 0 keeps every token.
    public var vocabSize: Int
    /// Vocabulary size V the tokenizer built.
    public var vocab: Int
    /// The recurrent cell.
    public var cell: CellKind
    /// Nonlinearity of the vanilla RNN.
    public var activation: Activation
    /// Hidden size H, layers L, embedding size E.
    public var hidden: Int, layers: Int, embed: Int
    /// LSTM peepholes.
    public var peephole: Bool
    /// Dropout between layers.
    public var dropout: Double
    /// Streams B, BPTT length T, lanes per shard.
    public var batch: Int, bptt: Int, lanesPerShard: Int
    /// The seed, as a decimal string (a UInt64 may not fit a JSON number's double).
    public var seed: String
    /// Fraction held out for validation.
    public var valFraction: Double
    /// Update rule.
    public var optimizer: OptimizerKind
    /// The schedule, warm-up and cosine floor; nil when they are the defaults (step, 0, 0), so
    /// a run without them keeps the keys it always had.
    public var lrSchedule: LRSchedule?, warmupSteps: Int?, minLR: Double?
    /// The cosine's horizon when it is not the run's length (given, or measured by a
    /// time-limited run): a resume decays over the same steps.
    public var scheduleSteps: Int?
    /// The run's time budget in seconds, when it has one.
    public var timeLimit: Double?
    /// Learning-rate decay factor and period, global-norm clip.
    public var lrDecay: Double, lrDecayEvery: Int, clip: Double
    /// Cadences: metric lines, validation, checkpoints by step and by time, checkpoints kept.
    public var logEvery: Int, evalEvery: Int, checkpointEvery: Int, checkpointEverySeconds: Double, keep: Int

    enum CodingKeys: String, CodingKey {
        case step, totalSteps = "total_steps", lr, corpus, syntheticSentences = "synthetic_sentences", tokenizer
        case vocabSize = "vocab_size", vocab, cell, activation, hidden, layers, embed, peephole, dropout, batch, bptt
        case lanesPerShard = "lanes_per_shard", seed, valFraction = "val_fraction", optimizer, lrDecay = "lr_decay"
        case lrDecayEvery = "lr_decay_every", clip, logEvery = "log_every", evalEvery = "eval_every"
        case checkpointEvery = "checkpoint_every", checkpointEverySeconds = "checkpoint_every_seconds", keep
        case task, loss, bidirectional, valCorpus = "val_corpus"
        case sourceTokenizer = "source_tokenizer", targetTokenizer = "target_tokenizer", attention
        case lrSchedule = "lr_schedule", warmupSteps = "warmup_steps", minLR = "min_lr", timeLimit = "time_limit"
        case scheduleSteps = "schedule_steps"
    }

    /// The state of a run with options `o` (resolved: the embedding, lanes and rate in force).
    /// - Parameters:
    ///   - vocab: the tokenizer's vocabulary size V.
    ///   - lr: the rate in force; defaults to the options' (a rollback passes the halved one).
    public init(options o: TrainOptions, vocab: Int, step: Int = 0, totalSteps: Int = 0, lr: Double? = nil) {
        self.step = step
        self.totalSteps = totalSteps
        self.lr = lr ?? o.resolvedLearningRate
        let examples = o.task != .lm
        task = examples ? o.task : nil; loss = examples ? o.loss : nil
        bidirectional = examples ? o.bidirectional : nil; valCorpus = o.valCorpus
        let pairs = o.task == .seq2seq
        sourceTokenizer = pairs ? o.resolvedSourceTokenizer : nil; targetTokenizer = pairs ? o.targetTokenizer : nil
        attention = pairs ? o.attention : nil
        corpus = o.corpus ?? ""; syntheticSentences = o.syntheticSentences; tokenizer = o.tokenizer
        vocabSize = o.maxVocabulary ?? 0; self.vocab = vocab; cell = o.cell; activation = o.activation
        hidden = o.hidden; layers = o.layers; embed = o.embed ?? o.hidden; peephole = o.peephole
        dropout = Double(o.dropout); batch = o.batch; bptt = o.bptt; lanesPerShard = o.resolvedLanesPerShard
        seed = String(o.seed); valFraction = o.valFraction; optimizer = o.optimizer
        lrSchedule = o.lrSchedule == .step ? nil : o.lrSchedule
        warmupSteps = o.warmupSteps == 0 ? nil : o.warmupSteps
        minLR = o.minLR == 0 ? nil : o.minLR
        scheduleSteps = o.scheduleSteps
        timeLimit = o.timeLimit
        lrDecay = o.lrDecay; lrDecayEvery = o.lrDecayEvery; clip = o.clip
        logEvery = o.logEvery; evalEvery = o.evalEvery; checkpointEvery = o.checkpointEvery
        checkpointEverySeconds = o.checkpointEverySeconds; keep = o.keep
    }

    /// The fields a resume may not change, with the flag that sets each: a flag given explicitly
    /// with another value than the checkpoint's is refused.
    static let fixed: [(flag: String, value: @Sendable (TrainerState) -> String)] = [
        ("--task", { ($0.task ?? .lm).rawValue }), ("--loss", { ($0.loss ?? .softmax).rawValue }),
        ("--bidirectional", { "\($0.bidirectional ?? false)" }), ("--val-corpus", { $0.valCorpus ?? "" }),
        ("--corpus", { $0.corpus }), ("--synthetic-sentences", { "\($0.syntheticSentences)" }),
        ("--tokenizer", { $0.tokenizer.rawValue }), ("--vocab-size", { "\($0.vocabSize)" }),
        ("--cell", { $0.cell.rawValue }), ("--activation", { $0.activation.rawValue }), ("--hidden", { "\($0.hidden)" }),
        ("--layers", { "\($0.layers)" }), ("--embed", { "\($0.embed)" }), ("--peephole", { "\($0.peephole)" }),
        ("--dropout", { "\(Float($0.dropout))" }), ("--batch", { "\($0.batch)" }), ("--bptt", { "\($0.bptt)" }),
        ("--lanes-per-shard", { "\($0.lanesPerShard)" }), ("--seed", { $0.seed }), ("--val-fraction", { "\($0.valFraction)" }),
        ("--optimizer", { $0.optimizer.rawValue }), ("--lr", { "\($0.lr)" }), ("--lr-decay", { "\($0.lrDecay)" }),
        ("--lr-decay-every", { "\($0.lrDecayEvery)" }), ("--clip", { "\($0.clip)" }),
        ("--lr-schedule", { ($0.lrSchedule ?? .step).rawValue }), ("--warmup-steps", { "\($0.warmupSteps ?? 0)" }),
        ("--min-lr", { "\($0.minLR ?? 0)" }), ("--schedule-steps", { $0.scheduleSteps.map(String.init) ?? "the run's" }),
        ("--source-tokenizer", { $0.sourceTokenizer?.rawValue ?? $0.tokenizer.rawValue }),
        ("--target-tokenizer", { $0.targetTokenizer?.rawValue ?? "char" }), ("--attention", { $0.attention?.rawValue ?? "general" }),
    ]

    /// `trainer.json`'s bytes: sorted keys, so equal states give equal files.
    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return [UInt8](try e.encode(self))
    }

    /// Parses `trainer.json`.
    /// - Throws: `DecodingError` naming the missing or mistyped key.
    public static func decode(_ bytes: [UInt8]) throws -> TrainerState {
        try JSONDecoder().decode(TrainerState.self, from: Data(bytes))
    }
}
