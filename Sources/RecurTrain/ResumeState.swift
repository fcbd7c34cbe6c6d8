// ResumeState: reading a checkpoint back — the newest valid one of a run — and continuing
// exactly where it stopped, refusing flags that would change the model or the data.
import Foundation
import RecurIO
import RecurMath
import RecurModel
import RecurData

/// What a checkpoint holds for continuing a run.
public struct ResumeState {
    /// The checkpoint folder read.
    public let path: String
    /// Steps done when it was written.
    public let step: Int
    /// `trainer.json`: step, total steps and the flags a resume may not change.
    public let trainer: TrainerState
    /// Verified file contents by name.
    let files: [String: [UInt8]]
    /// Newer checkpoints that failed verification, with why.
    public let skipped: [(path: String, error: String)]

    /// Reads the checkpoint to resume from: a run folder's newest valid checkpoint (falling back
    /// past corrupt ones), or a checkpoint folder itself.
    /// - Throws: `TrainError.checkpoint` naming the path and the failing check.
    /// - Returns: nil for a run folder with no checkpoint yet (the run starts again from step 0).
    public static func load(_ path: String) throws -> ResumeState? {
        let store = CheckpointStore(runDirectory: path)
        var isDir: ObjCBool = false
        if store.list().isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue,
           !FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("manifest.json")) {
            return nil
        }
        if !store.list().isEmpty {
            guard let found = store.newestValid() else {
                throw TrainError.checkpoint("\(path): no valid checkpoint to resume from")
            }
            return try ResumeState(path: found.path, files: found.files, skipped: found.skipped)
        }
        let parent = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        do {
            let files = try CheckpointStore(runDirectory: parent).verify(checkpoint: path)
            return try ResumeState(path: path, files: files, skipped: [])
        } catch let e as TrainError { throw e } catch { throw TrainError.checkpoint("\(error)") }
    }

    init(path: String, files: [String: [UInt8]], skipped: [(path: String, error: String)]) throws {
        guard let json = files["trainer.json"] else { throw TrainError.checkpoint("\(path)/trainer.json: missing") }
        do { trainer = try TrainerState.decode(json) } catch {
            throw TrainError.checkpoint("\(path)/trainer.json: malformed (\(error))")
        }
        self.path = path
        self.files = files
        self.skipped = skipped
        self.step = trainer.step
    }

    /// The options of the resumed run: the checkpoint's model and data flags, the given values of
    /// everything else. A fixed flag given explicitly with another value is refused.
    /// - Parameter explicit: the flags that appeared on the command line.
    public func options(_ given: TrainOptions, explicit: Set<String>) throws -> TrainOptions {
        let t = trainer
        let mine = TrainerState(options: given, vocab: t.vocab)
        let overrideLR = explicit.contains("--override-lr")
        for (flag, value) in TrainerState.fixed where explicit.contains(flag) && !(flag == "--lr" && overrideLR) {
            let a = value(t), b = value(mine)
            if a != b {
                throw TrainError.badOption("\(flag) \(b) does not match the checkpoint's \(a) (\(path)); a resumed run keeps its model and data")
            }
        }
        var o = given
        o.task = t.task ?? .lm
        o.loss = t.loss ?? .softmax
        o.bidirectional = t.bidirectional ?? false
        o.valCorpus = t.valCorpus
        o.sourceTokenizer = t.sourceTokenizer
        o.targetTokenizer = t.targetTokenizer ?? .char
        o.attention = t.attention ?? .general
        o.corpus = t.corpus.isEmpty ? nil : t.corpus
        o.syntheticSentences = t.syntheticSentences
        o.tokenizer = t.tokenizer
        o.maxVocabulary = t.vocabSize == 0 ? nil : t.vocabSize
        o.cell = t.cell
        o.activation = t.activation
        o.hidden = t.hidden
        o.layers = t.layers
        o.embed = t.embed
        o.peephole = t.peephole
        o.dropout = Float(t.dropout)
        o.batch = t.batch
        o.bptt = t.bptt
        o.lanesPerShard = t.lanesPerShard
        o.seed = UInt64(t.seed) ?? o.seed
        o.valFraction = t.valFraction
        o.optimizer = t.optimizer
        if !overrideLR { o.learningRate = t.lr }
        o.lrSchedule = t.lrSchedule ?? .step
        o.warmupSteps = t.warmupSteps ?? 0
        o.minLR = t.minLR ?? 0
        if !explicit.contains("--schedule-steps") { o.scheduleSteps = t.scheduleSteps }
        o.lrDecay = t.lrDecay
        o.lrDecayEvery = t.lrDecayEvery
        o.clip = t.clip
        if !explicit.contains("--log-every") { o.logEvery = t.logEvery }
        if !explicit.contains("--eval-every") { o.evalEvery = t.evalEvery }
        if !explicit.contains("--checkpoint-every") { o.checkpointEvery = t.checkpointEvery }
        if !explicit.contains("--keep") { o.keep = t.keep }
        if !explicit.contains("--checkpoint-every-seconds") { o.checkpointEverySeconds = t.checkpointEverySeconds }
        if !explicit.contains("--steps") && !explicit.contains("--epochs") { o.steps = t.totalSteps }
        if !explicit.contains("--time-limit") { o.timeLimit = t.timeLimit }
        return o
    }

    /// The checkpoint's tensors for a model of `config` and an optimizer of `kind`: weights,
    /// moments (empty buffers when the rule keeps none), the optimizer's step and the carried state.
    public func tensors(config: ModelConfig) throws -> (params: FloatBuffer, m: FloatBuffer, v: FloatBuffer,
                                                         optimizerStep: Int, hidden: [Float]) {
        guard let mb = files["model.safetensors"], let ob = files["optimizer.safetensors"], let sb = files["state.safetensors"] else {
            throw TrainError.checkpoint("\(path): model, optimizer or state file is missing")
        }
        let saved = try ModelFile.decode(mb, origin: "\(path)/model.safetensors")
        guard saved.config == config else { throw TrainError.checkpoint("\(path): the model does not match the run's configuration") }
        let opt = try SafeTensors.decode(ob)
        func buffer(_ name: String) -> FloatBuffer {
            opt.tensors.first { $0.name == name }.map { FloatBuffer($0.values) } ?? FloatBuffer(count: 0)
        }
        guard let hidden = try SafeTensors.decode(sb).tensors.first(where: { $0.name == "hidden" }) else {
            throw TrainError.checkpoint("\(path): state.safetensors has no hidden tensor")
        }
        return (saved.params, buffer("m"), buffer("v"), Int(opt.metadata["step"] ?? "") ?? step, hidden.values)
    }

    /// Copies the checkpoint's weights, optimizer state and carried state into `t`.
    func restore(into t: Trainer) throws {
        guard let m = files["model.safetensors"] else { throw TrainError.checkpoint("\(path): no model.safetensors") }
        let saved = try ModelFile.decode(m, origin: "\(path)/model.safetensors")
        guard saved.config == t.config, saved.head == t.data.head, saved.tokenizer.vocabulary == t.data.tokenizer.vocabulary else {
            throw TrainError.checkpoint("\(path): the model or vocabulary does not match this run's data")
        }
        t.params.copy(from: saved.params)
        guard let ob = files["optimizer.safetensors"], let sb = files["state.safetensors"] else {
            throw TrainError.checkpoint("\(path): optimizer.safetensors or state.safetensors is missing")
        }
        let opt = try SafeTensors.decode(ob)
        for tensor in opt.tensors {
            let target = tensor.name == "m" ? t.optimizer.m : t.optimizer.v
            guard tensor.values.count == target.count else { throw TrainError.checkpoint("\(path): optimizer \(tensor.name) has the wrong size") }
            tensor.values.withUnsafeBufferPointer { target.pointer.update(from: $0.baseAddress!, count: target.count) }
        }
        t.optimizer.step = Int(opt.metadata["step"] ?? "") ?? step
        let hidden = try SafeTensors.decode(sb).tensors.first { $0.name == "hidden" }
        guard let hidden, hidden.values.count == t.engine.state.count else {
            throw TrainError.checkpoint("\(path): state.safetensors does not match B × L × S × H")
        }
        for (i, x) in hidden.values.enumerated() { t.engine.state[i] = x }
    }
}

/// What a resume reads back from a `metrics.jsonl` line: its `step` (to drop the lines past the
/// checkpoint) and its losses (what a complete run reports without training again).
struct MetricsLineStep: Decodable {
    /// The step the line reports.
    var step: Int
    /// The step's training loss.
    var loss: Double?
    /// The validation loss, on an evaluation step.
    var valLoss: Double?
    /// Training tokens and seconds since the run began.
    var tokens: Int?, seconds: Double?

    enum CodingKeys: String, CodingKey { case step, loss, valLoss = "val_loss", tokens, seconds }
}
