// TrainOptions: every knob of a training run, with its default in one place.
import RecurMath
import RecurModel
import RecurData

/// The settings of a training run. Defaults live here, one comment per field; the CLI only
/// parses into this type (its flags take their defaults from `TrainOptions()`), and a launcher
/// writes a child's command line back from it (`arguments`). Codable so `recur train
/// --print-options` can show what a run would use.
public struct TrainOptions: Sendable, Equatable, Codable {
    /// What the run trains: a language model, a classifier or a tagger.
    public var task: TaskKind = .lm
    /// The head's loss for `classify` and `tag`.
    public var loss: LossKind = .softmax
    /// Read each example in both directions (`classify` and `tag` only: a language model must not
    /// see the future).
    public var bidirectional: Bool = false
    /// Corpus file; nil trains on the built-in data of the task.
    public var corpus: String? = nil
    /// Validation file for `classify` and `tag`; nil holds out the last `valFraction` of the examples.
    public var valCorpus: String? = nil
    /// Sentences of the built-in corpus (examples, for `classify` and `tag`) when `corpus` is nil.
    public var syntheticSentences: Int = SyntheticCorpus.defaultSentences
    /// Character- or word-level tokens (of the source, for seq2seq, unless `sourceTokenizer` is set).
    public var tokenizer: TokenizerKind = .char
    /// Seq2seq: the source side's tokens; nil means `tokenizer`.
    public var sourceTokenizer: TokenizerKind? = nil
    /// Seq2seq: the target side's tokens.
    public var targetTokenizer: TokenizerKind = .char
    /// Seq2seq: how the decoder looks back at the source (Luong's global attention).
    public var attention: AttentionKind = .general
    /// Vocabulary cap (specials included); nil keeps every token.
    public var maxVocabulary: Int? = nil
    /// The recurrent cell.
    public var cell: CellKind = .lstm
    /// Nonlinearity of the vanilla RNN.
    public var activation: Activation = .tanh
    /// Hidden size H.
    public var hidden: Int = 128
    /// Stacked layers L.
    public var layers: Int = 2
    /// Embedding size E; nil means H.
    public var embed: Int? = nil
    /// LSTM peephole connections.
    public var peephole: Bool = false
    /// Dropout between layers.
    public var dropout: Float = 0
    /// Parallel streams B per optimizer step.
    public var batch: Int = 32
    /// Truncated-BPTT length T (`lm` only: an example task pads each shard to its longest example).
    public var bptt: Int = 64
    /// Lanes per shard; B must be a multiple. nil means one shard of B lanes.
    public var lanesPerShard: Int? = nil
    /// Optimizer steps to run; when nil, `epochs` decides.
    public var steps: Int? = nil
    /// Seconds of training after which the run ends at a step boundary, evaluating and
    /// checkpointing as at any end (across resumes); nil: no limit.
    public var timeLimit: Double? = nil
    /// Passes over the training split, used when `steps` is nil.
    public var epochs: Double = 1

    /// The pass count of a run given `--time-limit` but neither `--steps` nor `--epochs`: large
    /// enough that the budget ends the run, small enough that passes × steps per pass stay an Int.
    public static let epochsWithinTimeLimit: Double = 1_000_000
    /// Update rule.
    public var optimizer: OptimizerKind = .adam
    /// Learning rate; nil picks the rule's usual default (2e−3 for Adam and RMSprop, 0.1 for SGD, 0.05 for momentum).
    public var learningRate: Double? = nil
    /// Learning-rate decay factor applied every `lrDecayEvery` steps (1 disables it).
    public var lrDecay: Double = 1
    /// Steps between learning-rate decays.
    public var lrDecayEvery: Int = 1000
    /// How the rate moves: constant, step (the decay above) or cosine.
    public var lrSchedule: LRSchedule = .step
    /// Steps of linear warm-up before the schedule.
    public var warmupSteps: Int = 0
    /// The cosine schedule's final rate.
    public var minLR: Double = 0
    /// The cosine's horizon in steps; nil: the run's length, which with `timeLimit` the trainer
    /// estimates at the end of the warm-up (`measuresScheduleSteps`) and then records here.
    public var scheduleSteps: Int? = nil
    /// Global-norm clip (0 disables it).
    public var clip: Double = 5
    /// Seed of parameters, dropout, the synthetic corpus and sampling.
    public var seed: UInt64 = 1
    /// BLAS threads of the process.
    public var threads: Int = 2
    /// Fraction of the corpus (its end) held out for validation.
    public var valFraction: Double = 0.05
    /// Steps between validation passes (0: only at the end).
    public var evalEvery: Int = 0
    /// Steps between metric lines.
    public var logEvery: Int = 10
    /// Steps between checkpoints (0: only at the end).
    public var checkpointEvery: Int = 0
    /// Seconds between checkpoints (0: none by time). Either cadence triggers one.
    public var checkpointEverySeconds: Double = 0
    /// Checkpoints kept (0 keeps all).
    public var keep: Int = 0
    /// Folder of metrics and checkpoints.
    public var runDirectory: String = "runs/default"
    /// What a non-finite loss or gradient does: roll back to the newest checkpoint with the
    /// learning rate halved, or stop.
    public var onDivergence: DivergencePolicy = .rollback
    /// Print progress lines to standard error.
    public var verbose: Bool = true
    /// Fault injection for the test suite (a hidden flag, never set by a user): the step whose
    /// gradient is poisoned with NaN once, to exercise the divergence rollback. A launcher passes
    /// it to the first attempt only.
    public var faultNaNAtStep: Int? = nil

