// BeamSearch: beam and greedy decoding of output sequences over any StepDecoder.
import Foundation

/// One output sequence found by a search, with what scored it.
public struct Hypothesis: Sendable, Equatable {
    /// Output tokens, without bos and without the final eos.
    public var tokens: [Int32]
    /// Log-probability of each emitted token, eos included when finished.
    public var tokenLogProbs: [Float]
    /// Sum of ``tokenLogProbs`` (in Double, so that long sequences do not lose precision).
    public var logProb: Double
    /// Length-normalised: `logProb / Double(tokenLogProbs.count)^lengthPenalty`, so that a
    /// search does not prefer short outputs merely because every token costs log-probability.
    public var score: Double
    /// Whether the sequence ended with eos (rather than being cut at the maximum length).
    public var finished: Bool

    /// A hypothesis; ``score`` is computed by the search that made it.
    public init(tokens: [Int32], tokenLogProbs: [Float], logProb: Double, score: Double, finished: Bool) {
        self.tokens = tokens
        self.tokenLogProbs = tokenLogProbs
        self.logProb = logProb
        self.score = score
        self.finished = finished
    }
}

/// Beam search over a ``StepDecoder``: keeps the K most probable partial outputs at every step
/// instead of only the most probable one, because the best whole sequence can start with a
/// token that is not the best first token (greedy decoding commits to it and cannot recover).
///
/// The exact rule, deterministic for a deterministic decoder:
/// 1. Start with one empty hypothesis: `advance(parents: [0], tokens: [bos])`.
/// 2. Each step, rank every candidate (alive hypothesis p, token v) by cumulative log-prob
///    `logProb(p) + logp(v | p)`, ties by lower p, then lower v, and take the top 2K.
/// 3. Walk them in rank order: an eos candidate among the first K ranks becomes a finished
///    hypothesis (its eos counts in the length); the first K non-eos candidates stay alive.
///    (eos candidates ranked K … 2K − 1 are dropped, as in fairseq: a finished hypothesis must
///    have been good enough to be in the beam, and it is what makes `beam: 1` exactly greedy.)
/// 4. Stop once K hypotheses have finished, when nothing is alive, or when maxLength tokens
///    (eos included) have been emitted; otherwise `advance` the alive ones and repeat. A
///    finished hypothesis thus has at most maxLength − 1 tokens before its eos; alive ones
///    at the end have maxLength tokens and are returned unfinished. (Not the looser "until no
///    alive hypothesis can beat the best finished one": with length normalisation a longer
///    hypothesis can almost always still raise its mean, so that rule seldom stops before
///    maxLength, and with K = 1 it would search on after greedy's eos.)
/// 5. Return the finished hypotheses by score (best first), then the alive ones by score;
///    equal scores keep the order in which they were found (finished) or ranked (alive).
public struct BeamSearch: Sendable {
    /// Hypotheses kept alive each step, K.
    public let beam: Int
    /// The most tokens emitted, eos included.
    public let maxLength: Int
    /// The decoder's first input.
    public let bos: Int32
    /// The token that ends an output.
    public let eos: Int32
    /// The exponent α of the length normalisation `logProb / length^α`: 0 compares raw
    /// log-probabilities (favouring short outputs), 1 compares the mean per-token log-probability.
    public let lengthPenalty: Double

    /// A search with `beam` K ≥ 1 and `maxLength` ≥ 1.
    public init(beam: Int, maxLength: Int, bos: Int32, eos: Int32, lengthPenalty: Double = 1) {
        precondition(beam >= 1, "the beam must hold at least one hypothesis")
        precondition(maxLength >= 1, "maxLength must be at least 1")
        self.beam = beam
        self.maxLength = maxLength
        self.bos = bos
        self.eos = eos
        self.lengthPenalty = lengthPenalty
    }

