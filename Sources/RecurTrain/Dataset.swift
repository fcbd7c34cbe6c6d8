// Dataset: reads (or generates) the corpus, builds the tokenizer and splits train/validation.
import RecurData

/// A tokenized corpus split into a training and a validation part.
public struct Dataset: Sendable {
    /// The tokenizer built on the corpus.
    public let tokenizer: Tokenizer
    /// Training token ids (the first part).
    public let train: [Int32]
    /// Validation token ids (the last part; may be empty).
    public let val: [Int32]
    /// Where the text came from, for messages.
    public let source: String

    /// Loads the corpus the options name, or the built-in one.
    /// - Throws: `TrainError.data` with a one-line message naming the file.
    public static func load(_ o: TrainOptions) throws -> Dataset {
        let text: String, source: String
        if let path = o.corpus {
            do { text = try readCorpus(path: path) } catch { throw TrainError.data("\(error)") }
            source = path
        } else {
            text = SyntheticCorpus.generate(seed: o.seed, sentences: o.syntheticSentences)
            source = "built-in synthetic corpus (seed \(o.seed))"
        }
        let tok: Tokenizer
        do { tok = try Tokenizer.build(kind: o.tokenizer, text: text, maxVocabulary: o.maxVocabulary) } catch {
            throw TrainError.data("\(source): \(error)")
        }
        let ids = tok.encode(text)
        let parts = StreamLayout.split(tokens: ids, valFraction: o.valFraction)
        return Dataset(tokenizer: tok, train: parts.train, val: parts.val, source: source)
    }
}
