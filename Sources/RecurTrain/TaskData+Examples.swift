// TaskData+Examples: the data of a classifier or a tagger — files (TSV or CoNLL) or the built-in
// sentiment and names sets — encoded with one vocabulary and one label set.
import RecurData

extension TaskData {
    /// Reads (or makes) the examples, splits off validation, builds the vocabulary and labels on
    /// the training part and encodes both parts.
    static func loadExamples(_ o: TrainOptions) throws -> TaskData {
        let binary = o.loss == .sigmoid
        let origin = o.corpus ?? builtInName(o)
        let valOrigin = o.valCorpus ?? origin
        let encoder: ExampleEncoder
        var train: [EncodedExample], val: [EncodedExample], ambiguous: [[Bool]]? = nil
        if o.task == .classify {
            let all = try o.corpus.map { try ClassifyReader.read(path: $0) }
                ?? SyntheticSentiment.generate(seed: o.seed, count: o.syntheticSentences, binary: binary)
            let (t, v) = try split(all, o, read: ClassifyReader.read(path:))
            encoder = try ExampleEncoder.classification(training: t, kind: o.tokenizer, maxVocabulary: o.maxVocabulary,
                                                        binary: binary, path: origin)
            train = try t.map { try encoder.encode($0, path: origin) }
            val = try v.map { try encoder.encode($0, path: valOrigin) }
        } else {
            let all = try o.corpus.map { try TagReader.read(path: $0) }
                ?? SyntheticNames.generate(seed: o.seed, count: o.syntheticSentences, binary: binary)
            let (t, v) = try split(all, o, read: TagReader.read(path:))
            encoder = try ExampleEncoder.tagging(training: t, maxVocabulary: o.maxVocabulary, binary: binary, path: origin)
            train = try t.map { try encoder.encode($0, path: origin) }
            val = try v.map { try encoder.encode($0, path: valOrigin) }
            if o.corpus == nil, o.valCorpus == nil { ambiguous = v.map(\.ambiguous) }
        }
        for (examples, file) in [(train, origin), (val, valOrigin)] {
            if let e = examples.first(where: { $0.tokens.isEmpty }) {
                throw TrainError.data("\(file):\(e.line): the example has no tokens")
            }
        }
        let shards: ExampleShards
        do {
            shards = try ExampleShards(examples: train, seed: o.seed, batch: o.batch, lanesPerShard: o.resolvedLanesPerShard)
        } catch { throw TrainError.data("\(origin): \(error)") }
        return TaskData(task: o.task, loss: o.loss, tokenizer: encoder.tokenizer, labels: encoder.labels.labels,
                        source: .examples(shards), validation: .examples(val, ambiguous: ambiguous), origin: origin,
                        maxSteps: shards.longest, trainSize: train.count)
    }

    /// The name of the built-in data of the options' task, for messages.
    static func builtInName(_ o: TrainOptions) -> String {
        o.task == .classify ? "built-in sentiment data (seed \(o.seed))" : "built-in names data (seed \(o.seed))"
    }

    /// The training and validation parts: the whole of `all` and the `--val-corpus` file, or
    /// `all` with its last `--val-fraction` held out.
    static func split<E>(_ all: [E], _ o: TrainOptions, read: (String) throws -> [E]) throws -> (train: [E], val: [E]) {
        if let path = o.valCorpus { return (all, try read(path)) }
        let held = Int((Double(all.count) * o.valFraction).rounded())
        return (Array(all.dropLast(held)), Array(all.suffix(held)))
    }
}

extension SavedModel {
    /// The encoder of a classifier's or tagger's checkpoint: its vocabulary and its labels in id
    /// order, so a file is read exactly as training read its examples.
    /// - Throws: `TrainError.checkpoint` when the stored labels are not a label set.
    public func exampleEncoder() throws -> ExampleEncoder {
        do { return ExampleEncoder(tokenizer: tokenizer, labels: try LabelSet(labels: head.labels)) } catch {
            throw TrainError.checkpoint("the checkpoint's labels: \(error)")
        }
    }

    /// The labelled examples of `path` in the checkpoint task's format, encoded.
    /// - Throws: `TrainError.data` naming the file and line: unreadable, malformed, empty, or a
    ///   label the model was not trained on.
    public func readExamples(path: String) throws -> [EncodedExample] {
        let encoder = try exampleEncoder()
        do {
            let examples = head.task == .classify ? try ClassifyReader.read(path: path).map { try encoder.encode($0, path: path) }
                : try TagReader.read(path: path).map { try encoder.encode($0, path: path) }
            if let e = examples.first(where: { $0.tokens.isEmpty }) { throw TrainError.data("\(path):\(e.line): the example has no tokens") }
            return examples
        } catch let e as TrainError { throw e } catch { throw TrainError.data("\(error)") }
    }
}
