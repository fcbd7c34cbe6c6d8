// Tests of BeamSearch and greedy decoding over hand-built StepDecoders whose next-token
// distributions are tables keyed by the prefix, checked against brute-force enumeration.

import Foundation
import RecurModel
import XCTest

/// A decoder whose next-token log-probabilities are a function of the prefix emitted so far
/// (bos excluded); records every call so tests can check what the search asked for.
private final class TableDecoder: StepDecoder {
    let vocabularySize: Int
    let bos: Int32
    private let next: ([Int32]) -> [Float]
    private var prefixes: [[Int32]] = []
    private(set) var calls: [(parents: [Int], tokens: [Int32])] = []
    private(set) var longestPrefix = 0

    init(vocabularySize: Int, bos: Int32, next: @escaping ([Int32]) -> [Float]) {
        self.vocabularySize = vocabularySize
        self.bos = bos
        self.next = next
    }

    /// A decoder from probabilities by prefix; prefixes not listed get `otherwise`.
    convenience init(bos: Int32, table: [[Int32]: [Double]], otherwise: [Double]) {
        self.init(vocabularySize: otherwise.count, bos: bos) { prefix in
            (table[prefix] ?? otherwise).map { Float(log($0)) }
        }
    }

    func advance(parents: [Int], tokens: [Int32]) -> [Float] {
        calls.append((parents, tokens))
        if calls.count == 1 {
            precondition(parents == [0] && tokens == [bos], "the first call starts from bos")
            prefixes = [[]]
        } else {
            prefixes = zip(parents, tokens).map { prefixes[$0] + [$1] }
        }
        longestPrefix = max(longestPrefix, prefixes.map(\.count).max() ?? 0)
        return prefixes.flatMap(next)
    }

    /// The log-probabilities after `prefix`, without touching the search state.
    func logProbs(after prefix: [Int32]) -> [Float] { next(prefix) }
}

/// The best finished sequence by brute force: every sequence of at most `maxLength` tokens
/// ending in eos, scored as BeamSearch scores (Float log-probs summed in Double).
private func bruteForceBest(_ decoder: TableDecoder, eos: Int32, maxLength: Int, lengthPenalty: Double)
    -> (tokens: [Int32], score: Double) {
    var best: (tokens: [Int32], score: Double) = ([], -.infinity)
    func visit(_ prefix: [Int32], _ logProb: Double) {
        let row = decoder.logProbs(after: prefix)
        for v in 0..<decoder.vocabularySize {
            let total = logProb + Double(row[v])
            if Int32(v) == eos {
                let score = total / pow(Double(prefix.count + 1), lengthPenalty)
                if score > best.score { best = (prefix, score) }
            } else if prefix.count + 1 < maxLength {
                visit(prefix + [Int32(v)], total)
            }
        }
    }
    visit([], 0)
    return best
}

/// Pseudo-random log-softmax rows keyed by (seed, prefix), with `scale` sharpening the logits.
private func randomModel(seed: UInt64, vocabularySize: Int, bos: Int32, scale: Double = 3) -> TableDecoder {
    TableDecoder(vocabularySize: vocabularySize, bos: bos) { prefix in
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        for token in prefix { state = (state ^ UInt64(bitPattern: Int64(token) &+ 7)) &* 0xBF58_476D_1CE4_E5B9 }
        let logits = (0..<vocabularySize).map { _ -> Double in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return scale * Double(z >> 11) / Double(1 << 53)
        }
        let logSum = log(logits.map(exp).reduce(0, +))
        return logits.map { Float($0 - logSum) }
    }
}

final class BeamSearchTests: XCTestCase {
    // Tokens of the hand-built models: a, b, eos; bos is outside the output vocabulary.
    private let a: Int32 = 0, b: Int32 = 1, eos: Int32 = 2, bos: Int32 = 3

    /// Greedy takes `a` (0.55) whose continuations are all near 1/3; `b eos` is far better.
    func testBeamFindsTheSequenceGreedyMisses() {
        let table: [[Int32]: [Double]] = [[]: [0.55, 0.44, 0.01], [b]: [0.05, 0.05, 0.9]]
        let make = { TableDecoder(bos: self.bos, table: table, otherwise: [0.34, 0.33, 0.33]) }
        let best = bruteForceBest(make(), eos: eos, maxLength: 5, lengthPenalty: 1)
        XCTAssertEqual(best.tokens, [b])
        let greedy = BeamSearch(beam: 1, maxLength: 5, bos: bos, eos: eos).greedy(make())
        XCTAssertEqual(greedy.tokens, [a, a, a, a, a])
        XCTAssertFalse(greedy.finished)
        for beam in [2, 3] {
            let found = BeamSearch(beam: beam, maxLength: 5, bos: bos, eos: eos).decode(make())
            XCTAssertEqual(found[0].tokens, best.tokens, "beam \(beam)")
            XCTAssertTrue(found[0].finished)
            XCTAssertEqual(found[0].score, best.score, accuracy: 1e-12)
            XCTAssertEqual(found[0].tokenLogProbs, [Float(log(0.44)), Float(log(0.9))])
            XCTAssertEqual(found[0].logProb, Double(Float(log(0.44))) + Double(Float(log(0.9))))
        }
    }

    /// A beam wide enough to hold every sequence is exhaustive: it agrees with brute force.
    func testWideBeamMatchesBruteForceOnRandomModels() {
        for seed in UInt64(1)...20 {
            for penalty in [0.0, 1.0] {
                let best = bruteForceBest(randomModel(seed: seed, vocabularySize: 3, bos: 9), eos: 1,
                                          maxLength: 4, lengthPenalty: penalty)
                let found = BeamSearch(beam: 81, maxLength: 4, bos: 9, eos: 1, lengthPenalty: penalty)
                    .decode(randomModel(seed: seed, vocabularySize: 3, bos: 9))
                XCTAssertEqual(found[0].tokens, best.tokens, "seed \(seed), penalty \(penalty)")
                XCTAssertEqual(found[0].score, best.score, accuracy: 1e-12)
            }
        }
    }

