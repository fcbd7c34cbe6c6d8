// SyntheticCorpus: the built-in, seed-determined toy English corpus with long-range agreement.

/// A built-in English-like toy language for training and testing without any data files.
///
/// One sentence per line; lowercase words separated by single spaces; punctuation marks are
/// words of their own, and every sentence ends with `" ."`. Both the char and the word
/// tokenizer therefore work on it unchanged. The output is a pure function of the seed (a
/// ``SplitMix64``-style generator with integer-only arithmetic), identical on every run and
/// platform.
///
/// Grammar (`n` is the subject's number, `m` an independently drawn number):
///
///     Sentence  → Subject RC{0–2} Predicate(n) Tail(n)? "."
///     Subject   → Det(n) Adj{0–2} Animal(n) PP?
///     RC        → "," Rel "," | "(" Rel ")"       (adjacent comma clauses share one comma)
///     Rel       → "which" PastAdv? PastVerb Object            (past: no agreement)
///               | "which" FreqAdv? Transitive(n) Object       (agrees with the subject)
///               | "which" Copula(n) Adj                       (agrees with the subject)
///               | "which" Det(m) Adj? Animal(m) Transitive(m)  (agrees with the inner noun)
///     Predicate → Copula(n) Adj | Intransitive(n) Modifier? | Transitive(n) Object
///     Tail      → "," Conj Pronoun(n) (Copula(n) Adj | Intransitive(n) MannerAdv?)
///     Object    → Det(m) Adj? (Thing(m) | Animal(m) ("that" Intransitive(m) Modifier?)?)
///     Modifier  → MannerAdv | PP
///     PP        → Prep Det(m) Adj? Place(m)
///
/// Long-range dependencies a model must learn:
/// 1. Subject–verb number agreement across 0–2 relative clauses and a prepositional phrase,
///    with the subject and its verb 1 to over 20 words apart (more than half of them 4 or
///    more), and with attractor nouns of the other number in between
///    (`the cat , which the dogs chase , is full .`).
/// 2. Bracket matching: a clause opened with `(` closes with `)`, one opened with `,` with `,`.
/// 3. Pronoun agreement: the tail's pronoun is `it` for a singular subject and `they` for a
///    plural one (`the cats ( which ate a seed ) sleep , because they are tired .`).
///
/// Nouns, verbs and adjectives are drawn with Zipf-like frequencies (weight ∝ 1 / rank).
public enum SyntheticCorpus {
    /// The default number of sentences of ``generate(seed:sentences:)``.
    public static let defaultSentences = 20_000

    /// The corpus for `seed`: `sentences` lines, each a sentence ending in `" ."` and `"\n"`.
    public static func generate(seed: UInt64, sentences: Int = 20_000) -> String {
        precondition(sentences >= 0, "sentence count cannot be negative")
        var generator = SentenceGenerator(seed: seed, reserving: sentences * 48)
        for _ in 0..<sentences {
            generator.appendSentence()
        }
        return generator.text
    }

    /// Subject nouns (animals) as singular/plural pairs; a sentence's first noun is its subject.
    public static var subjectNouns: [NumberPair] { Lexicon.animals }

    /// Every verb that agrees with its subject, as singular/plural pairs (`is`/`are`, …).
    public static var agreeingVerbs: [NumberPair] { Lexicon.agreeingVerbs }

    /// The pronoun of the sentence tail: `it` (singular) / `they` (plural).
    public static var pronoun: NumberPair { Lexicon.pronoun }

    /// Hand-picked minimal pairs differing only in the subject's number, for probing whether a
    /// model has learned agreement across a relative clause: each pair is
    /// (grammatical sentence, the same sentence with the main verb's number flipped).
    public static let agreementPairs: [(good: String, bad: String)] = [
        ("the cat , which already ate the small seeds , was full .",
         "the cat , which already ate the small seeds , were full ."),
        ("the cats , which already ate the small seed , were full .",
         "the cats , which already ate the small seed , was full ."),
        ("the dog ( which the wolves chase ) is tired .",
         "the dog ( which the wolves chase ) are tired ."),
        ("the birds near the old barn , which saw a fox , sleep quietly .",
         "the birds near the old barn , which saw a fox , sleeps quietly ."),
        ("the horse , which likes the mice that sleep under the bridge , has a ball , so it is happy .",
         "the horse , which likes the mice that sleep under the bridge , have a ball , so it is happy ."),
    ]
}
