// ModelFile: the model checkpoint file (model.safetensors) with its `recur.config` metadata.
import Foundation
import RecurMath
import RecurModel
import RecurData
import RecurIO

/// A model with its parameters and tokenizer, as stored in `model.safetensors`.
public struct SavedModel {
    /// The architecture.
    public let config: ModelConfig
    /// Where each tensor lives in `params`.
    public let layout: ParameterLayout
    /// Flat parameters in the layout's order.
    public let params: FloatBuffer
    /// The tokenizer whose ids the model reads.
    public let tokenizer: Tokenizer
    /// The task the model was trained for, its loss and its labels.
    public let head: TaskHead

    /// The language model, for the commands that need one (`sample`, `score`, `eval` of text).
    /// - Throws: `TrainError.badOption` for a classifier's or tagger's checkpoint.
    public func languageModel(for command: String) throws -> LanguageModel {
        guard head.task == .lm else {
            throw TrainError.badOption("\(command) needs a language model's checkpoint; this one is a --task \(head.task.rawValue) model")
        }
        return try LanguageModel(config)
    }
}

/// Encodes and decodes `model.safetensors`.
///
/// Tensors carry PyTorch's names and shapes; `__metadata__["recur.config"]` is a JSON object
/// with `cell`, `activation`, `hidden`, `layers`, `embed`, `tokenizer`, `vocab` (token strings in
/// id order), `peephole` and `dropout`, and for a classifier or tagger `task`, `loss`, `labels`
/// (in id order) and `bidirectional`; for an encoder–decoder `task`, `bidirectional`,
/// `target_tokenizer`, `target_vocab` (the target side's tokens in id order, `<BOS>` and `<EOS>`
/// after them) and `attention`, with `tokenizer` and `vocab` the source side's.
public enum ModelFile {
    /// The metadata key of the configuration.
    public static let configKey = "recur.config"

    /// `recur.config`: the model's architecture and the tokenizer's vocabulary. `activation`,
    /// `peephole` and `dropout` are optional when read (files written before they existed).
    struct StoredConfig: Codable {
        var cell: CellKind
        var activation: Activation?
        var hidden: Int
        var layers: Int
        var embed: Int
        var tokenizer: TokenizerKind
        /// Token strings in id order.
        var vocab: [String]
        var peephole: Bool?
        var dropout: Double?
        /// Absent for a language model (and in files written before tasks existed).
        var task: TaskKind?
        var loss: LossKind?
        var labels: [String]?
        var bidirectional: Bool?
        /// Seq2seq only: the target side's tokenizer and vocabulary, and the attention.
        var targetTokenizer: TokenizerKind?
        var targetVocab: [String]?
        var attention: AttentionKind?

        enum CodingKeys: String, CodingKey {
            case cell, activation, hidden, layers, embed, tokenizer, vocab, peephole, dropout, task, loss, labels, bidirectional
            case targetTokenizer = "target_tokenizer", targetVocab = "target_vocab", attention
        }
    }

