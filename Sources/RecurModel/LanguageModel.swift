// LanguageModel: embedding → stacked recurrent layers (with optional dropout) → linear head, over
// one chunk, with the loss and the full backward pass.
import RecurMath

/// Addresses the dropout masks of one chunk, so that masks depend on (seed, step, global lane)
/// only and are identical however the lanes are split into shards.
public struct DropoutKey: Sendable {
    /// The run's seed.
    public var seed: UInt64
    /// The optimizer step the chunk belongs to.
    public var step: UInt64
    /// Global index of the chunk's first lane.
    public var firstLane: Int

    /// Creates a key.
    public init(seed: UInt64, step: UInt64, firstLane: Int) {
        self.seed = seed
        self.step = step
        self.firstLane = firstLane
    }
}

/// What the head's outputs are trained against.
public enum LossTargets {
    /// Class ids [T, N] for softmax cross-entropy (negative ids are ignored).
    case classes(UnsafePointer<Int32>)
    /// Binary targets [T, N, V] for sigmoid binary cross-entropy on every output.
    case binary(UnsafePointer<Float>)
}

/// The summed loss of a chunk and the number of targets it covered.
public struct ChunkLoss: Sendable, Equatable {
    /// Sum of per-token losses, in nats.
    public var sum: Double
    /// Number of scored targets.
    public var count: Int

    /// Creates a loss record.
    public init(sum: Double, count: Int) {
        self.sum = sum
        self.count = count
    }
}

/// A stacked recurrent language model: the computation, with parameters held outside it.
///
/// Parameters, gradients and the carried state are flat buffers owned by the caller, so one
/// model serves a trainer, a worker computing one shard, an evaluator and a sampler.
/// The carried state is lane-major, [N, L, S, H] with S = 2 (h, c) for the LSTM and 1 otherwise,
/// so each lane's state is one contiguous block.
public struct LanguageModel: Sendable {
    /// The architecture.
    public let config: ModelConfig
    /// Where each tensor lives in the flat vector.
    public let layout: ParameterLayout

    /// Creates the model of a configuration.
    /// - Throws: `ModelError.invalidConfig` when a size or option is out of range, or the
    ///   configuration is bidirectional, has a head other than the vocabulary, or is an
    ///   encoder–decoder's.
    public init(_ config: ModelConfig) throws {
        try config.validate()
        if config.bidirectional || config.headSize != config.vocab || config.isSeq2Seq {
            throw ModelError.invalidConfig("a language model reads one way and predicts tokens: "
                                           + "bidirectional and outputs are for example models")
        }
        self.config = config
        self.layout = ParameterLayout(config)
    }

    /// Runs the forward pass over `steps` time steps of `ws.lanes` lanes.
    ///
    /// On return `ws.logits` holds [T, N, V] logits and `state` holds the final state.
    /// - Parameters:
    ///   - params: the flat parameter vector.
    ///   - ws: buffers sized for at least `steps` × exactly N lanes.
    ///   - inputs: token ids [T, N].
    ///   - steps: `T`, at most `ws.steps`.
    ///   - state: [N, L, S, H], read as the initial state and overwritten with the final one.
    ///   - dropout: the mask key, or nil to run without dropout (evaluation).
    ///   - needs: called before each part of the pass with an offset `end`: the pass is about to
    ///     read `params[0..<end]` (the embedding and layer 0 first, then up to the end of each
    ///     layer, then all of it for the head), so a caller can fill `params` as it arrives.
    public func forward(params: UnsafePointer<Float>, ws: Workspace, inputs: UnsafePointer<Int32>, steps: Int,
                        state: UnsafeMutablePointer<Float>, dropout: DropoutKey?, needs: ((_ end: Int) -> Void)? = nil) {
        precondition(steps >= 1 && steps <= ws.steps && ws.config == config, "workspace does not fit the chunk")
        let cfg = config, n = ws.lanes, h = cfg.hidden, e = cfg.embed, tn = steps * n
        needs?(layerEnd(0))
        let pm = UnsafeMutablePointer(mutating: params)
        let emb = params + layout.offset("embedding.weight")
        let byToken = ws.readsTokens(steps: steps)
        for r in 0..<tn {
            let id = Int(inputs[r])
            precondition(id >= 0 && id < cfg.vocab, "token id \(id) outside the vocabulary of \(cfg.vocab)")
            if !byToken { (ws.embedded.pointer + r * e).update(from: emb + id * e, count: e) }
        }
        var x = UnsafePointer(ws.embedded.pointer)
        for k in 0..<cfg.layers {
            let a = ws.layers[k]
            if k > 0 { needs?(layerEnd(k)) }
            copyState(state, into: ws, layer: k, toWorkspace: true)
            let input: LayerInput = k == 0 && byToken ? .tokens(inputs, embedding: emb) : .dense(x)
            RecurrentLayer.forward(cfg, layer: k, a: a, ws: ws.shared, p: LayerParams(pm, layout: layout, layer: k),
                                   input: input, steps: steps)
            copyState(state, into: ws, layer: k, toWorkspace: false, steps: steps)
            x = UnsafePointer(a.hs.pointer + n * h)
            if let key = dropout, a.mask.count > 0 {
                fillMask(a.mask.pointer, lanes: n, layer: k, steps: steps, key: key)
                for i in 0..<tn * h { a.dropped.pointer[i] = x[i] * a.mask.pointer[i] }
                x = UnsafePointer(a.dropped.pointer)
            }
        }
        needs?(layout.count)
        LinearHead.forward(rows: tn, inputs: h, classes: cfg.vocab, x: x, w: params + layout.offset("head.weight"),
                           b: params + layout.offset("head.bias"), y: ws.logits.pointer)
    }