    /// Returns hypotheses best first (finished ones before unfinished); the first is the answer.
    public func decode(_ decoder: StepDecoder) -> [Hypothesis] {
        let width = decoder.vocabularySize
        precondition(width >= 1, "the decoder needs at least one output token")
        var alive = [Hypothesis(tokens: [], tokenLogProbs: [], logProb: 0, score: 0, finished: false)]
        var rows = decoder.advance(parents: [0], tokens: [bos])
        var finished: [Hypothesis] = []
        for step in 1...maxLength {
            precondition(rows.count == alive.count * width, "advance must return [parents.count, V]")
            let candidates = top(2 * beam, alive: alive, rows: rows, width: width)
            var next: [Hypothesis] = []
            var parents: [Int] = []
            for (rank, candidate) in candidates.enumerated() {
                let parent = alive[candidate.parent]
                let logp = rows[candidate.parent * width + Int(candidate.token)]
                if candidate.token == eos {
                    if rank < beam { finished.append(extend(parent, by: nil, logp: logp)) }
                } else if next.count < beam {
                    next.append(extend(parent, by: candidate.token, logp: logp))
                    parents.append(candidate.parent)
                }
            }
            alive = next
            if finished.count >= beam || alive.isEmpty || step == maxLength { break }
            rows = decoder.advance(parents: parents, tokens: alive.map { $0.tokens[$0.tokens.count - 1] })
        }
        return Self.byScore(finished) + Self.byScore(alive)
    }

    /// Greedy decoding (argmax each step, ties by lower token id), the reference `beam: 1`
    /// must equal; stops at eos or after maxLength tokens (then unfinished).
    public func greedy(_ decoder: StepDecoder) -> Hypothesis {
        let width = decoder.vocabularySize
        precondition(width >= 1, "the decoder needs at least one output token")
        var hypothesis = Hypothesis(tokens: [], tokenLogProbs: [], logProb: 0, score: 0, finished: false)
        var row = decoder.advance(parents: [0], tokens: [bos])
        while true {
            precondition(row.count == width, "advance must return [parents.count, V]")
            var best = 0
            for v in 1..<width where row[v] > row[best] { best = v }
            let token = Int32(best)
            hypothesis = extend(hypothesis, by: token == eos ? nil : token, logp: row[best])
            if hypothesis.finished || hypothesis.tokenLogProbs.count == maxLength { return hypothesis }
            row = decoder.advance(parents: [0], tokens: [token])
        }
    }

    /// `hypothesis` extended by `token`, or finished by eos when `token` is nil.
    private func extend(_ hypothesis: Hypothesis, by token: Int32?, logp: Float) -> Hypothesis {
        var result = hypothesis
        if let token { result.tokens.append(token) } else { result.finished = true }
        result.tokenLogProbs.append(logp)
        result.logProb += Double(logp)
        result.score = result.logProb / pow(Double(result.tokenLogProbs.count), lengthPenalty)
        return result
    }

    /// The `count` best candidates (parent, token), best first, by cumulative log-prob with
    /// ties by lower parent then lower token: a sorted buffer of at most `count` entries, so
    /// a step costs O(K·V) comparisons for a large vocabulary rather than a full sort.
    private func top(_ count: Int, alive: [Hypothesis], rows: [Float], width: Int)
        -> [(parent: Int, token: Int32)] {
        var best: [(total: Double, parent: Int, token: Int32)] = []
        best.reserveCapacity(count + 1)
        for (parent, hypothesis) in alive.enumerated() {
            for v in 0..<width {
                let total = hypothesis.logProb + Double(rows[parent * width + v])
                // Candidates arrive in (parent, token) order, so an equal total ranks after
                // every entry already held: only a strictly greater total can displace one.
                if best.count == count, let last = best.last, !(total > last.total) { continue }
                var index = best.count
                while index > 0 && total > best[index - 1].total { index -= 1 }
                best.insert((total, parent, Int32(v)), at: index)
                if best.count > count { best.removeLast() }
            }
        }
        return best.map { ($0.parent, $0.token) }
    }

    /// `hypotheses` by descending score, equal scores in their given order.
    private static func byScore(_ hypotheses: [Hypothesis]) -> [Hypothesis] {
        hypotheses.enumerated().sorted { lhs, rhs in
            lhs.element.score != rhs.element.score ? lhs.element.score > rhs.element.score : lhs.offset < rhs.offset
        }.map(\.element)
    }
}