    /// Creates options with every default.
    public init() {}

    /// The learning rate in force: the explicit one or the rule's default.
    public var resolvedLearningRate: Double { learningRate ?? TrainOptions.defaultLearningRate(optimizer) }

    /// The usual learning rate of an update rule, used when none is given.
    public static func defaultLearningRate(_ kind: OptimizerKind) -> Double {
        switch kind {
        case .adam, .rmsprop: return 2e-3
        case .sgd: return 0.1
        case .momentum: return 0.05
        }
    }

    /// Seconds from a duration such as `300`, `300s`, `5m` or `1.5h`; nil when it is not one.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let last = text.last, let unit = units[last] { return Double(text.dropLast()).map { $0 * unit } }
        return Double(text)
    }

    /// The tokenizer of a task when none is given: characters for a language model (char-rnn's
    /// default), words for a classifier and a tagger (whose labels belong to words).
    public static func defaultTokenizer(_ task: TaskKind) -> TokenizerKind { task == .lm || task == .seq2seq ? .char : .word }

    /// The source side's tokenizer of a seq2seq run.
    public var resolvedSourceTokenizer: TokenizerKind { sourceTokenizer ?? tokenizer }

    /// The update rule, rate and schedule of a run of `totalSteps` steps.
    public func optimizerConfig(totalSteps: Int) -> OptimizerConfig {
        var c = OptimizerConfig(kind: optimizer, learningRate: resolvedLearningRate, decay: lrDecay, decayEvery: lrDecayEvery)
        c.schedule = lrSchedule
        c.warmupSteps = warmupSteps
        c.minLearningRate = minLR
        c.totalSteps = scheduleSteps ?? totalSteps
        return c
    }

    /// Whether the cosine's horizon is measured: a time-limited cosine run with no
    /// `scheduleSteps` fixes it once, when the warm-up ends, from the rate of the warm-up's steps
    /// (whose rates do not depend on it).
    public var measuresScheduleSteps: Bool { timeLimit != nil && lrSchedule == .cosine && scheduleSteps == nil }

    /// Checks a cluster run adds: its coordinator does not measure a horizon (its servers take the
    /// optimizer's configuration once, before step 0), so a time-limited cosine run is given one.
    /// - Throws: `TrainError.badOption` naming the flag.
    public func validateForCluster() throws {
        if measuresScheduleSteps {
            throw TrainError.badOption("--lr-schedule cosine with --time-limit on a cluster needs --schedule-steps N "
                                       + "(a single process measures it and records it as schedule_steps in trainer.json)")
        }
    }

    /// Warm-up steps a measured horizon needs: fewer time too little to estimate the rate.
    public static let measuringWarmup = 10

    /// Lanes per shard in force.
    public var resolvedLanesPerShard: Int { lanesPerShard ?? batch }

    /// Checks ranges that do not need the data.
    /// - Throws: `TrainError.badOption` naming the flag.
    public func validate() throws {
        func bad(_ flag: String, _ why: String) -> TrainError { .badOption("--\(flag) \(why)") }
        if hidden < 1 { throw bad("hidden", "must be at least 1, got \(hidden)") }
        if layers < 1 { throw bad("layers", "must be at least 1, got \(layers)") }
        if let e = embed, e < 1 { throw bad("embed", "must be at least 1, got \(e)") }
        if batch < 1 { throw bad("batch", "must be at least 1, got \(batch)") }
        if bptt < 1 { throw bad("bptt", "must be at least 1, got \(bptt)") }
        let lps = resolvedLanesPerShard
        if lps < 1 || batch % lps != 0 { throw bad("lanes-per-shard", "must divide --batch \(batch), got \(lps)") }
        if let s = steps, s < 1 { throw bad("steps", "must be at least 1, got \(s)") }
        if !(epochs > 0) { throw bad("epochs", "must be positive, got \(epochs)") }
        if !(resolvedLearningRate > 0) { throw bad("lr", "must be positive, got \(resolvedLearningRate)") }
        if !(clip >= 0) { throw bad("clip", "must be non-negative, got \(clip)") }
        if !(valFraction >= 0 && valFraction < 1) { throw bad("val-fraction", "must be in [0, 1), got \(valFraction)") }
        if !(dropout >= 0 && dropout < 1) { throw bad("dropout", "must be in [0, 1), got \(dropout)") }
        if peephole && cell != .lstm { throw bad("peephole", "needs --cell lstm, got \(cell.rawValue)") }
        // Like --peephole, --activation belongs to one cell: a value the cell ignores is refused
        // rather than written into the checkpoint.
        if activation != .tanh && cell != .rnn { throw bad("activation", "\(activation.rawValue) needs --cell rnn, got \(cell.rawValue)") }
        if threads < 1 { throw bad("threads", "must be at least 1, got \(threads)") }
        if let v = maxVocabulary, v < 3 { throw bad("vocab-size", "must be at least 3, got \(v)") }
        if bidirectional && task == .lm {
            throw bad("bidirectional", "needs --task classify or tag: a language model predicts the next token, so it must not see the future")
        }
        if !task.hasLabels && loss != .softmax { throw bad("loss", "\(loss.rawValue) needs --task classify or tag") }
        if task == .seq2seq && attention == .dot && bidirectional {
            throw bad("attention", "dot needs a one-way encoder: its outputs (2H wide when bidirectional) must be as wide as the decoder's state (H); use general")
        }
        if task == .lm && valCorpus != nil { throw bad("val-corpus", "needs --task classify or tag (--val-fraction holds out a language model's text)") }
        if task == .tag && tokenizer == .char { throw bad("tokenizer", "char does not fit --task tag: a tagger reads the file's words, one tag each") }
        if !(lrDecay > 0 && lrDecay <= 1) { throw bad("lr-decay", "must be in (0, 1], got \(lrDecay)") }
        if lrDecay != 1 && lrSchedule != .step { throw bad("lr-decay", "\(lrDecay) needs --lr-schedule step, got \(lrSchedule.rawValue)") }
        if let t = timeLimit, !(t > 0) { throw bad("time-limit", "must be positive, got \(t) s") }
        if warmupSteps < 0 { throw bad("warmup-steps", "must be non-negative, got \(warmupSteps)") }
        if !(minLR >= 0 && minLR <= resolvedLearningRate) { throw bad("min-lr", "must be in [0, --lr], got \(minLR)") }
        if minLR != 0 && lrSchedule != .cosine { throw bad("min-lr", "needs --lr-schedule cosine, got \(lrSchedule.rawValue)") }
        if let n = scheduleSteps, n < 1 { throw bad("schedule-steps", "must be at least 1, got \(n)") }
        if scheduleSteps != nil && lrSchedule != .cosine { throw bad("schedule-steps", "needs --lr-schedule cosine, got \(lrSchedule.rawValue)") }
        if measuresScheduleSteps && warmupSteps < TrainOptions.measuringWarmup {
            throw bad("warmup-steps", "must be at least \(TrainOptions.measuringWarmup) with --lr-schedule cosine and --time-limit, got \(warmupSteps): "
                      + "the warm-up's rate estimates the cosine's horizon (or give --schedule-steps)")
        }
    }
}

/// What a run does when its loss or gradient stops being finite.
public enum DivergencePolicy: String, Sendable, CaseIterable, Codable {
    /// Reload the newest valid checkpoint, halve the learning rate, go on (at most 5 times).
    case rollback
    /// Stop with an error.
    case stop
}

/// Errors of training, evaluation, sampling and scoring; each is one line naming the problem.
public enum TrainError: Error, CustomStringConvertible {
    /// A flag's value is out of range.
    case badOption(String)
    /// The data cannot be used.
    case data(String)
    /// A checkpoint is unreadable or does not match.
    case checkpoint(String)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case .badOption(let m): return m
        case .data(let m): return m
        case .checkpoint(let m): return m
        }
    }
}

/// Sets the BLAS and kernel threads of the process.
public func setMathThreads(_ n: Int) { RecurMath.MathThreads.set(n) }
