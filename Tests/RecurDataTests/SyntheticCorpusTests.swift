// Tests of the built-in synthetic corpus: determinism, size, and its long-range dependencies.

import RecurData
import XCTest

final class SyntheticCorpusTests: XCTestCase {
    private let checker = AgreementChecker()

    func testSameSeedGivesIdenticalTextAndDifferentSeedsDiffer() {
        let a = SyntheticCorpus.generate(seed: 7, sentences: 3000)
        let b = SyntheticCorpus.generate(seed: 7, sentences: 3000)
        let c = SyntheticCorpus.generate(seed: 8, sentences: 3000)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.split(separator: "\n").count, 3000)
    }

    func testOutputIsPinnedAcrossRunsAndPlatforms() {
        // Integer-only generation: these exact lines must never change silently.
        XCTAssertEqual(SyntheticCorpus.generate(seed: 1, sentences: 3), """
            the fat bird , which saw the bird , knows the young seed , because it sleeps .
            the bird , which seems black , knows the pigs .
            the cat was small .

            """)
        XCTAssertEqual(SyntheticCorpus.generate(seed: 1, sentences: 0), "")
    }

    func testDefaultSizeIsAboutOneMegabyte() {
        let text = SyntheticCorpus.generate(seed: 1)
        XCTAssertEqual(text.split(separator: "\n").count, SyntheticCorpus.defaultSentences)
        XCTAssertTrue((700_000...1_000_000).contains(text.utf8.count), "\(text.utf8.count) bytes")
    }

    func testFormatIsLowercaseSingleSpacedWithSpaceDotEndings() throws {
        let text = SyntheticCorpus.generate(seed: 3, sentences: 2000)
        XCTAssertTrue(text.hasSuffix(" .\n"))
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            XCTAssertTrue(line.hasSuffix(" ."), String(line))
            XCTAssertFalse(line.contains("  ") || line.hasPrefix(" "), String(line))
            XCTAssertTrue(line.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || " ,().".unicodeScalars.contains($0) },
                          String(line))
        }
        // Both tokenizers see the same sentences.
        let words = try Tokenizer.build(kind: .word, text: text)
        let ids = words.encode(text)
        XCTAssertEqual(ids.filter { Int($0) == words.vocabulary.eosID }.count, 2000)
        XCTAssertEqual(words.decode(ids), text)
        XCTAssertFalse(ids.contains(Int32(words.vocabulary.unkID)))
    }

    func testEverySentenceSatisfiesAgreementAndBracketing() {
        let text = SyntheticCorpus.generate(seed: 1, sentences: 5000)
        var distances: [Int] = []
        var plurals = 0, pronouns = 0, parentheses = 0, clauses = 0
        for line in text.split(separator: "\n") {
            var problems: [String] = []
            let parse = checker.parse(String(line), problems: &problems)
            XCTAssertEqual(problems, [], String(line))
            guard let parse else { continue }
            distances.append(parse.verbIndex - parse.subjectIndex)
            if parse.subjectPlural { plurals += 1 }
            if line.contains(" it ") || line.contains(" they ") { pronouns += 1 }
            if line.contains("(") { parentheses += 1 }
            if line.contains("which") { clauses += 1 }
        }
        XCTAssertEqual(distances.count, 5000)
        // Both numbers, both clause styles and the pronoun tail occur often.
        XCTAssertTrue((2000...3000).contains(plurals), "\(plurals) plural subjects")
        XCTAssertGreaterThan(pronouns, 350)
        XCTAssertGreaterThan(parentheses, 600)
        XCTAssertGreaterThan(clauses, 2000)
        // The subject–verb distance varies from adjacent to long-range.
        XCTAssertEqual(distances.min(), 1)
        XCTAssertGreaterThanOrEqual(distances.max() ?? 0, 15)
        XCTAssertGreaterThan(distances.filter { $0 >= 4 }.count, 2000)
        XCTAssertGreaterThan(distances.filter { $0 >= 8 }.count, 1000)
    }

    func testCheckerRejectsBrokenSentences() {
        let broken = [
            "the cat , which already ate the small seeds , were full .",      // main verb
            "the cats near the barn sleeps .",                                // main verb after a prepositional phrase
            "the cats ( which ate a seed , sleep .",                          // bracket mismatch
            "the cats , which ate a seed ) sleep .",                          // bracket mismatch
            "the cat sleeps , so they are tired .",                           // pronoun
            "the cats sleep , so they is tired .",                            // verb after pronoun
            "the dog , which the wolves chases , is tired .",                 // inner subject
            "the dog , which like the seeds , is tired .",                    // which-clause verb
            "the cat sees the dogs that sleeps .",                            // that clause
            "the cat is full",                                                // no final dot
            "the cat  is full .",                                             // double space
        ]
        for sentence in broken {
            XCTAssertNotEqual(checker.violations(in: sentence), [], sentence)
        }
    }

    func testAgreementPairsDifferOnlyInVerbNumber() {
        XCTAssertFalse(SyntheticCorpus.agreementPairs.isEmpty)
        for (good, bad) in SyntheticCorpus.agreementPairs {
            XCTAssertEqual(checker.violations(in: good), [], good)
            XCTAssertNotEqual(checker.violations(in: bad), [], bad)
            let g = good.split(separator: " "), b = bad.split(separator: " ")
            XCTAssertEqual(g.count, b.count)
            XCTAssertEqual(zip(g, b).filter { $0 != $1 }.count, 1, bad)
        }
    }

    func testLexiconFormsAreUnambiguous() {
        let nouns = SyntheticCorpus.subjectNouns.flatMap { [$0.singular, $0.plural] }
        let verbs = SyntheticCorpus.agreeingVerbs.flatMap { [$0.singular, $0.plural] }
        XCTAssertEqual(Set(nouns).count, nouns.count)
        XCTAssertEqual(Set(verbs).count, verbs.count)
        XCTAssertTrue(Set(nouns).isDisjoint(with: verbs))
        XCTAssertGreaterThanOrEqual(SyntheticCorpus.subjectNouns.count, 24)
        XCTAssertTrue(SyntheticCorpus.agreeingVerbs.contains(NumberPair(singular: "is", plural: "are")))
        XCTAssertTrue(SyntheticCorpus.agreeingVerbs.contains(NumberPair(singular: "was", plural: "were")))
        XCTAssertEqual(SyntheticCorpus.pronoun, NumberPair(singular: "it", plural: "they"))
    }

    func testNounsFollowAZipfLikeFrequency() {
        let text = SyntheticCorpus.generate(seed: 5, sentences: 5000)
        var counts: [String: Int] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) { counts[String(word), default: 0] += 1 }
        let ranked = SyntheticCorpus.subjectNouns.map { (counts[$0.singular] ?? 0) + (counts[$0.plural] ?? 0) }
        XCTAssertGreaterThan(ranked[0], 3 * ranked[9])
        XCTAssertGreaterThan(ranked[9], 0)
        XCTAssertTrue(ranked.allSatisfy { $0 > 0 }, "every noun occurs: \(ranked)")
    }
}
