// LearningTests: a short LSTM run must beat what context-free statistics of its corpus allow.
import Foundation
import RecurData
import XCTest

final class LearningTests: CLITestCase {
    /// The built-in corpus of the run below (seed 1, 2000 sentences), split as training splits it.
    private func trainingTokens() throws -> [Int32] {
        let text = SyntheticCorpus.generate(seed: 1, sentences: 2000)
        let tokenizer = try Tokenizer.build(kind: .char, text: text)
        return StreamLayout.split(tokens: tokenizer.encode(text), valFraction: 0.05).train
    }

    /// Unigram entropy −Σ p log p (nats per token) of the token frequencies.
    private func unigramEntropy(_ ids: [Int32]) -> Double {
        var counts: [Int32: Int] = [:]
        for id in ids { counts[id, default: 0] += 1 }
        let n = Double(ids.count)
        return -counts.values.reduce(0.0) { h, c in let p = Double(c) / n; return h + p * log(p) }
    }

    /// Conditional entropy H(next | previous) (nats per token) of adjacent token pairs: the
    /// best loss a model that looks at one token of context can reach on this text.
    private func bigramEntropy(_ ids: [Int32]) -> Double {
        var pairs: [Int64: Int] = [:], firsts: [Int32: Int] = [:]
        for i in 1 ..< ids.count {
            pairs[Int64(ids[i - 1]) << 32 | Int64(ids[i]), default: 0] += 1
            firsts[ids[i - 1], default: 0] += 1
        }
        let n = Double(ids.count - 1)
        return -pairs.reduce(0.0) { h, kv in
            let joint = Double(kv.value) / n
            let cond = Double(kv.value) / Double(firsts[Int32(kv.key >> 32)]!)
            return h + joint * log(cond)
        }
    }

    /// LSTM H=64, 150 Adam steps at lr 0.01 over B=16 × T=32 (about 1 s): its validation loss
    /// must end at least 1 nat below the unigram entropy (2.92 nats/char here). A model that
    /// ignores context cannot go below that entropy, so 1 nat (over three times the 0.3 asked
    /// for) is clear evidence of learning, yet leaves half of the measured ≈ 2-nat gap
    /// (val_loss 0.93) as slack. It must also beat the bigram entropy (1.88), which only a model
    /// using more than one character of context can do.
    func testLSTMBeatsUnigramAndBigramEntropy() throws {
        let ids = try trainingTokens()
        let h1 = unigramEntropy(ids), h2 = bigramEntropy(ids)
        XCTAssertGreaterThan(h1, h2, "a bigram model cannot be worse than a unigram one")
        let run = RunFolder(url: try trainTiny("run", [
            "--cell", "lstm", "--hidden", "64", "--synthetic-sentences", "2000", "--batch", "16", "--bptt", "32",
            "--steps", "150", "--lr", "0.01", "--log-every", "50",
        ]))
        let lines = try run.metrics()
        let val = try run.finalValLoss()
        let first = try XCTUnwrap(lines.first?.loss)
        let summary = String(format: "unigram %.4f, bigram %.4f, first loss %.4f, final val_loss %.4f nats/char",
                             h1, h2, first, val)
        print("LearningTests: \(summary)")
        XCTAssertLessThan(val, h1 - 1.0, summary)
        XCTAssertLessThan(val, h2, summary)
        XCTAssertLessThan(val, first, summary)
    }
}
