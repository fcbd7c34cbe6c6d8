// SampleTests: `recur sample` is a function of its seed, keeps its prime, and is greedy at T=0.
import Foundation
import RecurData
import RecurTrain
import XCTest

final class SampleTests: CLITestCase {
    private var run: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        run = try trainTiny("run", ["--steps", "60", "--hidden", "24"])
    }

    /// The generated text: standard output without the newline `print` adds.
    private func sample(_ flags: [String]) throws -> String {
        let r = try recurOK(["sample", "--checkpoint", run.path] + flags)
        XCTAssertTrue(r.stdout.hasSuffix("\n"), "output should end with a newline:\n\(r.summary)")
        return String(r.stdout.dropLast())
    }

    func testSameSeedSameTextAndPrimeKept() throws {
        let flags = ["--prime", "the cat", "--length", "120", "--temperature", "1", "--seed", "7"]
        let a = try sample(flags), b = try sample(flags)
        XCTAssertEqual(a, b, "two runs with --seed 7 must print the same text")
        XCTAssertTrue(a.hasPrefix("the cat"), "the sample must start with the prime: \(a)")
        // Char mode: the prime plus 120 tokens, each one character except <UNK>'s five.
        let tokens = a.replacingOccurrences(of: "<UNK>", with: "?").unicodeScalars.count
        XCTAssertEqual(tokens, "the cat".unicodeScalars.count + 120, "the prime plus --length tokens: \(a)")
    }

    func testDifferentSeedsDiffer() throws {
        let base = ["--prime", "the", "--length", "120", "--temperature", "1"]
        let texts = try ["1", "2", "3"].map { try sample(base + ["--seed", $0]) }
        XCTAssertEqual(Set(texts).count, 3, "three seeds gave repeated texts: \(texts)")
        for t in texts { XCTAssertTrue(t.hasPrefix("the"), t) }
    }

    /// Temperature 0 ignores the seed and picks the argmax at every step, which is recomputed
    /// here from the model's log-probabilities.
    func testTemperatureZeroIsGreedy() throws {
        let prime = "the dog"
        let length = 80
        let flags = ["--prime", prime, "--length", String(length), "--temperature", "0"]
        let a = try sample(flags + ["--seed", "1"]), b = try sample(flags + ["--seed", "2"])
        XCTAssertEqual(a, b, "temperature 0 must not depend on the seed")

        let saved = try ModelFile.load(checkpoint: run.path)
        let tok = saved.tokenizer
        let sampler = try Sampler(saved)
        sampler.reset()
        let newline = try XCTUnwrap(tok.vocabulary.id("\n"), "the corpus has newlines")
        var logp = sampler.feed(Int32(newline))
        for id in tok.encode(prime) { logp = sampler.feed(id) }
        var out: [Int32] = []
        for _ in 0 ..< length {
            var best = 0
            for i in logp.indices where logp[i] > logp[best] { best = i }
            out.append(Int32(best))
            logp = sampler.feed(Int32(best))
        }
        XCTAssertEqual(a, prime + tok.decode(out), "temperature 0 must be the greedy continuation")
    }
}

/// `recur sample` in word mode ends at the first `<EOS>` unless `--no-stop` asks for `--length`
/// tokens regardless.
final class WordSampleTests: CLITestCase {
    func testWordSampleStopsAtEOSUnlessNoStop() throws {
        let run = try trainTiny("run", ["--tokenizer", "word", "--hidden", "32", "--batch", "8", "--bptt", "16",
                                        "--steps", "60", "--lr", "0.01"])
        let eos = try XCTUnwrap(ModelFile.load(checkpoint: run.path).tokenizer.vocabulary.eosID, "a word vocabulary has <EOS>")
        XCTAssertGreaterThanOrEqual(eos, 0)
        for seed in ["1", "2", "3"] {
            let flags = ["sample", "--checkpoint", run.path, "--length", "300", "--temperature", "1", "--seed", seed]
            // `print` adds one newline; <EOS> decodes to another.
            let stopped = String(try recurOK(flags).stdout.dropLast())
            let full = String(try recurOK(flags + ["--no-stop"]).stdout.dropLast())
            XCTAssertTrue(stopped.hasSuffix("\n"), "seed \(seed): the text ends with its <EOS>: \(stopped)")
            XCTAssertEqual(stopped.filter { $0 == "\n" }.count, 1, "seed \(seed): one sentence: \(stopped)")
            XCTAssertTrue(full.hasPrefix(stopped), "seed \(seed): --no-stop draws the same tokens, then goes on")
            XCTAssertGreaterThan(full.filter { $0 == "\n" }.count, 1, "seed \(seed): --no-stop runs past <EOS>: \(full)")
        }
    }
}
