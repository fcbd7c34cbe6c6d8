// Seq2SeqTaskTests: `recur train --task seq2seq` on the built-in dates learns to write ISO dates;
// `recur eval --json` and `recur predict` report it in their documented shapes; the checkpoint
// names its tensors as docs/checkpoints.md says; unusable pair files and flags are refused.
import Foundation
import XCTest

final class Seq2SeqTaskTests: CLITestCase {
    /// The dates run: the default model (a one-way LSTM encoder–decoder, H=128, L=2, general
    /// attention), two epochs of the 20,000 built-in pairs, 32 a step, evaluated after each.
    static let datesFlags = ["--task", "seq2seq", "--epochs", "2", "--eval-every", "625", "--quiet"]

    /// Writes `text` into the test's folder and returns its path.
    private func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// A number field of `o` (failing the test when missing or not a number).
    private func number(_ o: [String: Any], _ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        try XCTUnwrap((o[key] as? NSNumber)?.doubleValue, "no number \(key) in \(o)", file: file, line: line)
    }

    /// The tensor names and shapes of a checkpoint's model.safetensors (its JSON header).
    private func tensors(_ run: String) throws -> [String: [Int]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/latest/model.safetensors"))
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        var out: [String: [Int]] = [:]
        for (name, value) in header where name != "__metadata__" {
            out[name] = ((value as? [String: Any])?["shape"] as? [NSNumber])?.map(\.intValue)
        }
        return out
    }

    /// The built-in dates: held-out exact match of at least 0.95 (metrics.jsonl and eval agree
    /// on the figure's presence), greedy and beam outputs for new spellings, and --json fields.
    func testDatesTrainToNearPerfectExactMatchAndDecode() throws {
        let run = path("dates")
        try recurOK(["train", "--single-process", "--run-dir", run] + Self.datesFlags)
        let lines = try RunFolder(url: URL(fileURLWithPath: run)).metrics()
        let matches = lines.compactMap { ($0.fields["val_exact_match"] as? NSNumber)?.doubleValue }
        XCTAssertEqual(matches.count, lines.filter { $0.valLoss != nil }.count, "every validation line carries val_exact_match")
        XCTAssertEqual(matches.count, 2, "evaluations at steps 625 and 1250")

        let o = try jsonObject(try recurOK(["eval", "--checkpoint", run, "--json"]))
        XCTAssertEqual(Set(o.keys), ["loss", "exact_match", "token_accuracy", "bleu", "examples"], "seq2seq eval --json keys")
        let exact = try number(o, "exact_match"), tokens = try number(o, "token_accuracy"), bleu = try number(o, "bleu")
        XCTAssertGreaterThanOrEqual(exact, 0.95, "held-out exact match of the dates: \(o)")
        XCTAssertGreaterThanOrEqual(tokens, exact, "a right output has every token right: \(o)")
        XCTAssertTrue((90...100).contains(bleu), "BLEU on the 0–100 scale: \(o)")
        XCTAssertEqual(try number(o, "examples"), 1000, "the built-in dates hold out 1000 pairs")
        XCTAssertEqual(matches.last ?? -1, exact, accuracy: 1e-12, "the run's last evaluation is eval's greedy figure")

        let input = try write("3rd of march 1998\nTuesday, March 3, 1998\n3/3/98\nmarch 3 98\n", to: "dates.txt")
        for beam in ["1", "4"] {
            let r = try recurOK(["predict", "--checkpoint", run, "--input", input, "--beam", beam])
            XCTAssertEqual(r.stdout, String(repeating: "1998-03-03\n", count: 4), "--beam \(beam)")
        }
        let r = try recurOK(["predict", "--checkpoint", run, "--input", input, "--beam", "3", "--json"])
        for line in r.stdout.split(separator: "\n") {
            let p = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(p["output"] as? String, "1998-03-03")
            let tokens = try XCTUnwrap(p["tokens"] as? [String]), probs = try XCTUnwrap(p["probabilities"] as? [Double])
            XCTAssertEqual(tokens, "1998-03-03".map(String.init) + ["<EOS>"])
            XCTAssertEqual(probs.count, tokens.count)
            XCTAssertTrue(probs.allSatisfy { $0 > 0 && $0 <= 1 }, "probabilities: \(probs)")
            let score = try number(p, "score")
            XCTAssertEqual(score, probs.map { Foundation.log($0) }.reduce(0, +) / Double(probs.count), accuracy: 1e-4,
                           "the score is the mean log-probability per token")
        }
    }

    /// A bidirectional two-layer GRU with a bridge: the checkpoint's tensors carry the documented
    /// names and shapes, and `recur.config` records both sides and the attention.
    func testCheckpointNamesEveryTensor() throws {
        let run = path("names")
        try recurOK(["train", "--single-process", "--run-dir", run, "--task", "seq2seq", "--bidirectional", "--cell", "gru",
                     "--hidden", "8", "--embed", "6", "--layers", "2", "--batch", "4", "--steps", "2",
                     "--synthetic-sentences", "40", "--quiet"])
        let t = try tensors(run)
        let vs = try XCTUnwrap(t["encoder.embedding.weight"]?.first), vt = try XCTUnwrap(t["decoder.head.weight"]?.first)
        var want: [String: [Int]] = ["encoder.embedding.weight": [vs, 6], "decoder.embedding.weight": [vt, 6],
                                     "attention.linear_in.weight": [8, 16], "attention.linear_out.weight": [8, 24],
                                     "decoder.head.weight": [vt, 8], "decoder.head.bias": [vt]]
        for k in 0..<2 {
            for suffix in ["l\(k)", "l\(k)_reverse"] {
                want["encoder.rnn.weight_ih_\(suffix)"] = [24, k == 0 ? 6 : 16]
                want["encoder.rnn.weight_hh_\(suffix)"] = [24, 8]
                want["encoder.rnn.bias_ih_\(suffix)"] = [24]
                want["encoder.rnn.bias_hh_\(suffix)"] = [24]
            }
            want["bridge.h_l\(k).weight"] = [8, 16]
            want["bridge.h_l\(k).bias"] = [8]
            want["decoder.rnn.weight_ih_l\(k)"] = [24, k == 0 ? 6 : 8]
            want["decoder.rnn.weight_hh_l\(k)"] = [24, 8]
            want["decoder.rnn.bias_ih_l\(k)"] = [24]
            want["decoder.rnn.bias_hh_l\(k)"] = [24]
        }
        XCTAssertEqual(t, want)
    }

