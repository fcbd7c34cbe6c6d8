// TaskData+Pairs: the data of an encoder–decoder — a file of source<TAB>target lines or the
// built-in dates — encoded with a vocabulary per side.
import RecurData

extension TaskData {
    /// Reads (or makes) the pairs, splits off validation, builds each side's vocabulary on the
    /// training part and encodes both parts.
    static func loadPairs(_ o: TrainOptions) throws -> TaskData {
        let origin = o.corpus ?? "built-in dates data (seed \(o.seed))"
        let valOrigin = o.valCorpus ?? origin
        let train: [SentencePair], val: [SentencePair]
        if let path = o.corpus {
            (train, val) = try split(try PairReader.read(path: path), o, read: PairReader.read(path:))
        } else {
            let d = SyntheticDates.generate(seed: o.seed, count: o.syntheticSentences)
            train = d.training
            val = try o.valCorpus.map { try PairReader.read(path: $0) } ?? d.heldOut
        }
        let source = try SequenceCodec.build(kind: o.resolvedSourceTokenizer, texts: train.map(\.source),
                                             maxVocabulary: o.maxVocabulary)
        let target = try SequenceCodec.build(kind: o.targetTokenizer, texts: train.map(\.target),
                                             maxVocabulary: o.maxVocabulary)
        let encodedTrain = try train.map { try encodePair($0, source: source, target: target, path: origin) }
        let encodedVal = try val.map { try encodePair($0, source: source, target: target, path: valOrigin) }
        let shards: PairShards
        do {
            shards = try PairShards(pairs: encodedTrain, eos: target.eos, seed: o.seed, batch: o.batch,
                                    lanesPerShard: o.resolvedLanesPerShard)
        } catch { throw TrainError.data("\(origin): \(error)") }
        return TaskData(task: .seq2seq, loss: .softmax, tokenizer: source.tokenizer, labels: [], source: .pairs(shards),
                        validation: .pairs(encodedVal), origin: origin, maxSteps: shards.longestSource,
                        trainSize: encodedTrain.count, target: target, maxTargetSteps: shards.longestTarget)
    }

    /// One pair's ids on each side.
    /// - Throws: `TrainError.data` naming the file and line when a side has no tokens.
    static func encodePair(_ p: SentencePair, source: SequenceCodec, target: SequenceCodec, path: String) throws -> EncodedPair {
        do { return try PairEncoder.encode(p, source: source, target: target, maxLength: nil, path: path) } catch {
            throw TrainError.data("\(error)")
        }
    }
}
