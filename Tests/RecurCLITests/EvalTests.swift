// EvalTests: `recur eval --json` fields, and its loss against a token-by-token computation.
import Foundation
import RecurData
import RecurTrain
import XCTest

final class EvalTests: CLITestCase {
    /// Runs `eval --json` and returns (loss, perplexity, tokens).
    private func eval(_ run: URL, _ file: String) throws -> (loss: Double, perplexity: Double, tokens: Int) {
        let r = try recurOK(["eval", "--checkpoint", run.path, "--corpus", file, "--json"])
        let o = try jsonObject(r)
        XCTAssertEqual(Set(o.keys), ["loss", "perplexity", "tokens"], "eval --json keys: \(o)")
        let loss = try XCTUnwrap((o["loss"] as? NSNumber)?.doubleValue, "no numeric loss: \(o)")
        let ppl = try XCTUnwrap((o["perplexity"] as? NSNumber)?.doubleValue, "no numeric perplexity: \(o)")
        let tokens = try XCTUnwrap((o["tokens"] as? NSNumber)?.intValue, "no integer tokens: \(o)")
        return (loss, ppl, tokens)
    }

    /// Writes `text` to a file in the test's folder and returns its path.
    private func write(_ text: String, to name: String) throws -> String {
        let p = path(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func testJSONFieldsOfASmallFile() throws {
        let run = try trainTiny("run")
        let text = "the cat , which sleeps , is full .\n"
        let e = try eval(run, try write(text, to: "small.txt"))
        XCTAssertEqual(e.tokens, text.unicodeScalars.count - 1, "every character after the first is scored")
        XCTAssertTrue(e.loss.isFinite && e.loss > 0, "loss \(e.loss)")
        XCTAssertEqual(relativeDifference(e.perplexity, exp(e.loss)), 0, accuracy: 1e-12,
                       "perplexity \(e.perplexity) must be exp(loss \(e.loss))")
    }

    /// The eval loss equals −(1/N) Σ log p(token | tokens before) summed here one token at a
    /// time through `Sampler.feed`, over a text longer than eval's 256-step chunks so the state
    /// is carried across chunk boundaries.
    func testLossMatchesTokenByTokenComputation() throws {
        let run = try trainTiny("run", ["--steps", "60", "--hidden", "24"])
        var text = SyntheticCorpus.generate(seed: 99, sentences: 20)
        text += "an unseen character: # and a tab\t.\n"  // <UNK> tokens are scored too
        let e = try eval(run, try write(text, to: "held-out.txt"))

        let saved = try ModelFile.load(checkpoint: run.path)
        let ids = saved.tokenizer.encode(text)
        XCTAssertGreaterThan(ids.count, 600, "the text should span several 256-token chunks")
        XCTAssertEqual(e.tokens, ids.count - 1)
        let sampler = try Sampler(saved)
        sampler.reset()
        var nll = 0.0
        for i in 0 ..< ids.count - 1 {
            let logp = sampler.feed(ids[i])
            nll -= Double(logp[Int(ids[i + 1])])
        }
        let mean = nll / Double(ids.count - 1)
        XCTAssertLessThan(relativeDifference(e.loss, mean), 1e-4, "eval loss \(e.loss), token by token \(mean)")
    }
}
