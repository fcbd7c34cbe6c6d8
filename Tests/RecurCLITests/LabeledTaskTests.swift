// LabeledTaskTests: `recur train --task classify|tag` on the built-in data learns what it should,
// and `recur eval --json` and `recur predict` report it in their documented shapes.
import Foundation
import XCTest

final class LabeledTaskTests: CLITestCase {
    /// The tagger runs: enough steps for a bidirectional model to settle every ambiguous word.
    static let taggerFlags = ["--task", "tag", "--hidden", "32", "--layers", "1", "--batch", "32", "--steps", "300", "--quiet"]

    /// Trains in one process into `runDir` with `flags`, failing the test unless it succeeds.
    @discardableResult
    private func train(_ runDir: String, _ flags: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try recurOK(["train", "--single-process", "--run-dir", path(runDir)] + flags, file: file, line: line)
        return path(runDir)
    }

    /// `recur eval --checkpoint run --json [--corpus corpus]` as a JSON object.
    private func evalJSON(_ run: String, corpus: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let r = try recurOK(["eval", "--checkpoint", run, "--json"] + (corpus.map { ["--corpus", $0] } ?? []), file: file, line: line)
        return try jsonObject(r, file: file, line: line)
    }

    /// A number field of `o` (failing the test when missing or not a number).
    private func number(_ o: [String: Any], _ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        try XCTUnwrap((o[key] as? NSNumber)?.doubleValue, "no number \(key) in \(o)", file: file, line: line)
    }

    /// Writes `text` into the test's folder and returns its path.
    private func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// The tagger eval fields of a built-in held-out part; checks their ranges and returns the
    /// ambiguous-token accuracy.
    private func ambiguousAccuracy(_ run: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let o = try evalJSON(run, file: file, line: line)
        XCTAssertEqual(Set(o.keys), ["loss", "token_accuracy", "precision", "recall", "f1", "tokens", "sentences",
                                     "ambiguous_accuracy", "ambiguous_tokens"], "tagger eval --json keys", file: file, line: line)
        for key in ["token_accuracy", "precision", "recall", "f1", "ambiguous_accuracy"] {
            let v = try number(o, key, file: file, line: line)
            XCTAssertTrue((0...1).contains(v), "\(key) \(v) outside [0, 1]", file: file, line: line)
        }
        let sentences = try number(o, "sentences", file: file, line: line), tokens = try number(o, "tokens", file: file, line: line)
        let ambiguous = try number(o, "ambiguous_tokens", file: file, line: line)
        XCTAssertGreaterThan(sentences, 0, file: file, line: line)
        XCTAssertGreaterThan(tokens, sentences, "a held-out sentence has several tokens", file: file, line: line)
        // About 40% of the sentences carry one ambiguous word; fewer than 10 would make the accuracy noise.
        XCTAssertGreaterThanOrEqual(ambiguous, 10, "too few ambiguous tokens held out: \(o)", file: file, line: line)
        XCTAssertLessThanOrEqual(ambiguous, sentences, "at most one ambiguous word a sentence: \(o)", file: file, line: line)
        return try number(o, "ambiguous_accuracy", file: file, line: line)
    }

    /// The words after an ambiguous first word decide its tag: reading backwards gets them right,
    /// reading only forwards cannot beat a coin by much. The bidirectional model's `predict`
    /// then tags both readings of "teddy".
    func testOnlyABidirectionalTaggerResolvesAmbiguousFirstWords() throws {
        let both = try train("both", Self.taggerFlags + ["--bidirectional"])
        let forward = try train("forward", Self.taggerFlags)
        let bidirectional = try ambiguousAccuracy(both), unidirectional = try ambiguousAccuracy(forward)
        XCTAssertGreaterThanOrEqual(bidirectional, 0.95, "a bidirectional tagger sees the deciding word")
        XCTAssertLessThanOrEqual(unidirectional, 0.75, "a left-to-right tagger cannot see the deciding word")

        let input = try write("teddy roosevelt gave a speech\nteddy bears are on sale\n", to: "teddy.txt")
        let r = try recurOK(["predict", "--checkpoint", both, "--input", input])
        XCTAssertEqual(r.stdout, "teddy\tB-PER\nroosevelt\tI-PER\ngave\tO\na\tO\nspeech\tO\n\n"
                       + "teddy\tO\nbears\tO\nare\tO\non\tO\nsale\tO\n\n", "token<TAB>tag lines, a blank line after each sentence")
    }

