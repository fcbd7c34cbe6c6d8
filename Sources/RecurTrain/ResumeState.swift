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
    public let info: [String: Any]
    /// Verified file contents by name.
    let files: [String: [UInt8]]
    /// Newer checkpoints that failed verification, with why.
    public let skipped: [(path: String, error: String)]

    /// The flags that fix the model and the data, as `trainer.json` records them.
    public static func fixedFields(_ o: TrainOptions, vocab: Int) -> [String: Any] {
        [
            "corpus": o.corpus ?? "", "synthetic_sentences": o.syntheticSentences, "tokenizer": o.tokenizer.rawValue,
            "vocab_size": o.maxVocabulary ?? 0, "cell": o.cell.rawValue, "activation": o.activation.rawValue,
            "hidden": o.hidden, "layers": o.layers, "embed": o.embed ?? o.hidden, "peephole": o.peephole,
            "dropout": Double(o.dropout), "batch": o.batch, "bptt": o.bptt, "lanes_per_shard": o.resolvedLanesPerShard,
            "seed": String(o.seed), "val_fraction": o.valFraction, "vocab": vocab,
            "optimizer": o.optimizer.rawValue, "lr": o.resolvedLearningRate, "lr_decay": o.lrDecay,
            "lr_decay_every": o.lrDecayEvery, "clip": o.clip,
            "log_every": o.logEvery, "eval_every": o.evalEvery, "checkpoint_every": o.checkpointEvery, "keep": o.keep,
            "checkpoint_every_seconds": o.checkpointEverySeconds,
        ]
    }

    /// Fields a resume takes from the checkpoint unless the flag is given (it may change them).
    static let cadenceFlagOf: [String: String] = [
        "log_every": "--log-every", "eval_every": "--eval-every", "checkpoint_every": "--checkpoint-every", "keep": "--keep",
    ]

    /// Flag name of each fixed field.
    static let flagOf: [String: String] = [
        "corpus": "--corpus", "synthetic_sentences": "--synthetic-sentences", "tokenizer": "--tokenizer",
        "vocab_size": "--vocab-size", "cell": "--cell", "activation": "--activation", "hidden": "--hidden",
        "layers": "--layers", "embed": "--embed", "peephole": "--peephole", "dropout": "--dropout", "batch": "--batch",
        "bptt": "--bptt", "lanes_per_shard": "--lanes-per-shard", "seed": "--seed", "val_fraction": "--val-fraction",
        "optimizer": "--optimizer", "lr": "--lr", "lr_decay": "--lr-decay", "lr_decay_every": "--lr-decay-every",
        "clip": "--clip",
    ]

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
        guard let json = files["trainer.json"],
              let info = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let step = info["step"] as? Int else {
            throw TrainError.checkpoint("\(path)/trainer.json: missing or malformed")
        }
        self.path = path
        self.files = files
        self.skipped = skipped
        self.info = info
        self.step = step
    }

    /// The options of the resumed run: the checkpoint's model and data flags, the given values of
    /// everything else. A fixed flag given explicitly with another value is refused.
    /// - Parameter explicit: the flags that appeared on the command line.
    public func options(_ given: TrainOptions, explicit: Set<String>) throws -> TrainOptions {
        let mine = ResumeState.fixedFields(given, vocab: info["vocab"] as? Int ?? 0)
        let overrideLR = explicit.contains("--override-lr")
        for (key, flag) in ResumeState.flagOf where explicit.contains(flag) && !(flag == "--lr" && overrideLR) {
            let a = "\(info[key] ?? "")", b = "\(mine[key] ?? "")"
            if a != b {
                throw TrainError.badOption("\(flag) \(b) does not match the checkpoint's \(a) (\(path)); a resumed run keeps its model and data")
            }
        }
        var o = given
        o.corpus = (info["corpus"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        o.syntheticSentences = info["synthetic_sentences"] as? Int ?? o.syntheticSentences
        o.tokenizer = (info["tokenizer"] as? String).flatMap(TokenizerKind.init(rawValue:)) ?? o.tokenizer
        o.maxVocabulary = (info["vocab_size"] as? Int).flatMap { $0 == 0 ? nil : $0 }
        o.cell = (info["cell"] as? String).flatMap(CellKind.init(rawValue:)) ?? o.cell
        o.activation = (info["activation"] as? String).flatMap(Activation.init(rawValue:)) ?? o.activation
        o.hidden = info["hidden"] as? Int ?? o.hidden
        o.layers = info["layers"] as? Int ?? o.layers
        o.embed = info["embed"] as? Int
        o.peephole = info["peephole"] as? Bool ?? o.peephole
        o.dropout = Float(info["dropout"] as? Double ?? Double(o.dropout))
        o.batch = info["batch"] as? Int ?? o.batch
        o.bptt = info["bptt"] as? Int ?? o.bptt
        o.lanesPerShard = info["lanes_per_shard"] as? Int
        o.seed = (info["seed"] as? String).flatMap(UInt64.init) ?? o.seed
        o.valFraction = info["val_fraction"] as? Double ?? o.valFraction
        o.optimizer = (info["optimizer"] as? String).flatMap(OptimizerKind.init(rawValue:)) ?? o.optimizer
        if !overrideLR { o.learningRate = info["lr"] as? Double ?? o.learningRate }
        o.lrDecay = info["lr_decay"] as? Double ?? o.lrDecay
        o.lrDecayEvery = info["lr_decay_every"] as? Int ?? o.lrDecayEvery
        o.clip = info["clip"] as? Double ?? o.clip
        if !explicit.contains("--log-every") { o.logEvery = info["log_every"] as? Int ?? o.logEvery }
        if !explicit.contains("--eval-every") { o.evalEvery = info["eval_every"] as? Int ?? o.evalEvery }
        if !explicit.contains("--checkpoint-every") { o.checkpointEvery = info["checkpoint_every"] as? Int ?? o.checkpointEvery }
        if !explicit.contains("--keep") { o.keep = info["keep"] as? Int ?? o.keep }
        if !explicit.contains("--checkpoint-every-seconds") {
            o.checkpointEverySeconds = info["checkpoint_every_seconds"] as? Double ?? o.checkpointEverySeconds
        }
        if !explicit.contains("--steps") && !explicit.contains("--epochs") { o.steps = info["total_steps"] as? Int }
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
        guard saved.model.config == config else { throw TrainError.checkpoint("\(path): the model does not match the run's configuration") }
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
        guard saved.model.config == t.model.config, saved.tokenizer.vocabulary == t.data.tokenizer.vocabulary else {
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
        hidden.values.withUnsafeBufferPointer { t.engine.state.pointer.update(from: $0.baseAddress!, count: hidden.values.count) }
    }
}
