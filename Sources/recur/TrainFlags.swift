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

/// The model, data and optimizer flags shared by `recur train` and `recur coordinator`.
struct TrainFlags: ParsableArguments {
    @Option(help: "UTF-8 text file to train on (default: the built-in synthetic corpus).")
    var corpus: String?
    @Option(help: "Sentences of the built-in corpus.")
    var syntheticSentences: Int = SyntheticCorpus.defaultSentences
    @Option(help: "Tokenizer: char or word.")
    var tokenizer: TokenizerKind = .char
    @Option(help: "Vocabulary cap, specials included (word mode mostly).")
    var vocabSize: Int?
    @Option(help: "Cell: lstm, gru, gru-min or rnn.")
    var cell: CellKind = .lstm
    @Option(help: "Vanilla RNN activation: tanh or relu.")
    var activation: Activation = .tanh
    @Flag(help: "LSTM peephole connections (c<t-1> into the gates).")
    var peephole = false
    @Option(help: "Hidden size H.")
    var hidden: Int = 128
    @Option(help: "Stacked layers L.")
    var layers: Int = 2
    @Option(help: "Embedding size E (default: H).")
    var embed: Int?
    @Option(help: "Dropout between layers, in [0, 1).")
    var dropout: Float = 0
    @Option(help: "Parallel streams B per step.")
    var batch: Int = 32
    @Option(help: "Truncated BPTT length T.")
    var bptt: Int = 64
    @Option(help: "Lanes per shard (must divide B; default B).")
    var lanesPerShard: Int?
    @Option(help: "Optimizer steps (exclusive with --epochs).")
    var steps: Int?
    @Option(help: "Passes over the training text (default 1 when --steps is absent).")
    var epochs: Double?
    @Option(help: "Optimizer: adam, sgd, momentum or rmsprop.")
    var optimizer: OptimizerKind = .adam
    @Option(help: "Learning rate (default 2e-3 for adam/rmsprop, 0.1 sgd, 0.05 momentum).")
    var lr: Double?
    @Option(help: "Learning-rate decay factor, applied every --lr-decay-every steps.")
    var lrDecay: Double = 1
    @Option(help: "Steps between learning-rate decays.")
    var lrDecayEvery: Int = 1000
    @Option(help: "Clip gradients at this global norm (0 disables).")
    var clip: Double = 5
    @Option(help: "Seed of initialisation, dropout, the built-in corpus and the final sample.")
    var seed: UInt64 = 1
    @Option(help: "Fraction of the corpus (its end) held out for validation.")
    var valFraction: Double = 0.05
    @Option(help: "Steps between validation passes (0: at the end only).")
    var evalEvery: Int = 0
    @Option(help: "Steps between metric lines.")
    var logEvery: Int = 10
    @Option(help: "Steps between checkpoints (0: at the end only).")
    var checkpointEvery: Int = 0
    @Option(help: "Seconds between checkpoints (0: none by time).")
    var checkpointEverySeconds: Double = 0
    @Option(help: "Checkpoints to keep (0 keeps all).")
    var keep: Int = 0
    @Option(help: "Run folder for metrics.jsonl and checkpoints/.")
    var runDir: String?
    @Option(help: "On a NaN or Inf loss or gradient: rollback (newest checkpoint, learning rate halved) or stop.")
    var onDivergence: DivergencePolicy = .rollback
    @Flag(help: "With --resume: use --lr instead of the checkpoint's learning rate.")
    var overrideLr = false
    @Flag(help: "Print only the summary.")
    var quiet = false


    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("--steps and --epochs are exclusive; give one") }
        if logEvery < 1 { throw ValidationError("--log-every must be at least 1, got \(logEvery)") }
        if evalEvery < 0 || checkpointEvery < 0 || keep < 0 {
            throw ValidationError("--eval-every, --checkpoint-every and --keep must be non-negative")
        }
    }

    /// The flags as training options.
    func options(threads: Int) -> TrainOptions {
        var o = TrainOptions()
        o.corpus = corpus; o.syntheticSentences = syntheticSentences; o.tokenizer = tokenizer
        o.maxVocabulary = vocabSize; o.cell = cell; o.activation = activation; o.peephole = peephole
        o.hidden = hidden; o.layers = layers; o.embed = embed; o.dropout = dropout; o.batch = batch
        o.bptt = bptt; o.lanesPerShard = lanesPerShard; o.steps = steps; o.epochs = epochs ?? 1
        o.optimizer = optimizer; o.learningRate = lr; o.lrDecay = lrDecay; o.lrDecayEvery = lrDecayEvery
        o.clip = clip; o.seed = seed; o.valFraction = valFraction; o.evalEvery = evalEvery
        o.logEvery = logEvery; o.checkpointEvery = checkpointEvery; o.checkpointEverySeconds = checkpointEverySeconds; o.keep = keep; o.runDirectory = runDir ?? ""
        o.verbose = !quiet
        o.onDivergence = onDivergence
        o.threads = threads
        return o
    }
}
