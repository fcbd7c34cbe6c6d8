// TrainFlags: the flags of a training run, shared by `recur train` and `recur coordinator`.
import ArgumentParser
import Foundation
import RecurData
import RecurModel
import RecurTrain

extension CellKind: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension TokenizerKind: ExpressibleByArgument {}
extension DivergencePolicy: ExpressibleByArgument {}
extension TaskKind: ExpressibleByArgument {}
extension LossKind: ExpressibleByArgument {}
extension LRSchedule: ExpressibleByArgument {}
extension AttentionKind: ExpressibleByArgument {}

/// Every default of a training flag comes from here: the flags restate none of them.
private let defaults = TrainOptions()

/// The model, data and optimizer flags shared by `recur train` and `recur coordinator`; they parse
/// into `TrainOptions` (`options(threads:)`), and `TrainOptions.arguments` writes them back.
struct TrainFlags: ParsableArguments {
    @Option(help: "What to train: lm (language model), classify (label<TAB>text lines), tag (CoNLL columns) or seq2seq (source<TAB>target lines).")
    var task: TaskKind = defaults.task
    @Option(help: "Loss of a classifier or tagger: softmax, or sigmoid for 0/1 labels (binary cross-entropy summed over time).")
    var loss: LossKind = defaults.loss
    @Flag(help: "Read each example (a seq2seq source) in both directions (not for lm).")
    var bidirectional = defaults.bidirectional
    @Option(help: "Training file (default: the built-in data of the task).")
    var corpus: String?
    @Option(help: "Validation file of a classifier or tagger (default: the last --val-fraction of the examples).")
    var valCorpus: String?
    @Option(help: "Sentences of the built-in corpus (examples, for classify and tag).")
    var syntheticSentences: Int = defaults.syntheticSentences
    @Option(help: "Tokenizer: char or word (default: char for --task lm and seq2seq, word for classify and tag).")
    var tokenizer: TokenizerKind?
    @Option(help: "Seq2seq: the source side's tokenizer, char or word (default: --tokenizer).")
    var sourceTokenizer: TokenizerKind?
    @Option(help: "Seq2seq: the target side's tokenizer, char or word.")
    var targetTokenizer: TokenizerKind = defaults.targetTokenizer
    @Option(help: "Seq2seq: attention over the source, none, dot or general (Luong).")
    var attention: AttentionKind = defaults.attention
    @Option(help: "Vocabulary cap, specials included (word mode mostly).")
    var vocabSize: Int?
    @Option(help: "Cell: lstm, gru, gru-min or rnn.")
    var cell: CellKind = defaults.cell
    @Option(help: "Vanilla RNN activation: tanh or relu (relu needs --cell rnn).")
    var activation: Activation = defaults.activation
    @Flag(help: "LSTM peephole connections (c<t-1> into the gates).")
    var peephole = defaults.peephole
    @Option(help: "Hidden size H.")
    var hidden: Int = defaults.hidden
    @Option(help: "Stacked layers L.")
    var layers: Int = defaults.layers
    @Option(help: "Embedding size E (default: H).")
    var embed: Int?
    @Option(help: "Dropout between layers, in [0, 1).")
    var dropout: Float = defaults.dropout
    @Option(help: "Parallel streams B per step.")
    var batch: Int = defaults.batch
    @Option(help: "Truncated BPTT length T.")
    var bptt: Int = defaults.bptt
    @Option(help: "Lanes per shard (must divide B; default B).")
    var lanesPerShard: Int?
    @Option(help: "Optimizer steps (exclusive with --epochs).")
    var steps: Int?
    @Option(help: "Passes over the training text (default \(defaults.epochs) when --steps is absent; with --time-limit and neither, the run lasts until the limit).")
    var epochs: Double?
    @Option(help: "Optimizer: adam, sgd, momentum or rmsprop.")
    var optimizer: OptimizerKind = defaults.optimizer
    @Option(help: "Learning rate (default: \(OptimizerKind.allCases.map { "\(TrainOptions.defaultLearningRate($0)) \($0.rawValue)" }.joined(separator: ", "))).")
    var lr: Double?
    @Option(help: "Learning-rate decay factor, applied every --lr-decay-every steps.")
    var lrDecay: Double = defaults.lrDecay
    @Option(help: "Steps between learning-rate decays.")
    var lrDecayEvery: Int = defaults.lrDecayEvery
    @Option(help: "End the run when its training time reaches this (300, 300s, 5m, 1h), at a step boundary, with an evaluation and a checkpoint.")
    var timeLimit: String?
    @Option(help: "Learning-rate schedule: constant, step (--lr-decay every --lr-decay-every steps) or cosine (down to --min-lr over the run).")
    var lrSchedule: LRSchedule = defaults.lrSchedule
    @Option(help: "Steps of linear warm-up to --lr before the schedule.")
    var warmupSteps: Int = defaults.warmupSteps
    @Option(help: "The cosine schedule's final learning rate.")
    var minLr: Double = defaults.minLR
    @Option(help: "Steps of the cosine's decay (default: the run's; with --time-limit, estimated from the warm-up's rate and recorded in the checkpoint).")
    var scheduleSteps: Int?
    @Option(help: "Clip gradients at this global norm (0 disables).")
    var clip: Double = defaults.clip
    @Option(help: "Seed of initialisation, dropout, the built-in corpus and the final sample.")
    var seed: UInt64 = defaults.seed
    @Option(help: "Fraction of the corpus (its end) held out for validation.")
    var valFraction: Double = defaults.valFraction
    @Option(help: "Steps between validation passes (0: at the end only).")
    var evalEvery: Int = defaults.evalEvery
    @Option(help: "Steps between metric lines.")
    var logEvery: Int = defaults.logEvery
    @Option(help: "Steps between checkpoints (0: at the end only).")
    var checkpointEvery: Int = defaults.checkpointEvery
    @Option(help: "Seconds between checkpoints (0: none by time).")
    var checkpointEverySeconds: Double = defaults.checkpointEverySeconds
    @Option(help: "Checkpoints to keep (0 keeps all).")
    var keep: Int = defaults.keep
    @Option(help: "Run folder for metrics.jsonl and checkpoints/.")
    var runDir: String?
    @Option(help: "On a NaN or Inf loss or gradient: rollback (newest checkpoint, learning rate halved) or stop.")
    var onDivergence: DivergencePolicy = defaults.onDivergence
    @Flag(help: "With --resume: use --lr instead of the checkpoint's learning rate.")
    var overrideLr = false
    @Flag(help: "Print only the summary.")
    var quiet = !defaults.verbose
    /// Fault injection for the test suite: poison the gradient of this step with NaN once.
    @Option(help: .hidden)
    var faultNanAtStep: Int?

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("--steps and --epochs are exclusive; give one") }
        if logEvery < 1 { throw ValidationError("--log-every must be at least 1, got \(logEvery)") }
        if evalEvery < 0 || checkpointEvery < 0 || keep < 0 {
            throw ValidationError("--eval-every, --checkpoint-every and --keep must be non-negative")
        }
    }

    /// The flags as training options (`threads` is a flag of each command, with its own default).
    func options(threads: Int) -> TrainOptions {
        var o = TrainOptions()
        o.task = task; o.loss = loss; o.bidirectional = bidirectional; o.valCorpus = valCorpus
        o.corpus = corpus; o.syntheticSentences = syntheticSentences
        o.tokenizer = tokenizer ?? TrainOptions.defaultTokenizer(task)
        o.sourceTokenizer = sourceTokenizer; o.targetTokenizer = targetTokenizer; o.attention = attention
        o.maxVocabulary = vocabSize; o.cell = cell; o.activation = activation; o.peephole = peephole
        o.hidden = hidden; o.layers = layers; o.embed = embed; o.dropout = dropout; o.batch = batch
        o.bptt = bptt; o.lanesPerShard = lanesPerShard; o.steps = steps
        // A time budget alone means "train until it is spent": the pass count then only bounds the run.
        o.epochs = epochs ?? (steps == nil && timeLimit != nil ? TrainOptions.epochsWithinTimeLimit : defaults.epochs)
        o.optimizer = optimizer; o.learningRate = lr; o.lrDecay = lrDecay; o.lrDecayEvery = lrDecayEvery
        o.lrSchedule = lrSchedule; o.warmupSteps = warmupSteps; o.minLR = minLr; o.scheduleSteps = scheduleSteps
        o.timeLimit = timeLimit.flatMap(TrainOptions.seconds) ?? (timeLimit == nil ? nil : -1)
        o.clip = clip; o.seed = seed; o.valFraction = valFraction; o.evalEvery = evalEvery
        o.logEvery = logEvery; o.checkpointEvery = checkpointEvery; o.checkpointEverySeconds = checkpointEverySeconds; o.keep = keep; o.runDirectory = runDir ?? ""
        o.verbose = !quiet
        o.onDivergence = onDivergence
        o.faultNaNAtStep = faultNanAtStep
        o.threads = threads
        return o
    }
}
