// Sampler: one-to-many generation and sentence scoring with a trained model.
import Foundation
import RecurMath
import RecurModel
import RecurData

/// Generates text and scores sentences, one token at a time on one lane.
public final class Sampler {
    /// The loaded model.
    public let saved: SavedModel
    let model: LanguageModel
    let ws: Workspace
    let state: FloatBuffer
    var input: [Int32] = [0]

    /// Prepares a sampler over a loaded model, starting from a zero state.
    /// - Throws: `TrainError.badOption` when the model is not a language model.
    public init(_ saved: SavedModel) throws {
        self.saved = saved
        model = try saved.languageModel(for: "sampling and scoring")
        ws = Workspace(config: saved.config, steps: 1, lanes: 1)
        state = FloatBuffer(count: saved.config.stateFloatsPerLane)
    }

    /// Returns the carried state to zero.
    public func reset() { state.zero() }

    /// Feeds one token and returns the log-probabilities [V] of the next one.
    public func feed(_ token: Int32) -> [Float] {
        input[0] = token
        input.withUnsafeBufferPointer { i in
            model.forward(params: saved.params.pointer, ws: ws, inputs: i.baseAddress!, steps: 1,
                                state: state.pointer, dropout: nil)
        }
        let v = saved.config.vocab
        var out = [Float](repeating: 0, count: v)
        out.withUnsafeMutableBufferPointer { o in
            Kernels.logSoftmaxRows(rows: 1, cols: v, ws.logits.pointer, o.baseAddress!)
        }
        return out
    }

    /// The token a text starts from when nothing primes it: `<EOS>` in word mode, a newline in
    /// character mode when the vocabulary has one, else token 0.
    public var startToken: Int32 {
        let vocab = saved.tokenizer.vocabulary
        if let e = vocab.eosID { return Int32(e) }
        return Int32(vocab.id("\n") ?? 0)
    }

    /// Generates up to `length` tokens after `prime`, drawing from softmax(logits / temperature).
    /// - Parameter stopAtEOS: in word mode, end the text at the first `<EOS>` drawn (a sentence is
    ///   what a word model produces; past it, the next sentence is unrelated). Character mode has
    ///   no `<EOS>` and always runs to `length`.
    /// - Returns: the prime followed by the generated text.
    public func generate(prime: String, length: Int, temperature: Double, seed: UInt64, stopAtEOS: Bool) -> String {
        var rng = SplitMix64(seed: mix64(seed ^ 0x5A3B1E))
        reset()
        let tok = saved.tokenizer
        var primeIDs = prime.isEmpty ? [] : tok.encode(prime)
        if tok.kind == .word, !prime.hasSuffix("\n"), primeIDs.last == Int32(tok.vocabulary.eosID ?? -1) {
            primeIDs.removeLast()  // a prime is a sentence start, not a finished line
        }
        var logp = feed(startToken)
        for id in primeIDs { logp = feed(id) }
        var out: [Int32] = []
        let stop = stopAtEOS && tok.kind == .word ? tok.vocabulary.eosID.map(Int32.init) : nil
        for _ in 0..<max(0, length) {
            let next = Sampler.draw(logp, temperature: temperature, rng: &rng)
            out.append(next)
            if next == stop { break }
            logp = feed(next)
        }
        let text = tok.decode(out)
        if primeIDs.isEmpty { return text }
        return tok.kind == .word ? tok.decode(primeIDs) + " " + text : prime + text
    }

    /// Draws an index from log-probabilities at a temperature (≤ 0 picks the argmax).
    public static func draw(_ logp: [Float], temperature: Double, rng: inout SplitMix64) -> Int32 {
        if temperature <= 0 { return Int32(logp.indices.max { logp[$0] < logp[$1] } ?? 0) }
        let mx = Double(logp.max() ?? 0)
        let w = logp.map { Foundation.exp((Double($0) - mx) / temperature) }
        var r = rng.nextDouble() * w.reduce(0, +)
        for (i, x) in w.enumerated() {
            r -= x
            if r < 0 { return Int32(i) }
        }
        return Int32(w.count - 1)
    }

    /// The log-probability (natural log) of a sentence: Σ log P(token | everything before), from
    /// the start token, over the sentence's tokens (with `<EOS>` at its end in word mode).
    /// - Returns: the total log-probability and the per-token terms.
    public func score(_ sentence: String) -> (logProb: Double, tokens: [(String, Double)]) {
        let ids = saved.tokenizer.encodeSentence(sentence)
        reset()
        var logp = feed(startToken)
        var total = 0.0
        var terms: [(String, Double)] = []
        for id in ids {
            let lp = Double(logp[Int(id)])
            total += lp
            terms.append((saved.tokenizer.vocabulary.tokens[Int(id)], lp))
            logp = feed(id)
        }
        return (total, terms)
    }
}
