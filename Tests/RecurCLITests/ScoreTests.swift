// ScoreTests: `recur score --json` in word mode — consistent sums, <EOS> last, grammar beats shuffles.
import Foundation
import RecurData
import XCTest

/// A tiny deterministic generator for reproducible shuffles (64-bit LCG, high bits out).
private struct LCG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state ^ (state >> 29)
    }
}

final class ScoreTests: CLITestCase {
    /// A word-level run on the built-in corpus (seed 1, 300 sentences), 150 steps.
    private func trainWords() throws -> URL {
        try trainTiny("run", ["--tokenizer", "word", "--hidden", "32", "--batch", "8", "--bptt", "16",
                              "--steps", "150", "--lr", "0.01"])
    }

    /// `score --json` parsed into the total and the per-token (token, log_prob) pairs.
    private func score(_ run: URL, _ sentence: String) throws -> (logProb: Double, prob: Double, terms: [(String, Double)]) {
        let o = try jsonObject(try recurOK(["score", "--checkpoint", run.path, "--json", sentence]))
        let logProb = try XCTUnwrap((o["log_prob"] as? NSNumber)?.doubleValue, "no log_prob: \(o)")
        let prob = try XCTUnwrap((o["prob"] as? NSNumber)?.doubleValue, "no prob: \(o)")
        let list = try XCTUnwrap(o["per_token"] as? [[String: Any]], "no per_token list: \(o)")
        let terms = try list.map { t -> (String, Double) in
            (try XCTUnwrap(t["token"] as? String, "\(t)"), try XCTUnwrap((t["log_prob"] as? NSNumber)?.doubleValue, "\(t)"))
        }
        XCTAssertEqual((o["tokens"] as? NSNumber)?.intValue, terms.count, "tokens must count per_token: \(o)")
        return (logProb, prob, terms)
    }

    /// The first lines of the training corpus, without their newline.
    private func corpusSentences(_ n: Int) -> [String] {
        SyntheticCorpus.generate(seed: 1, sentences: 300).split(separator: "\n").prefix(n).map(String.init)
    }

    /// The words of `sentence` in a shuffled order different from the original.
    private func shuffled(_ sentence: String, seed: UInt64) -> String {
        let words = sentence.split(separator: " ").map(String.init)
        var rng = LCG(state: seed)
        var out = words
        while out == words { out = words.shuffled(using: &rng) }
        return out.joined(separator: " ")
    }

    func testJSONIsConsistent() throws {
        let run = try trainWords()
        let sentence = corpusSentences(1)[0]
        let s = try score(run, sentence)
        let words = sentence.split(separator: " ").map(String.init)
        XCTAssertEqual(s.terms.map(\.0), words + ["<EOS>"], "one term per word, then <EOS>")
        let sum = s.terms.reduce(0.0) { $0 + $1.1 }
        XCTAssertEqual(s.logProb, sum, accuracy: 1e-9 * max(1, abs(sum)), "log_prob must be the sum of per_token")
        XCTAssertTrue(s.terms.allSatisfy { $0.1 <= 0 && $0.1.isFinite }, "log-probabilities are ≤ 0: \(s.terms)")
        XCTAssertEqual(relativeDifference(s.prob, exp(s.logProb)), 0, accuracy: 1e-12,
                       "prob \(s.prob) must be exp(log_prob \(s.logProb))")
    }

    func testInGrammarSentenceBeatsItsShuffles() throws {
        let run = try trainWords()
        for (i, sentence) in corpusSentences(3).enumerated() {
            let good = try score(run, sentence).logProb
            for k in 0 ..< 2 {
                let scrambled = shuffled(sentence, seed: UInt64(100 * i + k + 1))
                let bad = try score(run, scrambled).logProb
                XCTAssertGreaterThan(good, bad, "\"\(sentence)\" (\(good)) vs \"\(scrambled)\" (\(bad))")
            }
        }
    }
}
