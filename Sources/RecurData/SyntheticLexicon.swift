// SyntheticLexicon: the word lists of the synthetic toy language, most frequent first.

/// A word's two agreement forms: a noun's singular and plural, or a verb's third-person
/// singular and plural present (or past) forms, such as `cat`/`cats` and `is`/`are`.
public struct NumberPair: Sendable, Hashable {
    /// The form used with a singular subject.
    public let singular: String
    /// The form used with a plural subject.
    public let plural: String

    /// A pair of forms.
    public init(singular: String, plural: String) {
        self.singular = singular
        self.plural = plural
    }

    /// The form for the given number.
    public func form(plural isPlural: Bool) -> String {
        isPlural ? plural : singular
    }
}

/// The vocabulary of ``SyntheticCorpus``, each list in Zipf rank order.
///
/// Every word has one part of speech (animal nouns serve as both subjects and objects), so
/// a sentence can be parsed from its words alone; no noun form is also a verb form.
enum Lexicon {
    /// Parses `"cat/cats dog/dogs"` into pairs.
    private static func pairs(_ list: String) -> [NumberPair] {
        list.split(separator: " ").map { entry in
            let forms = entry.split(separator: "/")
            return NumberPair(singular: String(forms[0]), plural: String(forms[1]))
        }
    }

    private static func words(_ list: String) -> [String] {
        list.split(separator: " ").map(String.init)
    }

    /// Animals: the subjects, and most objects.
    static let animals = pairs("""
        cat/cats dog/dogs bird/birds horse/horses mouse/mice wolf/wolves fox/foxes rabbit/rabbits \
        duck/ducks goose/geese frog/frogs lion/lions bear/bears goat/goats cow/cows pig/pigs \
        owl/owls tiger/tigers monkey/monkeys puppy/puppies kitten/kittens pony/ponies snake/snakes \
        crow/crows ox/oxen spider/spiders whale/whales eagle/eagles hen/hens bee/bees
        """)
    /// Things that can be eaten, carried or found (objects only).
    static let things = pairs("""
        seed/seeds bone/bones apple/apples ball/balls stick/sticks leaf/leaves berry/berries \
        egg/eggs nut/nuts cake/cakes
        """)
    /// Places (only inside prepositional phrases).
    static let places = pairs("""
        barn/barns river/rivers house/houses garden/gardens forest/forests hill/hills road/roads \
        field/fields lake/lakes village/villages bridge/bridges wall/walls tree/trees
        """)
    static let adjectives = words("""
        small big old young little brown black white happy hungry tired quiet angry clever lazy \
        sleepy wild gentle proud grey fat thin full
        """)
    /// Linking verbs, followed by an adjective.
    static let copulas = pairs("is/are was/were seems/seem looks/look")
    /// Verbs without an object.
    static let intransitives = pairs("""
        sleeps/sleep runs/run sings/sing waits/wait hides/hide plays/play swims/swim jumps/jump \
        eats/eat rests/rest
        """)
    /// Verbs with an object.
    static let transitives = pairs("""
        likes/like sees/see chases/chase wants/want knows/know watches/watch has/have \
        follows/follow finds/find carries/carry hears/hear helps/help
        """)
    /// Past-tense verbs, which do not agree in number.
    static let pastVerbs = words("ate saw found chased liked followed heard carried bit watched helped visited")
    static let pastAdverbs = words("already once never recently")
    static let frequencyAdverbs = words("often always never sometimes rarely")
    static let mannerAdverbs = words("quickly slowly quietly loudly again today alone")
    static let prepositions = words("near behind under beside above by with inside")
    static let conjunctions = words("so because and but")
    static let pronoun = NumberPair(singular: "it", plural: "they")

    /// Determiners for singular noun phrases, with weights; `a` becomes `an` before a vowel.
    static let singularDeterminers: [(String, Int)] = [("the", 12), ("a", 4), ("this", 1), ("every", 1), ("my", 1)]
    /// Determiners for plural noun phrases, with weights.
    static let pluralDeterminers: [(String, Int)] = [("the", 12), ("some", 3), ("these", 1), ("many", 1), ("my", 1), ("two", 1)]

    /// Every verb form that agrees with its subject in number.
    static let agreeingVerbs = copulas + intransitives + transitives
}
