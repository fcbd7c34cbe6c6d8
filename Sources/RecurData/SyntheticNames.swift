// SyntheticNames: the built-in, seed-determined person-name tagging data for `--task tag`.
import RecurMath

/// Sentences tagged for people's names in BIO (`B-PER`, `I-PER`, `O`), generated from a seed so
/// that `--task tag` runs without a file, and built around the lecture notes' ambiguity: in
/// "teddy bears are on sale" *teddy* is `O`, in "teddy roosevelt was a great president" it is
/// `B-PER`, and only the word after it tells which.
///
/// Each sentence is one of:
/// - **ambiguous** (40%): Prefix (A Surname | A Noun_A) Rest. A is one of ``ambiguousWords``;
///   it is a first name when a surname follows and part of a common noun phrase when its own
///   noun follows (*rose gardens*, *april showers*). The prefix is drawn before the reading
///   and from one pool for both (nothing, or a neutral start such as `yesterday` or
///   `they talked about`), and the reading is a fair coin, so the left context says nothing:
///   a left-to-right tagger is at chance on A, a bidirectional one sees the next word. The
///   rest of the sentence then fits the reading (a person *was* or *gave a speech*, things
///   *are on sale*). A carries the ambiguity flag.
/// - **plain name** (35%): an unambiguous first name, alone or with a surname, as subject or
///   object of a short sentence.
/// - **no name** (25%): a short sentence about things.
///
/// Everything is lowercase, so capitalisation gives no hint. Sentences are numbered by the
/// line of their first token in their CoNLL rendering.
public enum SyntheticNames {
    /// The default number of sentences of ``generate(seed:count:binary:)``.
    public static let defaultCount = 5_000

    /// Words that are a first name before a surname and part of a noun phrase before their own
    /// noun, each with its nouns.
    public static let ambiguousWords: [(word: String, nouns: [String])] = [
        ("teddy", ["bears", "bear", "toys"]), ("rose", ["gardens", "petals", "bushes"]),
        ("april", ["showers", "rain", "weather"]), ("daisy", ["chains", "fields", "petals"]),
        ("jack", ["rabbits", "knives", "pots"]), ("ruby", ["rings", "necklaces", "earrings"]),
        ("amber", ["beads", "lights", "jewels"]), ("holly", ["wreaths", "bushes", "berries"]),
    ]
    /// First names that are never anything else.
    static let firstNames = [
        "anna", "maria", "john", "peter", "lucas", "emma", "omar", "sofia", "david", "yuki",
        "elena", "marco", "nina", "paul", "irene", "tomas",
    ]
    /// Surnames; a surname is always inside a name.
    static let surnames = [
        "roosevelt", "smith", "jones", "miller", "brown", "taylor", "clark", "lewis",
        "walker", "garcia", "novak", "fischer", "tanaka", "rossi", "dubois", "kowalski",
    ]
    /// Starts shared by both readings of an ambiguous word.
    private static let neutralPrefixes = [
        "", "yesterday", "i think", "everyone knows that", "last week", "in the end",
        "we talked about", "they wrote about", "she mentioned", "the news was about",
    ]
    private static let personRests = [
        "was a great president", "gave a speech", "smiled at the crowd", "won the prize",
        "is my neighbour", "arrived late", "wrote a book", "sang a song",
    ]
    private static let thingRests = [
        "are on sale", "were sold out", "look lovely", "are everywhere", "were in the shop",
        "made the children happy", "cost too much", "are back again",
    ]
    private static let verbs = ["met", "called", "saw", "thanked", "visited", "helped"]
    private static let things = ["the market", "a new car", "the old bridge", "some bread", "the garden", "a letter"]

    /// The sentences for `seed`; a sentence's `ambiguous` flags mark its ambiguous word.
    ///
    /// - Parameter binary: write tags `1` (part of a name) and `0` (not), the lecture notes'
    ///   y⟨t⟩, instead of BIO.
    public static func generate(seed: UInt64, count: Int = defaultCount, binary: Bool = false) -> [TagSentence] {
        precondition(count >= 0, "sentence count cannot be negative")
        var rng = SplitMix64(seed: seed)
        var line = 1
        return (0..<count).map { _ in
            var builder = Builder()
            switch rng.below(100) {
            case 0..<40: builder.ambiguous(&rng)
            case 40..<75: builder.plainName(&rng)
            default: builder.noName(&rng)
            }
            let tags = binary ? builder.tags.map { $0 == "O" ? "0" : "1" } : builder.tags
            let sentence = TagSentence(tokens: builder.tokens, tags: tags, line: line, ambiguous: builder.marks)
            line += builder.tokens.count + 1
            return sentence
        }
    }

    /// Collects one sentence's tokens, tags and ambiguity flags.
    private struct Builder {
        var tokens: [String] = []
        var tags: [String] = []
        var marks: [Bool] = []

        mutating func words(_ text: String, tag: String = "O", ambiguous: Bool = false) {
            for word in text.split(separator: " ") {
                tokens.append(String(word))
                tags.append(tag)
                marks.append(ambiguous)
            }
        }

        mutating func ambiguous(_ rng: inout SplitMix64) {
            words(pick(neutralPrefixes, &rng))
            let entry = rng.element(of: ambiguousWords)
            let person = rng.chance(50)
            words(entry.word, tag: person ? "B-PER" : "O", ambiguous: true)
            if person {
                words(pick(surnames, &rng), tag: "I-PER")
                words(pick(personRests, &rng))
            } else {
                words(pick(entry.nouns, &rng))
                words(pick(thingRests, &rng))
            }
        }

        mutating func plainName(_ rng: inout SplitMix64) {
            if rng.chance(50) {
                name(&rng)
                words(pick(personRests, &rng))
            } else {
                words(pick(["we", "i", "they", "the teacher"], &rng))
                words(pick(verbs, &rng))
                name(&rng)
                if rng.chance(40) { words(pick(["yesterday", "at the station", "again", "last week"], &rng)) }
            }
        }

        mutating func noName(_ rng: inout SplitMix64) {
            words(pick(["we", "i", "they", "the teacher"], &rng))
            words(pick(["bought", "found", "liked", "saw"], &rng))
            words(pick(things, &rng))
            if rng.chance(40) { words(pick(["yesterday", "at the station", "again", "last week"], &rng)) }
        }

        /// An unambiguous first name, with a surname 60% of the time.
        mutating func name(_ rng: inout SplitMix64) {
            words(pick(firstNames, &rng), tag: "B-PER")
            if rng.chance(60) { words(pick(surnames, &rng), tag: "I-PER") }
        }

        private func pick(_ list: [String], _ rng: inout SplitMix64) -> String {
            rng.element(of: list)
        }
    }
}
