// RunConfig: what every role must agree on for a distributed run, carried as JSON in Welcome.
import Foundation
import RecurModel
import RecurTrain

/// How the parameter server applies gradients.
public enum UpdateMode: String, Codable, Sendable {
    /// Wait for every shard of a step, sum them in shard order, apply once (bit-identical to one
    /// process).
    case sync
    /// Apply each shard's gradient as it arrives, with bounded staleness.
    case async
}

/// The run's shared configuration: model, data layout, optimizer and timing.
public struct RunConfig: Codable, Sendable, Equatable {
    /// What the run trains; it fixes the shape of every shard.
    public var task: TaskKind = .lm
    /// The head's loss (classify and tag).
    public var loss: LossKind = .softmax
    /// The model architecture (vocab included).
    public var model: ModelConfig
    /// Parallel streams B.
    public var batch: Int
    /// Truncated-BPTT length T; for an example task, the longest example (every shard fits in it);
    /// for seq2seq, the longest source S.
    public var bptt: Int
    /// Seq2seq only: the longest target with its `<EOS>`, T (every shard's targets fit in it);
    /// absent from the JSON for every other task.
    public var targetSteps: Int? = nil
    /// Lanes per shard; B is a multiple.
    public var lanesPerShard: Int
    /// Optimizer steps of the run.
    public var totalSteps: Int
    /// Seed of initialisation and dropout.
    public var seed: UInt64
    /// Update rule and schedule.
    public var optimizer: OptimizerConfig
    /// Global-norm clip (0 disables).
    public var clip: Double
    /// Sync or async updates.
    public var mode: UpdateMode
    /// Async only: the most versions a gradient's weights may lag the server's.
    public var staleness: Int
    /// Time after which an unanswered shard is dealt again, in milliseconds.
    public var leaseTimeoutMs: Int
    /// How often idle peers send a heartbeat, in milliseconds.
    public var heartbeatIntervalMs: Int
    /// A resumed run: the step its checkpoint was written at (the server then takes its weights
    /// and optimizer state from the frames of the coordinator's Welcome).
    public var resumeStep: Int? = nil
    /// Parameter-server shards S: the parameter vector is cut into S slices (`ParameterShards`).
    public var psShards: Int = 1
    /// Workers and servers on one host exchange tensors through shared memory (sealed memfds)
    /// instead of TCP when they can; off (`--no-shared-memory`), everything goes over ZeroMQ.
    public var sharedMemory: Bool = true
    /// Fault injection for the test suite (`--fault-nan-at-step`, a hidden flag of the
    /// coordinator): the step whose gradients the workers poison with NaN. Travels here so a
    /// worker needs no flag or environment of its own; absent from the JSON when nil.
    public var faultNaNAtStep: Int? = nil
    /// The run's time budget in seconds (`--time-limit`), which the coordinator enforces, and the
    /// seconds a resumed run had already spent; absent without a limit.
    public var timeLimitSeconds: Double? = nil, spentSeconds: Double? = nil

    /// The slices the parameter servers serve.
    public var parameterShards: ParameterShards {
        get throws {
            do { return try ParameterShards(count: ParameterLayout(model).count, shards: psShards) } catch {
                throw RoleError.badConfig("\(error)")
            }
        }
    }

    /// The pieces gradients and weights travel in: by layer in sync mode (each leaves as soon as
    /// it is final), one per slice in async mode (each shard's update is applied whole).
    public var parameterPieces: ParameterPieces {
        get throws {
            ParameterPieces(layout: ParameterLayout(model), layers: model.layers, shards: try parameterShards,
                            byLayer: mode == .sync)
        }
    }

    /// Shards per step, B / lanesPerShard.
    public var shardCount: Int { batch / lanesPerShard }

    /// Floats of carried state per lane: a language model's `L·S·H`; none for whole examples.
    public var stateFloatsPerLane: Int { task == .lm ? model.stateFloatsPerLane : 0 }

    /// Creates a configuration.
    public init(model: ModelConfig, batch: Int, bptt: Int, lanesPerShard: Int, totalSteps: Int, seed: UInt64,
                optimizer: OptimizerConfig, clip: Double, mode: UpdateMode = .sync, staleness: Int = 0,
                leaseTimeoutMs: Int = 30_000, heartbeatIntervalMs: Int = 1_000) {
        self.model = model
        self.batch = batch
        self.bptt = bptt
        self.lanesPerShard = lanesPerShard
        self.totalSteps = totalSteps
        self.seed = seed
        self.optimizer = optimizer
        self.clip = clip
        self.mode = mode
        self.staleness = staleness
        self.leaseTimeoutMs = leaseTimeoutMs
        self.heartbeatIntervalMs = heartbeatIntervalMs
    }

