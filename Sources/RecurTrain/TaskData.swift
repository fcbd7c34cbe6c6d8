// TaskData: a run's data whatever its task — the tokenizer, the labels, the training shards and
// the validation set — read from files or made from the seed.
import RecurData
import RecurModel

/// The data of a run: what the trainer and the coordinator load, and all they know of the task
/// beyond its shards.
public struct TaskData: Sendable {
    /// The task.
    public let task: TaskKind
    /// The head's loss (example tasks).
    public let loss: LossKind
    /// The tokenizer whose ids the model reads.
    public let tokenizer: Tokenizer
    /// Labels or tags in id order (empty for a language model).
    public let labels: [String]
    /// The training shards.
    public let source: ShardSource
    /// The held-out data.
    public let validation: Validation
    /// Where the data came from, for messages.
    public let origin: String
    /// The most time steps of a shard: T for a stream, the longest training example otherwise.
    public let maxSteps: Int
    /// Training tokens (lm), examples or pairs, for the opening line.
    public let trainSize: Int
    /// Seq2seq: the target side's tokenizer and specials (`tokenizer` is then the source's).
    public var target: SequenceCodec? = nil
    /// Seq2seq: the longest training target with its `<EOS>`, T (`maxSteps` is then the longest
    /// source, S).
    public var maxTargetSteps: Int? = nil

    /// Held-out data of each shape.
    public enum Validation: Sendable {
        /// A language model's held-out token stream.
        case stream([Int32])
        /// Held-out examples in file order; for the built-in names, which tokens are ambiguous.
        case examples([EncodedExample], ambiguous: [[Bool]]?)
        /// Held-out source–target pairs in file order.
        case pairs([EncodedPair])
    }

    /// The model configuration the options and this data make.
    public func modelConfig(_ o: TrainOptions) -> ModelConfig {
        if let target {
            return ModelConfig(cell: o.cell, activation: o.activation, hidden: o.hidden, layers: o.layers, embed: o.embed,
                               vocab: tokenizer.vocabulary.count, peephole: o.peephole, dropout: o.dropout,
                               bidirectional: o.bidirectional, targetVocab: target.size, attention: o.attention)
        }
        let outputs: Int? = task == .lm ? nil : (loss == .sigmoid ? 1 : labels.count)
        return ModelConfig(cell: o.cell, activation: o.activation, hidden: o.hidden, layers: o.layers, embed: o.embed,
                           vocab: tokenizer.vocabulary.count, peephole: o.peephole, dropout: o.dropout,
                           bidirectional: o.bidirectional, outputs: outputs)
    }

    /// What the saved model records of the task.
    public var head: TaskHead {
        var h = TaskHead(task: task, loss: loss, labels: labels)
        if let target {
            h.targetTokenizer = target.tokenizer.kind
            h.targetVocab = target.tokenizer.vocabulary.tokens
        }
        return h
    }

    /// Loads the data the options name, or the task's built-in data.
    /// - Throws: `TrainError.data` with one line naming the file (and line) at fault.
    public static func load(_ o: TrainOptions) throws -> TaskData {
        switch o.task {
        case .lm:
            let d = try Dataset.load(o)
            let layout: StreamLayout
            do { layout = try StreamLayout(tokenCount: d.train.count, batch: o.batch, bptt: o.bptt) } catch {
                throw TrainError.data("\(d.source): \(error)")
            }
            return TaskData(task: .lm, loss: .softmax, tokenizer: d.tokenizer, labels: [],
                            source: .stream(tokens: d.train, layout: layout), validation: .stream(d.val),
                            origin: d.source, maxSteps: o.bptt, trainSize: d.train.count)
        case .classify, .tag:
            do { return try loadExamples(o) } catch let e as TrainError { throw e } catch { throw TrainError.data("\(error)") }
        case .seq2seq:
            do { return try loadPairs(o) } catch let e as TrainError { throw e } catch { throw TrainError.data("\(error)") }
        }
    }
}

/// What a model file records of its task beyond the architecture, so `recur eval` and
/// `recur predict` read a checkpoint without the flags it was trained with.
public struct TaskHead: Codable, Sendable, Equatable {
    /// The task.
    public var task: TaskKind
    /// The head's loss.
    public var loss: LossKind
    /// Labels or tags in id order (empty for a language model).
    public var labels: [String]
    /// Seq2seq: the target side's tokenizer and its vocabulary in id order (`<BOS>` and `<EOS>`
    /// follow it: `SequenceCodec`); nil for every other task.
    public var targetTokenizer: TokenizerKind? = nil, targetVocab: [String]? = nil

    /// Creates a record.
    public init(task: TaskKind, loss: LossKind, labels: [String]) {
        self.task = task
        self.loss = loss
        self.labels = labels
    }

    /// The target side of a seq2seq model, nil for every other task.
    /// - Throws: `TrainError.checkpoint` when the stored vocabulary is not one.
    public func targetCodec() throws -> SequenceCodec? {
        guard let kind = targetTokenizer, let tokens = targetVocab else { return nil }
        do { return SequenceCodec(tokenizer: Tokenizer(vocabulary: try Vocabulary(tokens: tokens, kind: kind), kind: kind)) } catch {
            throw TrainError.checkpoint("the target vocabulary: \(error)")
        }
    }

    /// A language model's.
    public static let languageModel = TaskHead(task: .lm, loss: .softmax, labels: [])
}