    /// The end of layer `k`'s parameters in the flat vector: the first parameter of layer k+1, or
    /// of the head after the last layer.
    func layerEnd(_ k: Int) -> Int { layout.end(ofLayer: k, layers: config.layers) }

    /// The summed loss of a chunk without gradients (the forward pass plus the loss).
    /// - Parameters: as `forward`, plus `targets`.
    /// - Returns: the summed loss and the number of scored targets.
    public func loss(params: UnsafePointer<Float>, ws: Workspace, inputs: UnsafePointer<Int32>, targets: LossTargets,
                     steps: Int, state: UnsafeMutablePointer<Float>) -> ChunkLoss {
        forward(params: params, ws: ws, inputs: inputs, steps: steps, state: state, dropout: nil)
        return headLoss(ws: ws, targets: targets, steps: steps, gradient: false)
    }

    func headLoss(ws: Workspace, targets: LossTargets, steps: Int, gradient: Bool) -> ChunkLoss {
        let rows = steps * ws.lanes, v = config.vocab
        switch targets {
        case .classes(let y):
            let r = SoftmaxCrossEntropy.lossSum(rows: rows, classes: v, logits: ws.logits.pointer, targets: y,
                                                gradient: gradient)
            return ChunkLoss(sum: r.loss, count: r.count)
        case .binary(let y):
            let z = ws.logits.pointer
            let s = SigmoidBinaryCrossEntropy.lossSum(count: rows * v, logits: z, targets: y, grad: gradient ? z : nil)
            return ChunkLoss(sum: s, count: rows)
        }
    }

    /// Copies layer `k`'s slice of the lane-major state into the workspace's row block 0, or
    /// its final row block (after `steps`) back out.
    func copyState(_ state: UnsafeMutablePointer<Float>, into ws: Workspace, layer k: Int, toWorkspace: Bool,
                   steps: Int = 0) {
        let n = ws.lanes, h = config.hidden, slots = config.stateSlots, per = config.stateFloatsPerLane
        let a = ws.layers[k]
        for j in 0..<n {
            for s in 0..<slots {
                let lane = state + j * per + (k * slots + s) * h
                let buf = (s == 0 ? a.hs.pointer : a.cs.pointer) + (steps * n + j) * h
                if toWorkspace { buf.update(from: lane, count: h) } else { lane.update(from: buf, count: h) }
            }
        }
    }

    /// Inverted-dropout mask of layer `k`'s outputs [T, N, H]: 0 with probability p, else 1/(1−p),
    /// keyed as `DropoutMask.fill` documents (direction 0).
    func fillMask(_ mask: UnsafeMutablePointer<Float>, lanes n: Int, layer k: Int, steps: Int, key: DropoutKey) {
        DropoutMask.fill(mask, hidden: config.hidden, probability: config.dropout, lanes: n, layer: k, steps: steps, key: key)
    }
}
