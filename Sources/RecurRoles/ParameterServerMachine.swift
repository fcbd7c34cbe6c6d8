// ParameterServerMachine: the parameter server's protocol logic as a pure state machine — accept
// each piece of each shard's gradient once, sum each piece over the shards in shard order, update
// and send the weights piece by piece. One server may serve one slice of the parameters
// (`--ps-shards`).
import RecurIO
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

/// The parameter server, without sockets: `handle(_:)` takes an event and returns the actions
/// the run loop must perform.
///
/// Peers are named by their routing ids. The coordinator configures the server with a Welcome
/// carrying the `RunConfig` and the index of the slice it serves; workers send Gradient messages
/// (frames: `gradient`, the whole slice [P_k] or one of its pieces (`ParameterPieces`) at its
/// offset, and with the frame that covers offset 0, `state` [n, L, S, H]); the server forwards
/// each shard's loss (and state) to the coordinator as a Result once every piece of it is in, so
/// the coordinator hears of a shard exactly once per slice, and only once its gradient is safe.
///
/// A sync update is applied piece by piece, first piece first: after each, the machine returns
/// the sends of that piece's weights and `.proceed(next piece)`, and the loop hands back
/// `.proceed(into:)`, with where that piece goes (the shared-memory slot the workers read), once
/// the sends are on their way. Nothing outside the machine writes into it.
///
/// Time comes in as `.tick` events: the machine decides when a registering server repeats its
/// Hello (`.announce`) and when the coordinator's silence ends it (`.fail`); the coordinator's
/// Leave ends the run (`.finished`).
///
/// With S > 1 slices, a step's update waits for the global gradient norm: the server sends its
/// blocks' sums of squares (NormPartial) to the coordinator, which answers every slice with the
/// total in block order (NormTotal); the bits are those of one process.
public final class ParameterServerMachine {
    /// What the machine reacts to.
    public enum Event {
        /// A decoded message from the peer with routing id `from`.
        case message(from: String, WireMessage)
        /// Go on with the update in progress (the loop has performed the actions before
        /// `.proceed`), writing the next piece's weights into `into` (memory the data path shares
        /// with the workers), or into a private copy when nil.
        case proceed(into: WeightsBuffer?)
        /// Time passed (milliseconds on a monotonic clock): announce the server while it
        /// registers, and give up on a silent coordinator.
        case tick(nowMs: Int)
    }

    /// Which weights the next step of an update writes: `count` values of `version` from element
    /// `offset`, so the loop can say where they go.
    public struct WeightsPiece: Equatable, Sendable {
        /// The version being written.
        public var version: UInt64
        /// The piece's first element within [P].
        public var offset: Int
        /// The piece's element count.
        public var count: Int
    }

    /// Memory an updated piece is written to, valid while its owner lives.
    public struct WeightsBuffer {
        /// Where the piece's first value goes (`count * 4` bytes follow).
        public var pointer: UnsafeMutableRawPointer
        /// Keeps `pointer` valid.
        public var owner: AnyObject

        /// Wraps a buffer.
        public init(_ pointer: UnsafeMutableRawPointer, owner: AnyObject) {
            self.pointer = pointer
            self.owner = owner
        }
    }

    /// What the run loop must do.
    public enum Action: Equatable {
        /// Send `message` to the peer with routing id `to`.
        case send(to: String, WireMessage)
        /// Write a log line.
        case log(String)
        /// Write a log line that names an event (`LogEvent`) with typed fields.
        case event(LogRecord)
        /// Perform the actions before this one, then hand the machine `.proceed(into:)` with
        /// where the piece named goes: the update is applied piece by piece, and each piece's
        /// weights are sent before the next is updated.
        case proceed(WeightsPiece)
        /// Send this registration Hello to the coordinator over the registration connection (best
        /// effort: a lost one is sent again).
        case announce(WireMessage)
        /// The coordinator dismissed the server: the run is over; stop serving.
        case finished
        /// Give up: the coordinator said nothing for `peerTimeoutMs`.
        case fail(String)
    }

    /// Counters of refused traffic, for logs and tests.
    public struct Counters: Equatable {
        /// Gradients for a shard already accepted.
        public var duplicates = 0
        /// Gradients for another step or weight version.
        public var stale = 0
        /// Gradients of the wrong shape.
        public var badShape = 0
        /// Gradients containing NaN or Inf.
        public var notFinite = 0
    }

    /// The run's id; messages carry it.
    public let runID: UInt64
    /// This server's name on the wire.
    public let name: String
    /// How long the coordinator may be silent (once it configured us, or while we register)
    /// before the server gives up.
    public let peerTimeoutMs: Int
    /// The Hello a server started by `recur launch` registers with (nil: it waits to be found).
    let announcement: WireHello?
    /// Where the server is: unconfigured, or serving with everything that holds only then.
    var state = State.unconfigured
    /// Refused traffic.
    public internal(set) var counters = Counters()
    var sequence: UInt64 = 0
    /// The clock of the last tick (nil before the first), when the coordinator last spoke, and
    /// when the last registration Hello left.
    var nowMs: Int?
    var heardMs = 0
    var announcedMs: Int?

