// PaddedPairBatch: a shard of sentence pairs laid out time-major for an encoder–decoder.

/// n sentence pairs padded in the time-major layout the recurrent kernels read: the sources for
/// the encoder, the targets (each ending in eos) for the decoder's loss.
///
/// Every pair occupies one lane; step t of lane i is at `t * n + i`. Source positions past a
/// pair's length hold 0 (which is `<UNK>`'s id, so ``sourceLengths`` is what marks padding,
/// never the value); target positions past a pair's eos hold −1, the value losses and metrics
/// skip.
public struct PaddedPairBatch: Sendable, Equatable {
    /// Encoder steps S, the longest source of the batch.
    public let sourceSteps: Int
    /// Decoder steps T, the longest target of the batch plus one (its eos).
    public let targetSteps: Int
    /// Lanes n, one per pair.
    public let lanes: Int
    /// Source ids `[S, n]`, time-major; 0 at padded positions.
    public let source: [Int32]
    /// Each source's length `[n]`.
    public let sourceLengths: [Int32]
    /// Decoder targets `[T, n]`, time-major: each pair's target ids then eos, −1 after that.
    public let targets: [Int32]

    /// The target value at padded positions, ignored by losses and metrics.
    public static let ignoredTarget: Int32 = -1

    /// Pads `pairs` to the longest source and the longest target (plus eos).
    ///
    /// - Parameter eos: the target codec's ``SequenceCodec/eos``, appended to every target.
    /// - Precondition: at least one pair.
    public init(_ pairs: [EncodedPair], eos: Int32) {
        precondition(!pairs.isEmpty, "a batch needs at least one pair")
        let n = pairs.count
        let s = pairs.map(\.source.count).max() ?? 0
        let t = (pairs.map(\.target.count).max() ?? 0) + 1
        var source = [Int32](repeating: 0, count: s * n)
        var targets = [Int32](repeating: Self.ignoredTarget, count: t * n)
        var lengths: [Int32] = []
        lengths.reserveCapacity(n)
        for (lane, pair) in pairs.enumerated() {
            lengths.append(Int32(pair.source.count))
            for (step, id) in pair.source.enumerated() { source[step * n + lane] = id }
            for (step, id) in pair.target.enumerated() { targets[step * n + lane] = id }
            targets[pair.target.count * n + lane] = eos
        }
        self.sourceSteps = s
        self.targetSteps = t
        self.lanes = n
        self.source = source
        self.sourceLengths = lengths
        self.targets = targets
    }

    /// The decoder's inputs `[T, n]` for `targets` `[T, n]` (teacher forcing: each step reads the
    /// previous step's target): step 0 is `bos`; step t > 0 is `targets[t − 1]` where that is
    /// ≥ 0, else 0 (padding).
    ///
    /// The step right after a pair's eos therefore reads eos; its target is −1, so neither the
    /// loss nor the metrics see what the decoder makes of it.
    public static func decoderInputs(targets: [Int32], steps: Int, lanes: Int, bos: Int32) -> [Int32] {
        precondition(targets.count == steps * lanes, "targets must be [steps, lanes]")
        var inputs = [Int32](repeating: 0, count: steps * lanes)
        for lane in 0..<lanes where steps > 0 { inputs[lane] = bos }
        for step in 1..<max(steps, 1) {
            for lane in 0..<lanes {
                let previous = targets[(step - 1) * lanes + lane]
                inputs[step * lanes + lane] = previous >= 0 ? previous : 0
            }
        }
        return inputs
    }

    /// ``decoderInputs(targets:steps:lanes:bos:)`` of this batch.
    public func decoderInputs(bos: Int32) -> [Int32] {
        Self.decoderInputs(targets: targets, steps: targetSteps, lanes: lanes, bos: bos)
    }
}
