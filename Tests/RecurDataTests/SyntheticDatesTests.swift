// Tests of the built-in dates data: determinism, disjoint held-out pairs, and every source read
// back to its ISO target by means independent of the generator (a hand parser, DateFormatter,
// Calendar's weekdays).

import Foundation
@testable import RecurData
import XCTest

final class SyntheticDatesTests: XCTestCase {
    private static let data = SyntheticDates.generate(seed: 9, count: 3_000, heldOut: 500)

    func testDeterministicAndSized() {
        let a = Self.data
        let b = SyntheticDates.generate(seed: 9, count: 3_000, heldOut: 500)
        XCTAssertEqual(a.training, b.training)
        XCTAssertEqual(a.heldOut, b.heldOut)
        XCTAssertNotEqual(a.training, SyntheticDates.generate(seed: 10, count: 3_000, heldOut: 500).training)
        // The training list of a seed does not depend on the held-out size.
        XCTAssertEqual(SyntheticDates.generate(seed: 9, count: 3_000, heldOut: 0).training, a.training)
        XCTAssertEqual(a.training.map(\.line), Array(1...3_000))
        XCTAssertEqual(a.heldOut.map(\.line), Array(1...500))
        let defaults = SyntheticDates.generate(seed: 1)
        XCTAssertEqual(defaults.training.count, SyntheticDates.defaultCount)
        XCTAssertEqual(defaults.heldOut.count, SyntheticDates.heldOutCount)
    }

    func testHeldOutIsDisjointAndSourcesUnique() {
        let sources = (Self.data.training + Self.data.heldOut).map(\.source)
        XCTAssertEqual(Set(sources).count, sources.count)
        XCTAssertTrue(Set(Self.data.training.map(\.source)).isDisjoint(with: Self.data.heldOut.map(\.source)))
    }

