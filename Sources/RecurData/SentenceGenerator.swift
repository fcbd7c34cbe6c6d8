// SentenceGenerator: draws sentences of the synthetic toy language (grammar on SyntheticCorpus).
import RecurMath

/// Writes sentences of the ``SyntheticCorpus`` grammar into a string, one per line.
///
/// Every random decision goes through one ``SplitMix64`` in a fixed order, so the output is a
/// pure function of the seed.
struct SentenceGenerator {
    private var rng: SplitMix64
    /// The text written so far.
    private(set) var text = ""
    /// Whether the current line has no word yet (no space is written before its first word).
    private var atLineStart = true
    /// Whether the last word written was `,` (two adjacent comma clauses share one comma).
    private var lastWasComma = false

    private static let animals = WeightedChoice(zipf: Lexicon.animals)
    private static let things = WeightedChoice(zipf: Lexicon.things)
    private static let places = WeightedChoice(zipf: Lexicon.places)
    private static let adjectives = WeightedChoice(zipf: Lexicon.adjectives)
    private static let copulas = WeightedChoice(zipf: Lexicon.copulas)
    private static let intransitives = WeightedChoice(zipf: Lexicon.intransitives)
    private static let transitives = WeightedChoice(zipf: Lexicon.transitives)
    private static let pastVerbs = WeightedChoice(zipf: Lexicon.pastVerbs)
    private static let pastAdverbs = WeightedChoice(zipf: Lexicon.pastAdverbs)
    private static let frequencyAdverbs = WeightedChoice(zipf: Lexicon.frequencyAdverbs)
    private static let mannerAdverbs = WeightedChoice(zipf: Lexicon.mannerAdverbs)
    private static let prepositions = WeightedChoice(zipf: Lexicon.prepositions)
    private static let conjunctions = WeightedChoice(zipf: Lexicon.conjunctions)
    private static let singularDeterminers = WeightedChoice(Lexicon.singularDeterminers)
    private static let pluralDeterminers = WeightedChoice(Lexicon.pluralDeterminers)
    private static let clauseCounts = WeightedChoice([(0, 50), (1, 38), (2, 12)])
    private static let subjectAdjectives = WeightedChoice([(0, 68), (1, 27), (2, 5)])

    /// Starts a generator whose output is determined by `seed`.
    init(seed: UInt64, reserving bytes: Int = 0) {
        rng = SplitMix64(seed: seed)
        text.reserveCapacity(bytes)
    }

    /// Appends one sentence and its newline.
    mutating func appendSentence() {
        let plural = rng.chance(50)
        nounPhrase(Self.animals, plural: plural, adjectives: rng.pick(Self.subjectAdjectives))
        if rng.chance(15) { prepositionalPhrase() }
        for _ in 0..<rng.pick(Self.clauseCounts) { relativeClause(headPlural: plural) }
        predicate(plural: plural)
        if rng.chance(10) { tail(plural: plural) }
        word(".")
        text.append("\n")
        atLineStart = true
    }

    // MARK: - Grammar rules

    /// `"," Rel ","` or `"(" Rel ")"`; a comma clause right after another reuses its comma.
    private mutating func relativeClause(headPlural plural: Bool) {
        let parenthesized = rng.chance(30)
        if parenthesized {
            word("(")
        } else if !lastWasComma {
            word(",")
        }
        word("which")
        switch rng.below(100) {
        case 0..<35:  // past tense, no agreement
            if rng.chance(20) { word(rng.pick(Self.pastAdverbs)) }
            word(rng.pick(Self.pastVerbs))
            object()
        case 35..<60:  // agrees with the head noun
            if rng.chance(15) { word(rng.pick(Self.frequencyAdverbs)) }
            word(rng.pick(Self.transitives).form(plural: plural))
            object()
        case 60..<75:
            word(rng.pick(Self.copulas).form(plural: plural))
            word(rng.pick(Self.adjectives))
        default:  // object relative: the verb agrees with the inner subject, an attractor
            let inner = rng.chance(50)
            nounPhrase(Self.animals, plural: inner, adjectives: rng.chance(30) ? 1 : 0)
            word(rng.pick(Self.transitives).form(plural: inner))
        }
        word(parenthesized ? ")" : ",")
    }

    /// The main verb phrase, agreeing with the subject.
    private mutating func predicate(plural: Bool) {
        switch rng.below(100) {
        case 0..<35:
            word(rng.pick(Self.copulas).form(plural: plural))
            word(rng.pick(Self.adjectives))
        case 35..<65:
            word(rng.pick(Self.intransitives).form(plural: plural))
            verbModifier()
        default:
            word(rng.pick(Self.transitives).form(plural: plural))
            object()
        }
    }

    /// `"," Conj Pronoun(n) …`: the pronoun agrees with the subject, the verb with the pronoun.
    private mutating func tail(plural: Bool) {
        word(",")
        word(rng.pick(Self.conjunctions))
        word(Lexicon.pronoun.form(plural: plural))
        if rng.chance(50) {
            word(rng.pick(Self.copulas).form(plural: plural))
            word(rng.pick(Self.adjectives))
        } else {
            word(rng.pick(Self.intransitives).form(plural: plural))
            if rng.chance(40) { word(rng.pick(Self.mannerAdverbs)) }
        }
    }

    /// An animal or thing of random number, sometimes with a nested `that` clause.
    private mutating func object() {
        let plural = rng.chance(50)
        let adjectives = rng.chance(20) ? 1 : 0
        if rng.chance(35) {
            nounPhrase(Self.things, plural: plural, adjectives: adjectives)
            return
        }
        nounPhrase(Self.animals, plural: plural, adjectives: adjectives)
        if rng.chance(12) {
            word("that")
            word(rng.pick(Self.intransitives).form(plural: plural))
            verbModifier()
        }
    }

    /// Nothing, a manner adverb, or a prepositional phrase.
    private mutating func verbModifier() {
        switch rng.below(100) {
        case 0..<30: word(rng.pick(Self.mannerAdverbs))
        case 30..<60: prepositionalPhrase()
        default: break
        }
    }

    /// `Prep Det Adj? Place`, the place of random number (a distractor for agreement).
    private mutating func prepositionalPhrase() {
        word(rng.pick(Self.prepositions))
        nounPhrase(Self.places, plural: rng.chance(50), adjectives: rng.chance(25) ? 1 : 0)
    }

    /// `Det Adj* Noun` with a determiner matching the number (`a`/`an` by the next word).
    private mutating func nounPhrase(_ nouns: WeightedChoice<NumberPair>, plural: Bool, adjectives count: Int) {
        var adjectives: [String] = []
        for _ in 0..<count {
            let adjective = rng.pick(Self.adjectives)
            if !adjectives.contains(adjective) { adjectives.append(adjective) }
        }
        let noun = rng.pick(nouns).form(plural: plural)
        var determiner = rng.pick(plural ? Self.pluralDeterminers : Self.singularDeterminers)
        if determiner == "a", let first = (adjectives.first ?? noun).unicodeScalars.first,
           "aeiou".unicodeScalars.contains(first) {
            determiner = "an"
        }
        word(determiner)
        for adjective in adjectives { word(adjective) }
        word(noun)
    }

    /// Writes one word, preceded by a space unless it starts the line.
    private mutating func word(_ w: String) {
        if !atLineStart { text.append(" ") }
        text.append(w)
        atLineStart = false
        lastWasComma = (w == ",")
    }
}

private extension SplitMix64 {
    /// Draws from `choice` (argument order reads better at call sites).
    mutating func pick<Item>(_ choice: WeightedChoice<Item>) -> Item {
        choice.pick(&self)
    }
}
