// SyntheticDates: the built-in, seed-determined date-normalisation pairs for `--task seq2seq`.
import RecurMath

/// Dates written the ways people write them, each paired with its ISO 8601 form, generated from
/// a seed so that `--task seq2seq` runs without a file: "3rd of march 1998", "Tuesday, March 3,
/// 1998", "3/3/98" and "MARCH 3 98" all translate to "1998-03-03".
///
/// The task is small enough to learn in minutes on a CPU yet needs what translation needs: the
/// output order differs from the input order (the year comes first), a month name must become
/// two digits, an ordinal or a two-digit year must be expanded, and a weekday must be read and
/// ignored.
///
/// - Dates are uniform over 1950-01-01 … 2049-12-31 (proleptic Gregorian). Two-digit years
///   50–99 mean 19xx and 00–49 mean 20xx, so every written form names exactly one date.
/// - Each pair uses one of ``formats`` (uniformly) and one case: as written there (month and
///   weekday names capitalised, 45%), all lower case (40%) or all upper case (15%).
/// - Weekdays are the true ones (computed from the day number, 1970-01-01 being a Thursday).
/// - Every source occurs once in the training and held-out lists together, so held-out
///   accuracy measures generalisation rather than recall.
public enum SyntheticDates {
    /// The default number of training pairs of ``generate(seed:count:heldOut:)``.
    public static let defaultCount = 20_000
    /// The default number of held-out pairs of ``generate(seed:count:heldOut:)``.
    public static let heldOutCount = 1_000

    /// The first and last dates generated, as (year, month, day).
    static let firstDate = (year: 1950, month: 1, day: 1)
    static let lastDate = (year: 2049, month: 12, day: 31)

    /// The written forms, as templates of their capitalised spelling: `{d}` day, `{dd}` day in
    /// two digits, `{ord}` ordinal day (`3rd`), `{m}` / `{mm}` month number, `{Month}` / `{Mon}`
    /// month name and its three-letter abbreviation, `{Weekday}` / `{Wkd}` likewise, `{yyyy}` and
    /// `{yy}` the year. Numeric forms are month-first with slashes (US) and day-first with dots
    /// (European), so the separator tells them apart.
    static let formats = [
        "{ord} of {Month} {yyyy}",
        "the {ord} of {Month}, {yyyy}",
        "{Month} {d}, {yyyy}",
        "{Month} {ord}, {yyyy}",
        "{Weekday}, {Month} {d}, {yyyy}",
        "{Wkd}, {Mon} {d}, {yyyy}",
        "{d} {Month} {yyyy}",
        "{Weekday} {d} {Month} {yyyy}",
        "{d} {Mon} {yy}",
        "{dd}.{mm}.{yyyy}",
        "{m}/{d}/{yy}",
        "{mm}/{dd}/{yyyy}",
        "{Month} {d} {yy}",
        "{yyyy}/{mm}/{dd}",
        "{d}-{Mon}-{yyyy}",
    ]

    static let monthNames = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]
    /// Sunday first, the order of ``weekday(days:)``.
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// (training, heldOut) pairs for `seed`: disjoint by source string (no source repeats at
    /// all); line numbers are 1-based within each list. Training pairs are drawn first, so the
    /// training list of a seed does not depend on `heldOut`.
    ///
    /// - Precondition: `count + heldOut` is at most 200,000 (far below the number of distinct
    ///   sources, so that drawing without repeats stays fast).
    public static func generate(seed: UInt64, count: Int = defaultCount,
                                heldOut: Int = heldOutCount) -> (training: [SentencePair], heldOut: [SentencePair]) {
        precondition(count >= 0 && heldOut >= 0, "pair counts cannot be negative")
        precondition(count + heldOut <= 200_000, "at most 200,000 date pairs")
        var rng = SplitMix64(seed: seed)
        var seen: Set<String> = []
        func draw(_ n: Int) -> [SentencePair] {
            var pairs: [SentencePair] = []
            pairs.reserveCapacity(n)
            while pairs.count < n {
                let (source, target) = pair(&rng)
                if seen.insert(source).inserted {
                    pairs.append(SentencePair(source: source, target: target, line: pairs.count + 1))
                }
            }
            return pairs
        }
        let training = draw(count)
        return (training, draw(heldOut))
    }

    /// One (written, ISO) pair: a uniform date, a uniform format, a case.
    static func pair(_ rng: inout SplitMix64) -> (source: String, target: String) {
        let first = days(year: firstDate.year, month: firstDate.month, day: firstDate.day)
        let last = days(year: lastDate.year, month: lastDate.month, day: lastDate.day)
        let day = first + rng.below(last - first + 1)
        let format = rng.element(of: formats)
        let written = render(format, days: day)
        let source: String
        switch rng.below(100) {
        case 0..<45: source = written
        case 45..<85: source = written.lowercased()
        default: source = written.uppercased()
        }
        let date = civil(days: day)
        return (source, isoDate(year: date.year, month: date.month, day: date.day))
    }

    /// `format` filled in for the date `days` after 1970-01-01, in its capitalised spelling.
    static func render(_ format: String, days: Int) -> String {
        let date = civil(days: days)
        let weekdayName = weekdayNames[weekday(days: days)]
        let monthName = monthNames[date.month - 1]
        let fields: [(String, String)] = [
            ("{d}", String(date.day)), ("{dd}", twoDigits(date.day)), ("{ord}", ordinal(date.day)),
            ("{m}", String(date.month)), ("{mm}", twoDigits(date.month)),
            ("{Month}", monthName), ("{Mon}", String(monthName.prefix(3))),
            ("{Weekday}", weekdayName), ("{Wkd}", String(weekdayName.prefix(3))),
            ("{yyyy}", String(date.year)), ("{yy}", twoDigits(date.year % 100)),
        ]
        var text = format
        for (field, value) in fields {
            text = text.replacing(field, with: value)
        }
        return text
    }

    /// `YYYY-MM-DD`.
    static func isoDate(year: Int, month: Int, day: Int) -> String {
        String(year) + "-" + twoDigits(month) + "-" + twoDigits(day)
    }

    /// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `12th`, `13th`, … `21st`, … `31st`.
    static func ordinal(_ day: Int) -> String {
        let suffix: String
        switch (day % 10, day % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return String(day) + suffix
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0" + String(value) : String(value)
    }

    /// Days from 1970-01-01 to the proleptic Gregorian date (Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400                                             // [0, 399]
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1  // [0, 365]
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Hinnant's `civil_from_days`).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097                                                         // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365  // [0, 399]
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)           // [0, 365]
        let mp = (5 * dayOfYear + 2) / 153                                                       // [0, 11], March first
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The weekday of the date `days` after 1970-01-01 (a Thursday): 0 Sunday … 6 Saturday.
    static func weekday(days: Int) -> Int {
        ((days % 7) + 7 + 4) % 7
    }
}
