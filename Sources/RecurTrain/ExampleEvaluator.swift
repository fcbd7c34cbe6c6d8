// ExampleEvaluator: a classifier's or tagger's loss, predictions and scores over a set of
// examples, in file order — for validation during training, `recur eval` and `recur predict`.
import Foundation
import RecurData
import RecurMath
import RecurModel

/// What one example's outputs say.
public struct ExamplePrediction: Sendable, Equatable {
    /// The predicted label id (classify: one) or tag ids (tag: one per token).
    public var ids: [Int32]
    /// The probability of every label, per predicted position ([1][C] or [T][C]; for a sigmoid
    /// head, [p(0), p(1)]).
    public var probabilities: [[Float]]
}

/// The scores of a set of examples.
public struct ExampleScores: Sendable {
    /// Mean loss per label (classify) or real token (tag); nil without gold targets.
    public var loss: Double?
    /// Labels or tokens scored.
    public var count: Int
    /// Classification: accuracy and the confusion matrix.
    public var classification: ClassificationScore?
    /// Tagging: token accuracy and entity-level precision, recall and F1 (conlleval's).
    public var chunks: ChunkScore?
    /// Tagging on the built-in names: accuracy on the tokens whose tag only the words after them decide.
    public var ambiguous: SubsetAccuracy?

    /// The validation metric of the task: accuracy (classify) or entity F1 (tag).
    public var accuracy: Double? { classification?.accuracy }
    /// Entity-level F1 of a tagger.
    public var f1: Double? { chunks?.f1 }
}

/// Runs a trained example model over examples, in batches, without gradients.
public final class ExampleEvaluator {
    let model: ExampleModel
    let params: FloatBuffer
    let head: TaskHead
    /// Examples per forward pass.
    let lanes: Int

    /// Prepares evaluation of `params` for a model of `config` trained for `head`'s task.
    /// - Throws: `ModelError` when the configuration does not fit the task.
    public init(config: ModelConfig, head: TaskHead, params: FloatBuffer, lanes: Int = 32) throws {
        model = try ExampleModel(config, pooling: head.task == .classify ? .lastToken : .everyToken)
        self.params = params
        self.head = head
        self.lanes = lanes
    }

    /// The predictions of `examples` (their targets unused), and their summed loss when `scored`.
    public func predict(_ examples: [EncodedExample], scored: Bool = true) -> (predictions: [ExamplePrediction], loss: ChunkLoss) {
        guard !examples.isEmpty else { return ([], ChunkLoss(sum: 0, count: 0)) }
        let longest = examples.map(\.tokens.count).max() ?? 1
        let ws = ExampleWorkspace(config: model.config, pooling: model.pooling, steps: longest, lanes: lanes)
        var out: [ExamplePrediction] = [], total = ChunkLoss(sum: 0, count: 0)
        for range in ExampleBatcher.evaluationRanges(count: examples.count, size: lanes) {
            // Every batch is `lanes` wide (the workspace's N): a short last batch repeats its first
            // example in the spare lanes, whose outputs are dropped.
            var chunk = Array(examples[range])
            while chunk.count < lanes { chunk.append(chunk[0]) }
            let b = PaddedBatch(chunk)
            let l = b.inputs.withUnsafeBufferPointer { i in
                b.lengths.withUnsafeBufferPointer { n in
                    (b.labels.isEmpty ? b.tags : b.labels).withUnsafeBufferPointer { y in
                        run(ws, i.baseAddress!, n.baseAddress!, y.baseAddress!, steps: b.time, real: range.count, scored: scored)
                    }
                }
            }
            total.sum += l.sum
            total.count += l.count
            out += read(ws, batch: b, real: range.count)
        }
        return (out, total)
    }

    /// One forward pass; the loss counts the first `real` examples only (the rest repeat one).
    private func run(_ ws: ExampleWorkspace, _ inputs: UnsafePointer<Int32>, _ lengths: UnsafePointer<Int32>,
                     _ y: UnsafePointer<Int32>, steps: Int, real: Int, scored: Bool) -> ChunkLoss {
        guard scored else {
            model.forward(params: params.pointer, ws: ws, inputs: inputs, lengths: lengths, steps: steps, dropout: nil)
            return ChunkLoss(sum: 0, count: 0)
        }
        // Spare lanes' targets become "ignored", so only the real examples are scored.
        let perLane = head.task == .tag ? steps : 1
        var masked = [Int32](repeating: -1, count: perLane * lanes)
        for r in 0..<perLane { for j in 0..<real { masked[r * lanes + j] = y[r * lanes + j] } }
        return masked.withUnsafeBufferPointer { m in
            model.loss(params: params.pointer, ws: ws, inputs: inputs, lengths: lengths,
                       targets: head.task.targets(m.baseAddress!, loss: head.loss), steps: steps)
        }
    }

    /// The predictions of the first `real` lanes, read from the logits the pass left.
    private func read(_ ws: ExampleWorkspace, batch b: PaddedBatch, real: Int) -> [ExamplePrediction] {
        let c = model.config.headSize, n = b.lanes, z = ws.logits.pointer
        return (0..<real).map { j in
            let rows = head.task == .tag ? (0..<Int(b.lengths[j])).map { t in t * n + j } : [j]
            var p = ExamplePrediction(ids: [], probabilities: [])
            for r in rows {
                let probs = Self.probabilities(z + r * c, count: c)
                p.probabilities.append(probs)
                p.ids.append(Int32(probs.indices.max { probs[$0] < probs[$1] } ?? 0))
            }
            return p
        }
    }

    /// Softmax of `count` logits, or [1 − σ(z), σ(z)] of one.
    static func probabilities(_ z: UnsafePointer<Float>, count: Int) -> [Float] {
        if count == 1 {
            let p = Float(1 / (1 + Foundation.exp(-Double(z[0]))))
            return [1 - p, p]
        }
        var m = -Float.infinity
        for k in 0..<count { m = max(m, z[k]) }
        var e = (0..<count).map { Foundation.exp(Double(z[$0] - m)) }
        let s = e.reduce(0, +)
        for k in e.indices { e[k] /= s }
        return e.map(Float.init)
    }

    /// Loss, predictions and the task's scores over `examples`.
    /// - Parameter ambiguous: per example and token, whether it is one of the built-in names'
    ///   ambiguous tokens (their accuracy is reported apart).
    public func score(_ examples: [EncodedExample], ambiguous: [[Bool]]? = nil) -> ExampleScores {
        let (predictions, loss) = predict(examples)
        var s = ExampleScores(loss: loss.count > 0 ? loss.sum / Double(loss.count) : nil, count: loss.count)
        switch head.task {
        case .classify:
            let gold = examples.map { e -> Int32 in if case .label(let l) = e.target { return l }; return -1 }
            s.classification = ClassificationScore(gold: gold, predicted: predictions.map { $0.ids[0] },
                                                   labelCount: head.labels.count)
        default:
            let gold = examples.map { e -> [String] in if case .tags(let t) = e.target { return t.map(name) }; return [] }
            let predicted = predictions.map { $0.ids.map(name) }
            // A sigmoid tagger's tags are `0` and `1`: `0` is outside every entity.
            s.chunks = ChunkScore(gold: gold, predicted: predicted, outside: head.loss == .sigmoid ? "0" : "O")
            if let ambiguous { s.ambiguous = SubsetAccuracy(gold: gold, predicted: predicted, selected: ambiguous) }
        }
        return s
    }

    /// The label string of an id.
    func name(_ id: Int32) -> String { head.labels.indices.contains(Int(id)) ? head.labels[Int(id)] : "\(id)" }
}