    /// The classifier of the built-in reviews: validation accuracy in metrics.jsonl passes 0.8,
    /// eval's confusion matrix adds up, and `predict --json` gives one object a line.
    func testClassifierLearnsSentimentAndPredictsWithProbabilities() throws {
        let run = try train("sentiment", ["--task", "classify", "--hidden", "32", "--layers", "1", "--batch", "32",
                                          "--steps", "400", "--eval-every", "100", "--quiet"])
        let lines = try RunFolder(url: URL(fileURLWithPath: run)).metrics()
        let accuracies = lines.compactMap { ($0.fields["val_accuracy"] as? NSNumber)?.doubleValue }
        XCTAssertEqual(accuracies.count, lines.filter { $0.valLoss != nil }.count, "every validation line carries val_accuracy")
        XCTAssertGreaterThan(accuracies.last ?? 0, 0.8, "final val_accuracy of the sentiment classifier: \(accuracies)")

        let o = try evalJSON(run)
        XCTAssertEqual(Set(o.keys), ["loss", "accuracy", "examples", "labels", "confusion"], "classifier eval --json keys")
        XCTAssertEqual(o["labels"] as? [String], ["neg", "pos"])
        let confusion = try XCTUnwrap(o["confusion"] as? [[Int]], "confusion: \(o)")
        let examples = try number(o, "examples"), accuracy = try number(o, "accuracy")
        XCTAssertEqual(confusion.count, 2)
        XCTAssertEqual(confusion.joined().reduce(0, +), Int(examples), "the confusion matrix counts every example once")
        XCTAssertEqual(accuracy, Double(confusion[0][0] + confusion[1][1]) / examples, accuracy: 1e-9, "accuracy is the diagonal's share")
        XCTAssertEqual(accuracy, accuracies.last ?? -1, accuracy: 1e-9, "eval scores the same held-out examples as training did")

        let texts = ["the acting was not good", "not bad at all", "dull at first but wonderful by the end", "the plot was boring"]
        let r = try recurOK(["predict", "--checkpoint", run, "--json", "--input", try write(texts.joined(separator: "\n") + "\n", to: "in.txt")])
        let objects = try r.stdout.split(separator: "\n").map { line -> [String: Any] in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
        XCTAssertEqual(objects.map { $0["text"] as? String }, texts, "one object per input line, in order")
        for o in objects {
            let p = try XCTUnwrap(o["probabilities"] as? [String: Double], "probabilities: \(o)")
            XCTAssertEqual(Set(p.keys), ["neg", "pos"])
            XCTAssertEqual(p.values.reduce(0, +), 1, accuracy: 1e-5, "probabilities sum to 1: \(o)")
            XCTAssertEqual(o["label"] as? String, p.max { $0.value < $1.value }?.key, "the label is the most probable: \(o)")
        }
    }

    /// `--loss sigmoid` on the built-in names tags 0/1. `eval --corpus` scores `0` as the outside
    /// tag: each `1` is a one-token entity, so precision and recall count the `1`s that
    /// `predict` gives on the same sentences (the gold file has two deliberate mistakes, so a
    /// perfect tagger still scores below 1).
    func testSigmoidTaggerScoresItsOnesAsEntities() throws {
        let run = try train("sigmoid-tag", ["--task", "tag", "--loss", "sigmoid", "--bidirectional", "--hidden", "32",
                                            "--layers", "1", "--batch", "32", "--steps", "300", "--quiet"])
        let gold: [[(String, String)]] = [
            [("anna", "1"), ("smith", "1"), ("won", "0"), ("the", "0"), ("prize", "0")],
            [("teddy", "0"), ("bears", "0"), ("are", "1"), ("on", "0"), ("sale", "0")],       // "are" is wrong
            [("yesterday", "0"), ("john", "0"), ("met", "0"), ("maria", "1")],                // "john" is wrong
            [("teddy", "1"), ("roosevelt", "1"), ("gave", "0"), ("a", "0"), ("speech", "0")],
        ]
        let conll = gold.map { $0.map { "\($0.0) \($0.1)\n" }.joined() + "\n" }.joined()
        let sentences = gold.map { $0.map(\.0).joined(separator: " ") + "\n" }.joined()
        let o = try evalJSON(run, corpus: try write(conll, to: "gold.conll"))
        let r = try recurOK(["predict", "--checkpoint", run, "--input", try write(sentences, to: "in.txt")])
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let goldTags = gold.joined().map(\.1)
        XCTAssertEqual(rows.map { $0.first ?? "" }, gold.joined().map(\.0), "one token<TAB>tag line a token, in order:\n\(r.stdout)")
        XCTAssertTrue(rows.allSatisfy { $0.count == 2 && ["0", "1"].contains($0[1]) }, "every tag is 0 or 1:\n\(r.stdout)")
        let predicted = rows.map { $0.last ?? "" }
        guard predicted.count == goldTags.count else { return }

        let pairs = zip(goldTags, predicted)
        let correct = Double(pairs.filter { $0 == ("1", "1") }.count)
        let found = Double(predicted.filter { $0 == "1" }.count), wanted = Double(goldTags.filter { $0 == "1" }.count)
        let precision = found > 0 ? correct / found : 0, recall = correct / wanted
        XCTAssertEqual(try number(o, "tokens"), Double(goldTags.count))
        XCTAssertEqual(try number(o, "token_accuracy"), Double(pairs.filter { $0.0 == $0.1 }.count) / Double(goldTags.count), accuracy: 1e-9)
        XCTAssertEqual(try number(o, "precision"), precision, accuracy: 1e-9, "precision over the predicted 1s: \(o)\n\(r.stdout)")
        XCTAssertEqual(try number(o, "recall"), recall, accuracy: 1e-9, "recall over the gold 1s: \(o)\n\(r.stdout)")
        XCTAssertLessThan(try number(o, "recall"), 1, "the gold file's wrong 1 cannot be found")
    }

    /// `--loss sigmoid` on the binary built-in reviews (1 positive, 0 negative): labels 0 and 1,
    /// a 2×2 confusion matrix, held-out accuracy above 0.8, and `predict` reading the one output
    /// as P(1) with P(0) its complement.
    func testSigmoidClassifierLearnsAndPredicts() throws {
        let run = try train("sigmoid-classify", ["--task", "classify", "--loss", "sigmoid", "--hidden", "32", "--layers", "1",
                                                 "--batch", "32", "--steps", "400", "--quiet"])
        let o = try evalJSON(run)
        XCTAssertEqual(o["labels"] as? [String], ["0", "1"], "a sigmoid classifier's labels: \(o)")
        let confusion = try XCTUnwrap(o["confusion"] as? [[Int]], "confusion: \(o)")
        XCTAssertEqual(confusion.map(\.count), [2, 2])
        XCTAssertEqual(confusion.joined().reduce(0, +), Int(try number(o, "examples")))
        XCTAssertTrue(try number(o, "loss").isFinite)
        XCTAssertGreaterThan(try number(o, "accuracy"), 0.8, "400 steps learn the reviews: \(o)")

        let texts = ["not bad at all", "the acting was not good"]
        let r = try recurOK(["predict", "--checkpoint", run, "--json", "--input", try write(texts.joined(separator: "\n") + "\n", to: "in.txt")])
        let objects = try r.stdout.split(separator: "\n").map { line -> [String: Any] in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
        XCTAssertEqual(objects.map { $0["text"] as? String }, texts)
        XCTAssertEqual(objects.map { $0["label"] as? String }, ["1", "0"], r.stdout)
        for object in objects {
            let p = try XCTUnwrap(object["probabilities"] as? [String: Double], "\(object)")
            XCTAssertEqual(Set(p.keys), ["0", "1"])
            XCTAssertEqual(p.values.reduce(0, +), 1, accuracy: 1e-5)
        }
    }
}
