// Seq2SeqEvaluator: an encoder–decoder's teacher-forced loss, its decoded outputs (greedy or beam
// search) and their scores — for validation during training, `recur eval` and `recur predict`.
import Foundation
import RecurData
import RecurMath
import RecurModel

/// The scores of a set of pairs.
public struct Seq2SeqScores: Sendable, Equatable {
    /// Mean teacher-forced loss per target token (with `<EOS>`); nil with nothing scored.
    public var loss: Double?
    /// Target tokens scored.
    public var count: Int
    /// Share of decoded outputs equal to their reference, token for token.
    public var exactMatch: Double
    /// Tokens decoded right at their position, over the longer of output and reference, summed
    /// over the corpus (so a missing or an extra token counts as an error).
    public var tokenAccuracy: Double
    /// Corpus BLEU-4 (0–100) of the outputs against the references, over the target tokens.
    public var bleu: Double
    /// Pairs scored.
    public var examples: Int
}

/// Runs a trained encoder–decoder over pairs or sources, without gradients.
public final class Seq2SeqEvaluator {
    let model: Seq2SeqModel
    let params: FloatBuffer
    /// The parameters as the step decoder holds them.
    let flat: [Float]
    /// The target side: `<BOS>`, `<EOS>` and the token strings BLEU compares.
    public let target: SequenceCodec
    /// Pairs per teacher-forced pass.
    let lanes: Int

    /// Prepares evaluation of `params` for a seq2seq model of `config`.
    /// - Throws: `ModelError` when the configuration is not an encoder–decoder's.
    public init(config: ModelConfig, params: FloatBuffer, target: SequenceCodec, lanes: Int = 32) throws {
        model = try Seq2SeqModel(config)
        self.params = params
        flat = Array(UnsafeBufferPointer(start: params.pointer, count: params.count))
        self.target = target
        self.lanes = lanes
    }

    /// The summed teacher-forced loss of `pairs` and the target tokens it scored.
    public func loss(_ pairs: [EncodedPair]) -> ChunkLoss {
        guard !pairs.isEmpty else { return ChunkLoss(sum: 0, count: 0) }
        let s = pairs.map(\.source.count).max() ?? 1, t = (pairs.map(\.target.count).max() ?? 0) + 1
        let ws = Seq2SeqWorkspace(config: model.config, sourceSteps: s, targetSteps: t, lanes: lanes)
        var total = ChunkLoss(sum: 0, count: 0)
        for range in ExampleBatcher.evaluationRanges(count: pairs.count, size: lanes) {
            // Every pass is `lanes` wide: a short last batch repeats its first pair in the spare
            // lanes, whose targets are then ignored.
            var chunk = Array(pairs[range])
            while chunk.count < lanes { chunk.append(chunk[0]) }
            let b = PaddedPairBatch(chunk, eos: target.eos)
            var y = b.targets
            for r in 0..<b.targetSteps { for j in range.count..<lanes { y[r * lanes + j] = -1 } }
            let d = PaddedPairBatch.decoderInputs(targets: y, steps: b.targetSteps, lanes: lanes, bos: target.bos)
            let l = b.source.withUnsafeBufferPointer { x in
                b.sourceLengths.withUnsafeBufferPointer { n in
                    d.withUnsafeBufferPointer { di in
                        y.withUnsafeBufferPointer { yy in
                            model.loss(params: params.pointer, ws: ws, source: x.baseAddress!, sourceLengths: n.baseAddress!,
                                       sourceSteps: b.sourceSteps, decoderInputs: di.baseAddress!, targets: yy.baseAddress!,
                                       targetSteps: b.targetSteps)
                        }
                    }
                }
            }
            total.sum += l.sum
            total.count += l.count
        }
        return total
    }

    /// The best output of each source, by beam search of width `beam` (1: greedy), at most
    /// `maxLength` tokens long.
    public func decode(_ sources: [[Int32]], beam: Int, maxLength: Int) -> [Hypothesis] {
        let decoder = Seq2SeqDecoder(model: model, params: flat, maxHypotheses: beam)
        let search = BeamSearch(beam: beam, maxLength: maxLength, bos: target.bos, eos: target.eos)
        return sources.map { source in
            decoder.start(source: source)
            return search.decode(decoder).first!
        }
    }

    /// Loss, decoded outputs and scores of `pairs`.
    /// - Parameters:
    ///   - beam: the search's width (1: greedy).
    ///   - maxLength: the longest output; nil allows twice the longest reference and 10 more.
    public func score(_ pairs: [EncodedPair], beam: Int, maxLength: Int? = nil) -> Seq2SeqScores {
        let l = loss(pairs)
        let longest = pairs.map(\.target.count).max() ?? 0
        let outputs = decode(pairs.map(\.source), beam: beam, maxLength: maxLength ?? 2 * longest + 10)
        var exact = 0, right = 0, positions = 0
        for (p, h) in zip(pairs, outputs) {
            if h.tokens == p.target { exact += 1 }
            right += zip(h.tokens, p.target).filter { $0 == $1 }.count
            positions += max(h.tokens.count, p.target.count)
        }
        let bleu = BLEU.corpus(hypotheses: outputs.map { words($0.tokens) }, references: pairs.map { words($0.target) })
        return Seq2SeqScores(loss: l.count > 0 ? l.sum / Double(l.count) : nil, count: l.count,
                             exactMatch: pairs.isEmpty ? 0 : Double(exact) / Double(pairs.count),
                             tokenAccuracy: positions == 0 ? 0 : Double(right) / Double(positions), bleu: bleu,
                             examples: pairs.count)
    }

    /// The token strings of target ids, as BLEU compares them and `recur predict --json` lists them.
    public func words(_ ids: [Int32]) -> [String] {
        ids.map { target.tokenizer.vocabulary.token(Int($0)) ?? Vocabulary.unknownToken }
    }
}