    /// The configuration as compact JSON with sorted keys.
    public func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    /// Parses and checks a configuration.
    /// - Throws: `RoleError.badConfig` when the JSON is malformed or inconsistent.
    public static func parse(_ json: String) throws -> RunConfig {
        let c: RunConfig
        do { c = try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8)) } catch {
            throw RoleError.badConfig("run configuration JSON: \(error)")
        }
        do { try c.model.validate() } catch { throw RoleError.badConfig("\(error)") }
        guard c.batch > 0, c.bptt > 0, c.lanesPerShard > 0, c.batch % c.lanesPerShard == 0, c.totalSteps > 0 else {
            throw RoleError.badConfig("batch \(c.batch), bptt \(c.bptt), lanes per shard \(c.lanesPerShard), steps \(c.totalSteps) are inconsistent")
        }
        guard c.psShards == 1 || c.mode == .sync else {
            throw RoleError.badConfig("--ps-shards \(c.psShards) works in sync mode only (async updates are applied by one server)")
        }
        guard c.task != .lm || !c.model.bidirectional else { throw RoleError.badConfig("a language model cannot be bidirectional") }
        guard (c.task == .seq2seq) == c.model.isSeq2Seq, c.task != .seq2seq || (c.targetSteps ?? 0) >= 1 else {
            throw RoleError.badConfig("--task \(c.task.rawValue) does not fit the model (or a seq2seq run has no target length)")
        }
        _ = try c.parameterShards
        return c
    }
}

/// Errors of the distributed roles, each one line.
public enum RoleError: Error, CustomStringConvertible {
    /// The run configuration is unusable.
    case badConfig(String)
    /// A peer did not answer in time.
    case peerTimeout(String)
    /// Anything else that stops a role.
    case failed(String)
    /// The gradients stopped being finite (exit status 3, so a launcher can roll back).
    case diverged(String)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case .badConfig(let m): return "bad run configuration: \(m)"
        case .peerTimeout(let m): return m
        case .failed(let m): return m
        case .diverged(let m): return m
        }
    }
}

extension RunConfig {
    /// The distributed configuration of a single-process trainer's options, so both lay the
    /// arithmetic out identically.
    /// - Parameters:
    ///   - options: the training options.
    ///   - vocab: vocabulary size of the tokenizer built on the corpus.
    ///   - totalSteps: the run's length in steps.
    public init(options o: TrainOptions, vocab: Int, totalSteps: Int, mode: UpdateMode = .sync, staleness: Int = 0,
                leaseTimeoutMs: Int = 30_000, psShards: Int = 1) {
        let model = ModelConfig(cell: o.cell, activation: o.activation, hidden: o.hidden, layers: o.layers, embed: o.embed,
                                vocab: vocab, peephole: o.peephole, dropout: o.dropout)
        self.init(model: model, options: o, steps: o.bptt, totalSteps: totalSteps, mode: mode, staleness: staleness,
                  leaseTimeoutMs: leaseTimeoutMs, psShards: psShards)
    }

    /// The distributed configuration of a run of any task over `data`.
    public init(options o: TrainOptions, data: TaskData, totalSteps: Int, mode: UpdateMode = .sync, staleness: Int = 0,
                leaseTimeoutMs: Int = 30_000, psShards: Int = 1) {
        self.init(model: data.modelConfig(o), options: o, steps: data.maxSteps, totalSteps: totalSteps, mode: mode,
                  staleness: staleness, leaseTimeoutMs: leaseTimeoutMs, psShards: psShards)
        targetSteps = data.maxTargetSteps
    }

    init(model: ModelConfig, options o: TrainOptions, steps: Int, totalSteps: Int, mode: UpdateMode, staleness: Int,
         leaseTimeoutMs: Int, psShards: Int) {
        self.init(model: model, batch: o.batch, bptt: steps, lanesPerShard: o.resolvedLanesPerShard,
                  totalSteps: totalSteps, seed: o.seed,
                  optimizer: o.optimizerConfig(totalSteps: totalSteps),
                  clip: o.clip, mode: mode, staleness: staleness, leaseTimeoutMs: leaseTimeoutMs)
        self.psShards = psShards
        self.faultNaNAtStep = o.faultNaNAtStep
        self.task = o.task
        self.loss = o.loss
        self.timeLimitSeconds = o.timeLimit
    }
}
