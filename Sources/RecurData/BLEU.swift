// BLEU: corpus BLEU-4 of tokenized hypotheses against one reference each.
import Foundation

/// Corpus BLEU, the standard score of machine translation, so that a translation run reports a
/// number comparable with published ones (computed as sacrebleu computes it on already
/// tokenized text; `scripts/bleu_reference.py` checks the two agree).
public enum BLEU {
    /// Corpus BLEU-4 (Papineni et al. 2002) with the brevity penalty, one reference per
    /// hypothesis, no smoothing.
    ///
    /// For n = 1…4, the clipped n-gram matches (each hypothesis n-gram counts at most as often
    /// as it occurs in its reference) and the hypothesis n-gram totals are summed over the
    /// corpus; p_n is their ratio. With c the total hypothesis length and r the total reference
    /// length, BP = exp(1 − r/c) if c < r, else 1, and BLEU = BP · exp(¼ Σ log p_n).
    ///
    /// Returned on the 0–100 scale (as sacrebleu reports); 0 when any p_n is 0 (including when
    /// no hypothesis has n tokens) or the hypotheses are empty. Corpus sums, not an average of
    /// sentence scores: a sentence with no 4-gram match does not zero the corpus.
    ///
    /// - Precondition: one reference per hypothesis.
    public static func corpus(hypotheses: [[String]], references: [[String]]) -> Double {
        precondition(hypotheses.count == references.count, "one reference per hypothesis")
        let order = 4
        var matches = [Int](repeating: 0, count: order)
        var totals = [Int](repeating: 0, count: order)
        var hypothesisLength = 0, referenceLength = 0
        for (hypothesis, reference) in zip(hypotheses, references) {
            hypothesisLength += hypothesis.count
            referenceLength += reference.count
            for n in 1...order where hypothesis.count >= n {
                let available = ngramCounts(reference, n)
                var used: [ArraySlice<String>: Int] = [:]
                for start in 0...(hypothesis.count - n) {
                    let gram = hypothesis[start..<(start + n)]
                    totals[n - 1] += 1
                    let count = used[gram, default: 0]
                    if count < available[gram, default: 0] {
                        matches[n - 1] += 1
                        used[gram] = count + 1
                    }
                }
            }
        }
        if hypothesisLength == 0 || matches.contains(0) { return 0 }
        var logSum = 0.0
        for n in 0..<order {
            logSum += log(Double(matches[n]) / Double(totals[n]))
        }
        let c = Double(hypothesisLength), r = Double(referenceLength)
        let brevity = c < r ? exp(1 - r / c) : 1
        return 100 * brevity * exp(logSum / Double(order))
    }

    /// How often each n-gram of `tokens` occurs.
    private static func ngramCounts(_ tokens: [String], _ n: Int) -> [ArraySlice<String>: Int] {
        var counts: [ArraySlice<String>: Int] = [:]
        if tokens.count < n { return counts }
        for start in 0...(tokens.count - n) {
            counts[tokens[start..<(start + n)], default: 0] += 1
        }
        return counts
    }
}
