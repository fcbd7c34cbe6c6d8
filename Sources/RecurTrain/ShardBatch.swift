// ShardBatch: one shard's data, whatever the task — what a worker receives and what the single
// process computes, so both compute the same thing from the same values.
import RecurData

/// The inputs and targets of one shard of one step.
///
/// A stream chunk (`lm`) is n lanes × T steps of consecutive tokens, with its carried state
/// beside it. An example batch (`classify`, `tag`) is n whole examples padded to the longest, T,
/// with their lengths; nothing is carried. A pair batch (`seq2seq`) is n sources padded to the
/// longest, S (`inputs`, `lengths`, `steps`), and their targets, each followed by `<EOS>` and
/// padded to the longest, T (`targets`, `targetSteps`).
public struct ShardBatch: Sendable, Equatable {
    /// Token ids [T, n], time-major (padded positions of an example batch hold 0); a pair batch's
    /// sources [S, n].
    public var inputs: [Int32]
    /// Next-token ids [T, n] (lm), one label per example [n] (classify), one tag per token
    /// [T, n] with −1 at padded positions (tag), or each target's ids and `<EOS>` [T, n] with −1
    /// at padded positions (seq2seq).
    public var targets: [Int32]
    /// Each example's (or source's) length [n], in 1…T (1…S); empty for a stream chunk.
    public var lengths: [Int32]
    /// T (S for a pair batch).
    public var steps: Int
    /// n.
    public var lanes: Int
    /// A pair batch's target positions T; 0 for every other shard.
    public var targetSteps: Int

    /// Creates a shard.
    public init(inputs: [Int32], targets: [Int32], lengths: [Int32] = [], steps: Int, lanes: Int, targetSteps: Int = 0) {
        self.inputs = inputs
        self.targets = targets
        self.lengths = lengths
        self.steps = steps
        self.lanes = lanes
        self.targetSteps = targetSteps
    }

    /// The tokens throughput counts, padding excluded: input tokens, or a pair batch's target
    /// tokens with their `<EOS>` (what the decoder predicts, as translation toolkits count).
    public var tokenCount: Int {
        if isPairs { return targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
        return isExamples ? lengths.reduce(0) { $0 + Int($1) } : steps * lanes
    }

    /// Whether the shard is a batch of whole examples or pairs (it has lengths) rather than a
    /// stream chunk.
    public var isExamples: Bool { !lengths.isEmpty }

    /// Whether the shard is a batch of source–target pairs.
    public var isPairs: Bool { targetSteps > 0 }
}

/// Where a run's shards come from: the one contract between a task's data and the code that
/// deals and computes shards (the trainer's step engine and the coordinator), which see shards
/// and never the task.
public enum ShardSource: Sendable {
    /// A language model's token streams, cut into truncated-BPTT chunks.
    case stream(tokens: [Int32], layout: StreamLayout)
    /// A classifier's or tagger's examples, dealt in shuffled batches.
    case examples(ExampleShards)
    /// An encoder–decoder's source–target pairs, dealt in shuffled batches.
    case pairs(PairShards)

    /// Optimizer steps in one pass over the training data.
    public var stepsPerEpoch: Int {
        switch self {
        case .stream(_, let layout): return layout.chunksPerEpoch
        case .examples(let e): return e.stepsPerEpoch
        case .pairs(let p): return p.stepsPerEpoch
        }
    }

    /// Whether shards carry state from one step to the next (stream lanes do; examples start
    /// from zero).
    public var carriesState: Bool { if case .stream = self { return true }; return false }

    /// Whether step `step` starts an epoch, where a stream's carried state is reset to zero (as
    /// char-rnn does).
    public func startsEpoch(_ step: Int) -> Bool { step % stepsPerEpoch == 0 }

    /// Tokens of step `step` (padding excluded), for throughput: B × T for a stream, the input
    /// tokens of examples, the target tokens (with `<EOS>`) of pairs.
    public func tokens(step: Int, batch: Int) -> Int {
        switch self {
        case .stream(_, let layout): return batch * layout.bptt
        case .examples(let e): return e.batcher.batch(step: step).reduce(0) { $0 + e.examples[$1].tokens.count }
        case .pairs(let p): return p.targetTokens(step: step)
        }
    }

    /// Shard `index` of step `step`, `lanesPerShard` lanes or examples wide. A function of its
    /// arguments alone, so every process that asks gets the same values.
    public func shard(step: Int, index: Int, lanesPerShard n: Int) -> ShardBatch {
        switch self {
        case .stream(let tokens, let layout):
            let c = layout.chunk(step % layout.chunksPerEpoch, lanes: index * n ..< (index + 1) * n, from: tokens)
            return ShardBatch(inputs: c.inputs, targets: c.targets, steps: layout.bptt, lanes: n)
        case .examples(let e):
            return e.shard(step: step, index: index, lanesPerShard: n)
        case .pairs(let p):
            return p.shard(step: step, index: index, lanesPerShard: n)
        }
    }
}