    var serving: Serving? { if case .serving(let s) = state { return s } else { return nil } }
    /// Steps applied so far; also the weight version (0 before a configuration).
    public var version: UInt64 { serving?.version ?? 0 }
    /// The run configuration, once the coordinator has sent it.
    public var config: RunConfig? { serving?.config }
    /// Parameters of the served slice [P_k].
    public var params: FloatBuffer? { serving?.params }
    /// The slice served: its index and its element range within [P].
    public var slice: (index: Int, range: Range<Int>) { serving?.slice ?? (0, 0..<0) }
    /// The optimizer and its state.
    public var optimizer: Optimizer? { serving?.optimizer }
    /// The served slice's pieces (global ranges, in parameter order).
    public var pieces: [Range<Int>] { serving?.pieces ?? [] }
    var sum: FloatBuffer? { serving?.sum }
    var coordinator: String? { serving?.coordinator }
    /// The configuring coordinator's incarnation (0 before any).
    var incarnation: UInt64 { serving?.incarnation ?? 0 }
    var phase: Phase { serving?.phase ?? .collecting }
    var awaitingNorm: UInt64? { if case .awaitingNorm(let step) = phase { return step } else { return nil } }
    var finishing: Finishing? { if case .applying(let f) = phase { return f } else { return nil } }

    /// Creates a server for run `runID`.
    /// - Parameters:
    ///   - peerTimeoutMs: see `peerTimeoutMs`.
    ///   - announcing: the Hello to register with (`recur launch`): sent on the first tick, then
    ///     once a second until configured and every five seconds after, so a restarted
    ///     coordinator finds the server; its `psShard` is the only slice the server accepts.
    public init(runID: UInt64, name: String = "ps", peerTimeoutMs: Int = 120_000, announcing: WireHello? = nil) {
        self.runID = runID
        self.name = name
        self.peerTimeoutMs = peerTimeoutMs
        announcement = announcing
    }

    /// Reacts to one event.
    public func handle(_ event: Event) -> [Action] {
        switch event {
        case .message(let from, let m):
            if from == "coordinator" { heardMs = nowMs ?? heardMs }
            switch m.body {
            case .welcome(let w): return configure(from: from, w, frames: m.frames)
            case .gradient(let g): return gradient(from: from, g, m)
            case .weightsRequest(let r): return weightsRequest(from: from, r)
            case .normTotal(let t): return normTotal(t)
            case .leave where from == "coordinator": return [.finished]
            case .heartbeat, .hello, .leave: return []
            default: return [.log("ps: ignored \(m.body.kind) from \(from)")]
            }
        case .proceed(let into): return proceed(into: into)
        case .tick(let now): return tick(now)
        }
    }

    func message(_ body: WireBody, frames: [WireFrame] = []) -> WireMessage {
        sequence += 1
        return WireMessage(runID: runID, sender: name, sequence: sequence, body: body, frames: frames)
    }

    func configure(from peer: String, _ w: WireWelcome, frames: [WireFrame]) -> [Action] {
        if let registered = announcement?.psShard, w.psShard != registered {
            return [.log("ps: refused a configuration for slice \(w.psShard): registered for slice \(registered)")]
        }
        serving?.coordinator = peer
        let c: RunConfig
        do { c = try RunConfig.parse(w.configJSON) } catch { return [.log("ps: refused configuration: \(error)")] }
        var actions: [Action] = []
        if let s = serving, w.incarnation != s.incarnation {
            // A restarted coordinator: whatever this server held belongs to the run it replaced.
            actions.append(.event(LogRecord(.newCoordinator, "ps: a new coordinator (incarnation \(w.incarnation)); starting over from step \(c.resumeStep ?? 0)",
                                            [("incarnation", .int(Int(truncatingIfNeeded: w.incarnation))), ("step", .int(c.resumeStep ?? 0))])))
            state = .unconfigured
        }
        if let old = config {
            if old != c || Int(w.psShard) != slice.index { return [.log("ps: refused a second, different configuration")] }
        } else {
            let shards: ParameterShards
            do { shards = try c.parameterShards } catch { return [.log("ps: refused configuration: \(error)")] }
            guard Int(w.psShard) < shards.shards else {
                return [.log("ps: refused configuration for slice \(w.psShard) of \(shards.shards)")]
            }
            let range = shards.ranges[Int(w.psShard)]
            let whole = FloatBuffer(count: shards.count)
            ParameterInit.fill(whole, config: c.model, seed: c.seed)
            let p = FloatBuffer(count: range.count)
            p.pointer.update(from: whole.pointer + range.lowerBound, count: range.count)
            let o = Optimizer(config: c.optimizer, count: range.count)
            if let start = c.resumeStep {  // a resumed run: the checkpoint's weights and moments
                for (name, b) in [("params", p), ("m", o.m), ("v", o.v)] where b.count > 0 {
                    guard let f = frames.first(where: { $0.name == name }), f.elementCount == b.count, f.offset == range.lowerBound,
                          (try? f.copyFloats(into: UnsafeMutableBufferPointer(start: b.pointer, count: b.count))) != nil else {
                        return [.log("ps: resume configuration without a usable \(name) frame for slice \(w.psShard); refused")]
                    }
                }
                o.step = start
            }
            state = .serving(Serving(config: c, coordinator: peer, incarnation: w.incarnation, slice: (Int(w.psShard), range),
                                     params: p, optimizer: o, pieces: ((try? c.parameterPieces)?.pieces(in: range)) ?? [range],
                                     version: UInt64(c.resumeStep ?? 0)))
        }
        return actions + [.send(to: peer, message(.stepApplied(WireStepApplied(version: version, step: version, gradNorm: 0,
                                                                                    staleness: 0))))]
    }
}
