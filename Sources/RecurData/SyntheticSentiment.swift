// SyntheticSentiment: the built-in, seed-determined review sentiment data for `--task classify`.
import RecurMath

/// Short film reviews labelled `pos` or `neg`, generated from a seed so that `--task classify`
/// runs without a file, and built so that the label cannot be read off the last words or off a
/// bag of words:
///
///     plain      → Opener? "the" Noun "was" Neg? Intens? Adj Closer?   "the acting was not good" (neg)
///     not-at-all → Opener? "not" Adj "at all" Closer?                  "not bad at all" (pos)
///     first-but  → Adj₁ "at first but" Adj₂ "by the end" Closer?       "dull at first but wonderful by the end" (pos)
///     even-if    → "the" Noun "was" Neg? Adj₁ ", even if the" Noun "was" Adj₂ Closer?
///     although   → "although the" Noun "was" Adj₁ ", the" Noun "was" Neg? Adj₂ Closer?
///
/// Negation (`not`, `never`) flips its adjective. In the two-clause forms the clauses disagree,
/// each half carries one positive and one negative word, and which clause counts depends on
/// the connective: `but` and `although` let the second win, `even if` the first (then the
/// deciding words are up to a dozen tokens from the end). Neutral openers (`honestly ,`) and
/// closers (`, if you ask me`) move the deciding words away from both ends.
///
/// Text is lowercase words and `,` separated by single spaces, which the word segmenter and
/// the char tokenizer both read unchanged. Labels are balanced in expectation (each example
/// draws its label first, then a form that realises it).
public enum SyntheticSentiment {
    /// The default number of examples of ``generate(seed:count:binary:)``.
    public static let defaultCount = 6_000

    /// The labels: positive and negative (the binary form writes `1` and `0`).
    public static let labels = (positive: "pos", negative: "neg")

    /// The examples for `seed`, numbered as lines 1, 2, … of their TSV rendering.
    ///
    /// - Parameter binary: write the labels as `1` (pos) and `0` (neg), for `--loss sigmoid`.
    public static func generate(seed: UInt64, count: Int = defaultCount, binary: Bool = false) -> [ClassifyExample] {
        precondition(count >= 0, "example count cannot be negative")
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let positive = rng.chance(50)
            let text = review(positive: positive, rng: &rng).joined(separator: " ")
            let label = binary ? (positive ? "1" : "0") : (positive ? labels.positive : labels.negative)
            return ClassifyExample(label: label, text: text, line: index + 1)
        }
    }

    /// The words of one review whose overall sentiment is `positive`.
    private static func review(positive: Bool, rng: inout SplitMix64) -> [String] {
        var words: [String] = []
        if rng.chance(25) { words += [pick(openers, &rng), ","] }
        switch rng.below(100) {
        case 0..<30:  // plain: the adjective, maybe negated
            let negated = rng.chance(45)
            words += ["the", pick(nouns, &rng), "was"]
            if negated { words.append(pick(negations, &rng)) }
            if rng.chance(35) { words.append(pick(intensifiers, &rng)) }
            words.append(adjective(positive != negated, &rng))
        case 30..<45:  // not-at-all: always negated
            words += ["not", adjective(!positive, &rng), "at", "all"]
        case 45..<65:  // first-but: the second adjective decides
            words += [adjective(!positive, &rng), "at", "first", "but", adjective(positive, &rng), "by", "the", "end"]
        case 65..<85:  // even-if: the first clause decides
            let negated = rng.chance(35)
            words += ["the", pick(nouns, &rng), "was"]
            if negated { words.append(pick(negations, &rng)) }
            words.append(adjective(positive != negated, &rng))
            words += [",", "even", "if", "the", pick(nouns, &rng), "was", adjective(!positive, &rng)]
        default:  // although: the second clause decides
            let negated = rng.chance(35)
            words += ["although", "the", pick(nouns, &rng), "was", adjective(!positive, &rng), ",",
                      "the", pick(nouns, &rng), "was"]
            if negated { words.append(pick(negations, &rng)) }
            words.append(adjective(positive != negated, &rng))
        }
        if rng.chance(30) { words += [","] + pick(closers, &rng).split(separator: " ").map(String.init) }
        return words
    }

    private static func adjective(_ positive: Bool, _ rng: inout SplitMix64) -> String {
        pick(positive ? positiveAdjectives : negativeAdjectives, &rng)
    }

    private static func pick(_ list: [String], _ rng: inout SplitMix64) -> String {
        rng.element(of: list)
    }

    /// Adjectives that praise (public so tests can relabel reviews independently).
    public static let positiveAdjectives = [
        "good", "great", "wonderful", "excellent", "fun", "charming", "moving", "brilliant",
        "delightful", "superb", "clever", "gripping", "lovely", "fresh", "beautiful", "smart",
    ]
    /// Adjectives that condemn (public so tests can relabel reviews independently).
    public static let negativeAdjectives = [
        "bad", "dull", "boring", "awful", "terrible", "weak", "tedious", "bland",
        "poor", "clumsy", "lifeless", "painful", "silly", "flat", "messy", "slow",
    ]
    /// What a review talks about.
    static let nouns = [
        "film", "movie", "plot", "acting", "story", "ending", "cast", "script", "music",
        "dialogue", "pacing", "direction", "show", "sequel", "lead", "soundtrack",
    ]
    private static let negations = ["not", "never"]
    private static let intensifiers = ["very", "really", "quite", "truly", "so", "rather", "pretty"]
    private static let openers = ["honestly", "well", "overall", "frankly", "in short", "i think", "to be fair"]
    private static let closers = [
        "if you ask me", "in my opinion", "to be honest", "i would say", "for what it is worth", "all things considered",
    ]
}