    func testBeamOneEqualsGreedyOnRandomModels() {
        var finished = 0
        for seed in UInt64(1)...60 {
            let size = 3 + Int(seed % 6)
            let eos = Int32(seed % UInt64(size))
            let search = BeamSearch(beam: 1, maxLength: 3 + Int(seed % 8), bos: 99, eos: eos)
            let beam = search.decode(randomModel(seed: seed, vocabularySize: size, bos: 99))
            let greedy = search.greedy(randomModel(seed: seed, vocabularySize: size, bos: 99))
            XCTAssertEqual(beam.first, greedy, "seed \(seed)")
            if greedy.finished { finished += 1 }
        }
        XCTAssertGreaterThan(finished, 10)  // both endings are exercised
        XCTAssertLessThan(finished, 60)
    }

    /// Stopping now ([eos], mean log-prob −0.69) against `a b eos` (less probable in total,
    /// −0.90, but −0.30 a token): α = 0 takes the short one, α = 1 the long one.
    func testLengthNormalisationChangesTheWinner() {
        let table: [[Int32]: [Double]] = [[]: [0.45, 0.05, 0.5], [a]: [0.025, 0.95, 0.025], [a, b]: [0.025, 0.025, 0.95]]
        let make = { TableDecoder(bos: self.bos, table: table, otherwise: [0.4, 0.4, 0.2]) }
        let raw = BeamSearch(beam: 2, maxLength: 6, bos: bos, eos: eos, lengthPenalty: 0).decode(make())
        let normalised = BeamSearch(beam: 2, maxLength: 6, bos: bos, eos: eos, lengthPenalty: 1).decode(make())
        XCTAssertEqual(raw[0].tokens, [])
        XCTAssertEqual(raw[1].tokens, [a, b])
        XCTAssertEqual(normalised[0].tokens, [a, b])
        XCTAssertEqual(normalised[1].tokens, [])
        XCTAssertEqual(normalised[0].score, normalised[0].logProb / 3, accuracy: 1e-12)
        XCTAssertEqual(raw[0].score, raw[0].logProb)
    }

    /// A model that never ends: every hypothesis is cut at maxLength and returned unfinished,
    /// and the decoder is never asked to extend a hypothesis to maxLength tokens.
    func testMaxLengthRespectedAndUnfinishedReturned() {
        let make = { TableDecoder(bos: self.bos, table: [:], otherwise: [0.6, 0.399, 0.001]) }
        let decoder = make()
        let found = BeamSearch(beam: 2, maxLength: 4, bos: bos, eos: eos).decode(decoder)
        XCTAssertEqual(found.count, 2)
        XCTAssertTrue(found.allSatisfy { !$0.finished && $0.tokens.count == 4 && $0.tokenLogProbs.count == 4 })
        XCTAssertEqual(found[0].tokens, [a, a, a, a])
        XCTAssertEqual(found[1].tokens, [a, a, a, b])
        XCTAssertEqual(decoder.calls.count, 4)
        XCTAssertEqual(decoder.longestPrefix, 3)
        let greedy = BeamSearch(beam: 2, maxLength: 4, bos: bos, eos: eos).greedy(make())
        XCTAssertEqual(greedy.tokens, [a, a, a, a])
        XCTAssertFalse(greedy.finished)
        // maxLength 1: only the first token; a finished hypothesis is eos alone.
        let one = BeamSearch(beam: 1, maxLength: 1, bos: bos, eos: eos)
            .decode(TableDecoder(bos: bos, table: [:], otherwise: [0.2, 0.2, 0.6]))
        XCTAssertEqual(one.first, Hypothesis(tokens: [], tokenLogProbs: [Float(log(0.6))],
                                             logProb: Double(Float(log(0.6))), score: Double(Float(log(0.6))), finished: true))
    }

    /// Equal log-probabilities rank by lower parent, then lower token, on every run.
    func testTiesBreakByParentThenToken() {
        let uniform = [Double](repeating: 0.25, count: 4)
        // eos = 3 (highest id): it never ranks within the beam, so nothing finishes.
        let make = { TableDecoder(bos: 9, table: [:], otherwise: uniform) }
        let decoder = make()
        let found = BeamSearch(beam: 2, maxLength: 3, bos: 9, eos: 3).decode(decoder)
        XCTAssertEqual(found.map(\.tokens), [[0, 0, 0], [0, 0, 1]])
        XCTAssertEqual(decoder.calls.map(\.parents), [[0], [0, 0], [0, 0]])
        XCTAssertEqual(decoder.calls.map(\.tokens), [[9], [0, 1], [0, 1]])
        XCTAssertEqual(BeamSearch(beam: 2, maxLength: 3, bos: 9, eos: 3).decode(make()), found)
        XCTAssertEqual(BeamSearch(beam: 1, maxLength: 3, bos: 9, eos: 3).greedy(make()).tokens, [0, 0, 0])
        // eos = 0 (lowest id): it ranks first, so [] finishes at once, then [1]; equal scores
        // keep the order in which they finished, and the alive [1, 1], [1, 2] follow.
        let early = BeamSearch(beam: 2, maxLength: 3, bos: 9, eos: 0).decode(make())
        XCTAssertEqual(early.map(\.tokens), [[], [1], [1, 1], [1, 2]])
        XCTAssertEqual(early.map(\.finished), [true, true, false, false])
        XCTAssertEqual(early[0].score, early[1].score)
    }
}