    func testTargetsAreISODatesInRange() throws {
        let iso = try NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}$"#)
        var years: Set<Int> = []
        for pair in Self.data.training + Self.data.heldOut {
            let range = NSRange(pair.target.startIndex..., in: pair.target)
            XCTAssertNotNil(iso.firstMatch(in: pair.target, range: range), pair.target)
            let year = Int(pair.target.prefix(4))!
            XCTAssertTrue((1950...2049).contains(year), pair.target)
            years.insert(year)
        }
        // Uniform dates over a century: both ends of the window occur.
        XCTAssertTrue(years.contains { $0 < 1960 } && years.contains { $0 > 2040 })
    }

    /// Reads every source back with a parser written for this test and compares with the target.
    func testEverySourceParsesBackToItsTarget() {
        var formats: Set<String> = []
        var cases: Set<String> = []
        for pair in Self.data.training + Self.data.heldOut {
            guard let date = Self.parse(pair.source) else {
                XCTFail("cannot parse \(pair.source)")
                continue
            }
            XCTAssertEqual(String(format: "%04d-%02d-%02d", date.year, date.month, date.day), pair.target, pair.source)
            let fields = pair.target.split(separator: "-").map { Int($0)! }
            let days = SyntheticDates.days(year: fields[0], month: fields[1], day: fields[2])
            formats.formUnion(SyntheticDates.formats.filter {
                SyntheticDates.render($0, days: days).lowercased() == pair.source.lowercased()
            })
            if pair.source.contains(where: \.isLetter) {
                cases.insert(pair.source == pair.source.lowercased() ? "lower"
                             : pair.source == pair.source.uppercased() ? "upper" : "title")
            }
        }
        // Every written form occurs (at least 12 are promised).
        XCTAssertGreaterThanOrEqual(SyntheticDates.formats.count, 12)
        XCTAssertEqual(formats, Set(SyntheticDates.formats))
        XCTAssertEqual(cases, ["lower", "upper", "title"])
    }

    /// Weekday names in sources are the true ones, by Foundation's Gregorian calendar.
    func testWeekdaysMatchFoundationCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let names = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        var checked = 0
        for pair in Self.data.training {
            let lower = pair.source.lowercased()
            guard let named = names.firstIndex(where: { lower.hasPrefix(String($0.prefix(3))) }) else { continue }
            let fields = pair.target.split(separator: "-").map { Int($0)! }
            let date = calendar.date(from: DateComponents(year: fields[0], month: fields[1], day: fields[2]))!
            XCTAssertEqual(calendar.component(.weekday, from: date) - 1, named, pair.source)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 200)
        // The day-number arithmetic against Calendar over every date of the window.
        let start = calendar.date(from: DateComponents(year: 1950, month: 1, day: 1))!
        let first = SyntheticDates.days(year: 1950, month: 1, day: 1)
        let last = SyntheticDates.days(year: 2049, month: 12, day: 31)
        XCTAssertEqual(last - first + 1, 36_525)  // 100 years, 25 of them leap (2000 is)
        for offset in stride(from: 0, through: last - first, by: 7) + [last - first] {
            let date = calendar.date(byAdding: .day, value: offset, to: start)!
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
            let civil = SyntheticDates.civil(days: first + offset)
            XCTAssertEqual([civil.year, civil.month, civil.day], [parts.year!, parts.month!, parts.day!])
            XCTAssertEqual(SyntheticDates.weekday(days: first + offset), parts.weekday! - 1)
            XCTAssertEqual(SyntheticDates.days(year: civil.year, month: civil.month, day: civil.day), first + offset)
        }
    }

    /// Sources in a DateFormatter pattern's exact spelling parse to their target with it.
    func testDateFormatterAgrees() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let patterns = ["MMMM d, yyyy", "EEEE, MMMM d, yyyy", "EEE, MMM d, yyyy", "d MMMM yyyy", "dd.MM.yyyy",
                        "MM/dd/yyyy", "yyyy/MM/dd", "d-MMM-yyyy", "M/d/yy", "d MMM yy"]
        let iso = DateFormatter()
        iso.locale = Locale(identifier: "en_US_POSIX")
        iso.timeZone = calendar.timeZone
        iso.dateFormat = "yyyy-MM-dd"
        for pattern in patterns {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = calendar.timeZone
            formatter.calendar = calendar
            formatter.dateFormat = pattern
            formatter.twoDigitStartDate = calendar.date(from: DateComponents(year: 1950, month: 1, day: 1))
            var matched = 0
            for pair in Self.data.training.prefix(1_500) {
                guard let date = formatter.date(from: pair.source), formatter.string(from: date) == pair.source else {
                    continue
                }
                XCTAssertEqual(iso.string(from: date), pair.target, "\(pattern): \(pair.source)")
                matched += 1
            }
            XCTAssertGreaterThan(matched, 5, pattern)
        }
    }

    /// (year, month, day) of a written date, or nil: weekday words, `the` and `of` are dropped;
    /// a month name fixes the order (month first or day first); numeric dates are y/m/d when
    /// the first field has four digits, otherwise m/d/y with slashes and d.m.y with dots.
    private static func parse(_ source: String) -> (year: Int, month: Int, day: Int)? {
        let months = ["january", "february", "march", "april", "may", "june", "july", "august",
                      "september", "october", "november", "december"]
        let days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        let text = source.lowercased()
        var fields = text.split(whereSeparator: { " ,/.-".contains($0) }).map(String.init)
        fields.removeAll { field in
            field == "the" || field == "of" || days.contains { $0 == field || $0.prefix(3) == field }
        }
        func year(_ field: String) -> Int? {
            guard let value = Int(field) else { return nil }
            switch field.count {
            case 4: return value
            case 2: return value >= 50 ? 1900 + value : 2000 + value
            default: return nil
            }
        }
        func day(_ field: String) -> Int? {
            if let value = Int(field) { return value }
            guard let value = Int(field.dropLast(2)) else { return nil }
            let suffix = [1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"][value] ?? "th"
            return field.hasSuffix(suffix) ? value : nil
        }
        guard fields.count == 3 else { return nil }
        let date: (year: Int?, month: Int?, day: Int?)
        if let named = fields.firstIndex(where: { field in months.contains { $0 == field || $0.prefix(3) == field } }) {
            let month = months.firstIndex { $0 == fields[named] || $0.prefix(3) == fields[named] }! + 1
            date = named == 0 ? (year(fields[2]), month, day(fields[1])) : (year(fields[2]), month, day(fields[0]))
        } else if fields[0].count == 4 {
            date = (year(fields[0]), Int(fields[1]), Int(fields[2]))
        } else if text.contains("/") {
            date = (year(fields[2]), Int(fields[0]), Int(fields[1]))
        } else if text.contains(".") {
            date = (year(fields[2]), Int(fields[1]), Int(fields[0]))
        } else {
            return nil
        }
        guard let y = date.year, let m = date.month, let d = date.day, (1...12).contains(m), (1...31).contains(d) else {
            return nil
        }
        return (y, m, d)
    }
}
