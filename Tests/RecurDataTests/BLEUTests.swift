// Tests of corpus BLEU against sacrebleu (Fixtures/bleu_reference.json, written by
// scripts/bleu_reference.py) and against values worked out by hand.

import Foundation
import RecurData
import XCTest

final class BLEUTests: XCTestCase {
    private struct Fixture: Decodable {
        struct Case: Decodable {
            let name: String
            let hypotheses: [[String]]
            let references: [[String]]
            let bleu: Double
        }
        let cases: [Case]
    }

    func testMatchesSacrebleu() throws {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures missing")
        let data = try Data(contentsOf: dir.appendingPathComponent("bleu_reference.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 8)
        for item in fixture.cases {
            let bleu = BLEU.corpus(hypotheses: item.hypotheses, references: item.references)
            if item.bleu == 0 {
                XCTAssertEqual(bleu, 0, item.name)
            } else {
                XCTAssertEqual(bleu, item.bleu, accuracy: 1e-6 * item.bleu, item.name)
            }
        }
        XCTAssertTrue(fixture.cases.contains { abs($0.bleu - 100) < 1e-9 })
        XCTAssertTrue(fixture.cases.contains { $0.bleu == 0 })
    }

    func testHandWorkedValues() {
        // Half the length, every n-gram matching: BLEU = 100 · exp(1 − 8/4).
        let short = BLEU.corpus(hypotheses: [["a", "b", "c", "d"]], references: [["a", "b", "c", "d", "e", "f", "g", "h"]])
        XCTAssertEqual(short, 100 * exp(-1.0), accuracy: 1e-9)
        XCTAssertEqual(BLEU.corpus(hypotheses: [], references: []), 0)
        XCTAssertEqual(BLEU.corpus(hypotheses: [[]], references: [["a"]]), 0)
        // Shorter than four tokens everywhere: no 4-grams, so precision p4 is 0/0 and BLEU 0.
        XCTAssertEqual(BLEU.corpus(hypotheses: [["a", "b", "c"]], references: [["a", "b", "c"]]), 0)
        // Clipping: "a a a a a" against "a a b b b" matches 2 unigrams, 1 bigram, 0 trigrams.
        XCTAssertEqual(BLEU.corpus(hypotheses: [["a", "a", "a", "a", "a"]], references: [["a", "a", "b", "b", "b"]]), 0)
    }
}
