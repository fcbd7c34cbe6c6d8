// StreamLayout: char-rnn style split of a token array into B parallel streams cut in T-step chunks.

/// How a token array is laid out as `batch` parallel streams read `bptt` steps at a time.
///
/// With `k = (tokenCount − 1) / batch` tokens per stream, stream `b` reads input positions
/// `b·k ..< b·k + k`, and the target of each input is the token after it. Chunk `c` of every
/// stream covers stream offsets `c·T ..< c·T + T`; there are `k / T` chunks per epoch, and
/// the tail of each stream that does not fill a whole chunk is not used. Consecutive chunks
/// continue each stream, so hidden state may be carried across them within an epoch.
public struct StreamLayout: Sendable, Equatable {
    /// Number of parallel streams (B).
    public let batch: Int
    /// Number of time steps per chunk (T), the truncated back-propagation length.
    public let bptt: Int
    /// Tokens per stream (k).
    public let streamLength: Int
    /// Number of whole chunks per epoch (`k / T`).
    public let chunksPerEpoch: Int
    /// The token count the layout was computed for.
    public let tokenCount: Int

    /// Lays out `tokenCount` tokens as `batch` streams of `bptt`-step chunks.
    ///
    /// - Throws: ``CorpusError/tooShort(needed:have:batch:bptt:)`` when
    ///   not even one chunk fits, that is when `tokenCount < batch·bptt + 1`.
    /// - Precondition: `batch > 0`, `bptt > 0`, `tokenCount >= 0`.
    public init(tokenCount: Int, batch: Int, bptt: Int) throws {
        precondition(batch > 0 && bptt > 0, "batch and bptt must be positive")
        precondition(tokenCount >= 0, "token count cannot be negative")
        let k = max(tokenCount - 1, 0) / batch
        let chunks = k / bptt
        if chunks < 1 {
            let (product, overflow) = batch.multipliedReportingOverflow(by: bptt)
            throw CorpusError.tooShort(needed: overflow ? Int.max : product + 1,
                                       have: tokenCount, batch: batch, bptt: bptt)
        }
        self.batch = batch
        self.bptt = bptt
        self.streamLength = k
        self.chunksPerEpoch = chunks
        self.tokenCount = tokenCount
    }

    /// Writes chunk `chunk` of the streams `lanes` as time-major `[T, n]` arrays, `n = lanes.count`.
    ///
    /// `inputs[t·n + j] = tokens[lane_j·k + chunk·T + t]` and `targets[t·n + j]` is the token
    /// after it, where `lane_j = lanes.lowerBound + j`. Both buffers must hold `T·n` values.
    /// Epoch wrap-around is the caller's: use `step % chunksPerEpoch` and zero the hidden state
    /// when it returns to 0.
    ///
    /// - Precondition: `chunk` in `0..<chunksPerEpoch`, `lanes` within `0..<batch`, and
    ///   `tokens` holds at least `batch·k + 1` values (normally all `tokenCount`).
    public func fill(chunk: Int, lanes: Range<Int>, from tokens: UnsafeBufferPointer<Int32>,
                     inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        precondition((0..<chunksPerEpoch).contains(chunk), "chunk \(chunk) outside 0..<\(chunksPerEpoch)")
        precondition(lanes.lowerBound >= 0 && lanes.upperBound <= batch, "lanes \(lanes) outside 0..<\(batch)")
        precondition(tokens.count >= batch * streamLength + 1, "token buffer shorter than the layout")
        guard let base = tokens.baseAddress else { return }
        let n = lanes.count
        let k = streamLength
        let offset = chunk * bptt
        for j in 0..<n {
            let source = base + (lanes.lowerBound + j) * k + offset
            var destination = j
            for t in 0..<bptt {
                inputs[destination] = source[t]
                targets[destination] = source[t + 1]
                destination += n
            }
        }
    }

    /// Convenience over ``fill(chunk:lanes:from:inputs:targets:)`` returning new arrays.
    public func chunk(_ chunk: Int, lanes: Range<Int>, from tokens: [Int32]) -> (inputs: [Int32], targets: [Int32]) {
        let size = bptt * lanes.count
        var inputs = [Int32](repeating: 0, count: size)
        var targets = [Int32](repeating: 0, count: size)
        tokens.withUnsafeBufferPointer { source in
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { o in
                    if let ip = i.baseAddress, let op = o.baseAddress {
                        fill(chunk: chunk, lanes: lanes, from: source, inputs: ip, targets: op)
                    }
                }
            }
        }
        return (inputs, targets)
    }

    /// Splits `tokens` into a training prefix and a validation suffix.
    ///
    /// The last `round(count · valFraction)` tokens are the validation set and the rest the
    /// training set; `valFraction` 0 gives an empty validation set.
    ///
    /// - Precondition: `valFraction` is in `0...1`.
    public static func split(tokens: [Int32], valFraction: Double) -> (train: [Int32], val: [Int32]) {
        precondition(valFraction >= 0 && valFraction <= 1, "valFraction \(valFraction) outside 0...1")
        let valCount = min(tokens.count, Int((Double(tokens.count) * valFraction).rounded()))
        let cut = tokens.count - valCount
        return (Array(tokens[..<cut]), Array(tokens[cut...]))
    }
}
