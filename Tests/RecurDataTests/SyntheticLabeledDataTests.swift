// Tests of the built-in sentiment and names data: determinism, labels that follow the stated
// rules, and tags of ambiguous words that only the right context decides.

import RecurData
import XCTest

final class SyntheticLabeledDataTests: XCTestCase {
    func testSentimentIsDeterministic() {
        let a = SyntheticSentiment.generate(seed: 11, count: 300)
        XCTAssertEqual(a, SyntheticSentiment.generate(seed: 11, count: 300))
        XCTAssertNotEqual(a, SyntheticSentiment.generate(seed: 12, count: 300))
        XCTAssertEqual(SyntheticSentiment.generate(seed: 11).count, SyntheticSentiment.defaultCount)
        let binary = SyntheticSentiment.generate(seed: 11, count: 300, binary: true)
        XCTAssertEqual(binary.map(\.text), a.map(\.text))
        XCTAssertEqual(binary.map(\.label), a.map { $0.label == "pos" ? "1" : "0" })
    }

    /// Relabels every review by its stated rules, independently of the generator.
    func testSentimentLabelsFollowNegationAndContrast() {
        let examples = SyntheticSentiment.generate(seed: 1)
        let positive = Set(SyntheticSentiment.positiveAdjectives)
        let negative = Set(SyntheticSentiment.negativeAdjectives)
        func polarity(_ clause: ArraySlice<String>) -> Bool {
            let adjectives = clause.filter { positive.contains($0) || negative.contains($0) }
            XCTAssertEqual(adjectives.count, 1, clause.joined(separator: " "))
            let negated = clause.contains("not") || clause.contains("never")
            return positive.contains(adjectives.first ?? "") != negated
        }
        var mixed = 0, positives = 0
        for example in examples {
            let words = example.text.split(separator: " ").map(String.init)
            let clause: ArraySlice<String>
            if let but = words.firstIndex(of: "but") {
                clause = words[(but + 1)...]
            } else if let although = words.firstIndex(of: "although") {
                let comma = words[although...].firstIndex(of: ",")!
                clause = words[(comma + 1)...].prefix { $0 != "," }
            } else if let even = words.firstIndex(of: "even") {
                clause = words[..<even]
            } else {
                clause = words[...]
            }
            XCTAssertEqual(polarity(clause) ? "pos" : "neg", example.label, example.text)
            let count = words.filter { positive.contains($0) }.count
            if count == 1 && words.contains(where: negative.contains) { mixed += 1 }
            if example.label == "pos" { positives += 1 }
        }
        // A bag of words cannot label the reviews that mix one positive and one negative adjective.
        XCTAssertGreaterThan(mixed, examples.count / 3)
        XCTAssertEqual(Double(positives) / Double(examples.count), 0.5, accuracy: 0.03)
        XCTAssertTrue(examples.contains { $0.text.hasSuffix("not bad at all") && $0.label == "pos" })
    }

    func testNamesAreDeterministicAndWellFormed() {
        let a = SyntheticNames.generate(seed: 4, count: 300)
        XCTAssertEqual(a, SyntheticNames.generate(seed: 4, count: 300))
        XCTAssertNotEqual(a, SyntheticNames.generate(seed: 5, count: 300))
        XCTAssertEqual(SyntheticNames.generate(seed: 4).count, SyntheticNames.defaultCount)
        for sentence in a {
            XCTAssertTrue(sentence.tags.allSatisfy { ["B-PER", "I-PER", "O"].contains($0) })
            for (i, tag) in sentence.tags.enumerated() where tag == "I-PER" {
                XCTAssertTrue(i > 0 && sentence.tags[i - 1] != "O", sentence.tokens.joined(separator: " "))
            }
        }
        let binary = SyntheticNames.generate(seed: 4, count: 300, binary: true)
        XCTAssertEqual(binary.map(\.tokens), a.map(\.tokens))
        XCTAssertEqual(binary.map(\.tags), a.map { $0.tags.map { $0 == "O" ? "0" : "1" } })
        XCTAssertEqual(binary.map(\.ambiguous), a.map(\.ambiguous))
    }

    /// The tag of an ambiguous word is a coin flip given everything to its left, and a function
    /// of the word after it.
    func testAmbiguousTagsAreDecidedByRightContextOnly() {
        let sentences = SyntheticNames.generate(seed: 9)
        var byLeft: [String: [String: Int]] = [:]   // left context + word → tag → count
        var byNext: [String: Set<String>] = [:]     // word + next word → tags
        var tagsOfWord: [String: Set<String>] = [:]
        var total = 0
        for sentence in sentences {
            for i in sentence.tokens.indices where sentence.ambiguous[i] {
                let word = sentence.tokens[i], tag = sentence.tags[i]
                XCTAssertTrue(SyntheticNames.ambiguousWords.contains { $0.word == word }, word)
                byLeft[sentence.tokens[...i].joined(separator: " "), default: [:]][tag, default: 0] += 1
                byNext[word + " " + sentence.tokens[i + 1], default: []].insert(tag)
                tagsOfWord[word, default: []].insert(tag)
                total += 1
            }
        }
        XCTAssertGreaterThan(total, sentences.count / 3)
        // Every ambiguous word occurs with both tags, and after the same left context with both.
        XCTAssertEqual(Set(tagsOfWord.keys), Set(SyntheticNames.ambiguousWords.map(\.word)))
        for (word, tags) in tagsOfWord {
            XCTAssertEqual(tags, ["B-PER", "O"], word)
            XCTAssertTrue(byLeft.contains { $0.key.hasSuffix(" " + word) && $0.value.count == 2 }, word)
        }
        // The best tagger that sees only the left context (the majority tag of each context) is
        // near chance; one that sees the next word is always right.
        let leftBest = byLeft.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
        XCTAssertLessThan(Double(leftBest) / Double(total), 0.6)
        XCTAssertTrue(byNext.values.allSatisfy { $0.count == 1 })
    }
}