    /// The configuration JSON stored in the metadata.
    public static func configJSON(_ c: ModelConfig, tokenizer: Tokenizer, head: TaskHead = .languageModel) throws -> String {
        let examples = head.task != .lm, pairs = head.task == .seq2seq
        let stored = StoredConfig(cell: c.cell, activation: c.activation, hidden: c.hidden, layers: c.layers, embed: c.embed,
                                  tokenizer: tokenizer.kind, vocab: tokenizer.vocabulary.tokens, peephole: c.peephole,
                                  dropout: Double(c.dropout), task: examples ? head.task : nil,
                                  loss: examples && !pairs ? head.loss : nil, labels: examples && !pairs ? head.labels : nil,
                                  bidirectional: examples ? c.bidirectional : nil,
                                  targetTokenizer: pairs ? head.targetTokenizer : nil, targetVocab: pairs ? head.targetVocab : nil,
                                  attention: pairs ? c.attention : nil)
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(stored), as: UTF8.self)
    }

    /// The bytes of `model.safetensors` for `params`.
    public static func encode(config: ModelConfig, params: FloatBuffer, tokenizer: Tokenizer,
                              head: TaskHead = .languageModel) throws -> [UInt8] {
        let views = ParameterLayout(config).specs.map { s in
            TensorView(name: s.name, shape: s.shape, values: UnsafeBufferPointer(start: params.pointer + s.offset, count: s.count))
        }
        return try SafeTensors.encode(views: views, metadata: [configKey: try configJSON(config, tokenizer: tokenizer, head: head)])
    }

    /// Decodes `model.safetensors` bytes, checking every tensor against the configuration.
    /// - Parameter origin: the path, for messages.
    /// - Throws: `TrainError.checkpoint` naming the path and the mismatch.
    public static func decode(_ bytes: [UInt8], origin: String) throws -> SavedModel {
        func fail(_ m: String) -> TrainError { .checkpoint("\(origin): \(m)") }
        let file: (tensors: [TensorRecord], metadata: [String: String])
        do { file = try SafeTensors.decode(bytes) } catch { throw fail("\(error)") }
        guard let json = file.metadata[configKey] else { throw fail("missing __metadata__[\"\(configKey)\"]") }
        let stored: StoredConfig
        do { stored = try JSONDecoder().decode(StoredConfig.self, from: Data(json.utf8)) } catch {
            throw fail("malformed recur.config (it needs cell, hidden, layers, embed, tokenizer and vocab): \(error)")
        }
        let vocab = stored.vocab, kind = stored.tokenizer
        var head = TaskHead(task: stored.task ?? .lm, loss: stored.loss ?? .softmax, labels: stored.labels ?? [])
        if head.task.hasLabels && (head.loss == .sigmoid ? head.labels.count != 2 : head.labels.count < 2) {
            throw fail("recur.config of a --task \(head.task.rawValue) model has \(head.labels.count) labels")
        }
        var target: SequenceCodec?
        if head.task == .seq2seq {
            guard stored.targetTokenizer != nil, stored.targetVocab != nil, stored.attention != nil else {
                throw fail("recur.config of a --task seq2seq model needs target_tokenizer, target_vocab and attention")
            }
            head.targetTokenizer = stored.targetTokenizer
            head.targetVocab = stored.targetVocab
            do { target = try head.targetCodec() } catch { throw fail("\(error)") }
        }
        let outputs: Int? = head.task.hasLabels ? (head.loss == .sigmoid ? 1 : head.labels.count) : nil
        let config = ModelConfig(cell: stored.cell, activation: stored.activation ?? .tanh, hidden: stored.hidden,
                                 layers: stored.layers, embed: stored.embed, vocab: vocab.count,
                                 peephole: stored.peephole ?? false, dropout: Float(stored.dropout ?? 0),
                                 bidirectional: stored.bidirectional ?? false, outputs: outputs,
                                 targetVocab: target?.size, attention: target == nil ? nil : stored.attention)
        do { try config.validate() } catch { throw fail("\(error)") }
        if config.bidirectional && head.task == .lm { throw fail("a language model cannot be bidirectional") }
        let layout = ParameterLayout(config)
        let tokenizer: Tokenizer
        do { tokenizer = Tokenizer(vocabulary: try Vocabulary(tokens: vocab, kind: kind), kind: kind) } catch {
            throw fail("bad vocabulary: \(error)")
        }
        // Every tensor is checked against the layout before the parameters are allocated, so a
        // configuration that names a model larger than the file holds allocates nothing.
        let byName = Dictionary(file.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let tensors = try layout.specs.map { s in
            guard let t = byName[s.name] else { throw fail("missing tensor \(s.name)") }
            guard t.shape == s.shape else { throw fail("tensor \(s.name) has shape \(t.shape), the config needs \(s.shape)") }
            return t
        }
        if file.tensors.count != layout.specs.count {
            let extra = Set(byName.keys).subtracting(layout.specs.map(\.name)).sorted()
            throw fail("unexpected tensors \(extra)")
        }
        let params = FloatBuffer(count: layout.count)
        for (s, t) in zip(layout.specs, tensors) {
            t.values.withUnsafeBufferPointer { (params.pointer + s.offset).update(from: $0.baseAddress!, count: s.count) }
        }
        return SavedModel(config: config, layout: layout, params: params, tokenizer: tokenizer, head: head)
    }

    /// Loads a model from a checkpoint folder or a run folder (its latest checkpoint),
    /// verifying the manifest's checksums when there is one.
    public static func load(checkpoint path: String) throws -> SavedModel {
        let dir = CheckpointStore.resolve(path)
        let file = (dir as NSString).appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: file) else {
            throw TrainError.checkpoint("\(path): no model.safetensors (expected a checkpoint folder or a run folder)")
        }
        let store = CheckpointStore(runDirectory: ((dir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        let manifest = (dir as NSString).appendingPathComponent("manifest.json")
        if FileManager.default.fileExists(atPath: manifest) {
            do {
                let files = try store.verify(checkpoint: dir)
                if let b = files["model.safetensors"] { return try decode(b, origin: file) }
            } catch let e as TrainError { throw e } catch { throw TrainError.checkpoint("\(error)") }
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TrainError.checkpoint("\(file): unreadable")
        }
        return try decode([UInt8](data), origin: file)
    }
}