    /// Unusable pair files and flags: one error line naming the file and line, or the flag.
    func testUnusableInputsAreRefused() throws {
        func train(_ flags: [String]) throws -> CLIResult {
            try recur(["train", "--single-process", "--run-dir", path("run"), "--task", "seq2seq", "--hidden", "8",
                       "--layers", "1", "--batch", "2", "--steps", "2", "--quiet"] + flags)
        }
        let noTab = try write("one\t1\ntwo 2\n", to: "no-tab.tsv")
        assertOneLineError(try train(["--corpus", noTab]), mentions: [noTab], mentionsOneOf: [["line 2", ":2"]])
        let emptyTarget = try write("one\t1\ntwo\t\n", to: "empty-target.tsv")
        assertOneLineError(try train(["--corpus", emptyTarget]), mentions: [emptyTarget], mentionsOneOf: [["line 2", ":2"]])
        assertOneLineError(try train(["--corpus", path("missing.tsv")]), mentions: [path("missing.tsv")])
        assertOneLineError(try train(["--attention", "dot", "--bidirectional"]), mentions: ["--attention", "dot"])
        assertOneLineError(try train(["--loss", "sigmoid"]), mentions: ["--loss"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("run/checkpoints/latest")), "nothing was trained")

        try recurOK(["train", "--single-process", "--run-dir", path("tiny"), "--task", "seq2seq", "--hidden", "8",
                     "--layers", "1", "--batch", "4", "--steps", "2", "--synthetic-sentences", "40", "--quiet"])
        let bad = try write("one\t1\nbroken line\n", to: "bad-eval.tsv")
        assertOneLineError(try recur(["eval", "--checkpoint", path("tiny"), "--corpus", bad]), mentions: [bad],
                           mentionsOneOf: [["line 2", ":2"]])
        assertOneLineError(try recur(["predict", "--checkpoint", path("tiny"), "--beam", "0"]), mentions: ["--beam"])
        assertOneLineError(try recur(["eval", "--checkpoint", path("tiny"), "--beam", "0"]), mentions: ["--beam"])
    }

    /// Rewrites the `recur.config` of `checkpoint`'s model.safetensors with `change` and drops
    /// its manifest, so the file is read as is (a manifest's checksum would catch it first).
    private func rewriteConfig(_ checkpoint: String, _ change: (inout [String: Any]) -> Void) throws {
        let file = checkpoint + "/model.safetensors"
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = try XCTUnwrap(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        var meta = try XCTUnwrap(header["__metadata__"] as? [String: String])
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(meta["recur.config"]).utf8)) as? [String: Any])
        change(&config)
        meta["recur.config"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        header["__metadata__"] = meta
        var json = try JSONSerialization.data(withJSONObject: header)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) })
        out.append(json)
        out.append(data.subdata(in: (8 + n)..<data.count))
        try out.write(to: URL(fileURLWithPath: file))
        try? FileManager.default.removeItem(atPath: checkpoint + "/manifest.json")
    }

    /// A seq2seq checkpoint whose `recur.config` lost its target side, or whose target
    /// vocabulary no longer fits the tensors, is refused with one line naming the file.
    func testCorruptSeq2SeqConfigIsRefused() throws {
        let run = path("tiny")
        try recurOK(["train", "--single-process", "--run-dir", run, "--task", "seq2seq", "--hidden", "8",
                     "--layers", "1", "--batch", "4", "--steps", "1", "--synthetic-sentences", "40", "--quiet"])
        let checkpoint = run + "/checkpoints/step-00000001"
        let original = try Data(contentsOf: URL(fileURLWithPath: checkpoint + "/model.safetensors"))
        try rewriteConfig(checkpoint) { $0["target_vocab"] = nil }
        assertOneLineError(try recur(["eval", "--checkpoint", checkpoint]), mentions: ["model.safetensors", "target_vocab"])
        try original.write(to: URL(fileURLWithPath: checkpoint + "/model.safetensors"))
        try rewriteConfig(checkpoint) { c in c["target_vocab"] = (c["target_vocab"] as? [String])?.dropLast().map { $0 } }
        assertOneLineError(try recur(["eval", "--checkpoint", checkpoint]), mentions: ["model.safetensors", "decoder.embedding.weight"])
        try original.write(to: URL(fileURLWithPath: checkpoint + "/model.safetensors"))
        try rewriteConfig(checkpoint) { $0["attention"] = "sideways" }
        assertOneLineError(try recur(["eval", "--checkpoint", checkpoint]), mentions: ["model.safetensors", "recur.config"])
    }
}
