// WorkerMachine: the worker's protocol logic as a closed state machine — join, gather weights,
// start leased shards, hand the computation each piece of the weights, send each piece of the
// gradient as it is done, report the result, heartbeat, and give a shard up when servers go silent.
import RecurIO
import RecurMath
import RecurModel
import RecurTrain
import RecurWire

/// A worker without sockets or threads. Its run loop turns I/O (sockets, the compute thread, the
/// clock) into events and performs the actions that come back; nothing else touches the machine,
/// and it is never re-entered while an action is being performed. Computing a shard is the action
/// `.compute`: the loop starts it elsewhere and feeds back what the computation says (a piece of
/// the weights is needed, a piece of the gradient is done, the shard is computed).
public final class WorkerMachine {
    /// What the machine reacts to.
    public enum Event {
        /// The loop has started: announce ourselves.
        case start
        /// The clock, in milliseconds on a monotonic clock; the loop sends it at least every poll
        /// interval (heartbeats, the coordinator's silence, a piece that does not come).
        case tick(nowMs: Int)
        /// A message from the coordinator.
        case fromCoordinator(WireMessage)
        /// A message from a parameter server.
        case fromPS(WireMessage)
        /// The computation of the shard in hand waits for piece `Int` of its weights.
        case pieceNeeded(Int)
        /// Backpropagation has finished one piece of the shard's gradient (`ParameterPieces`): send
        /// it now. `state` (the final carried state) comes with the piece at offset 0.
        case gradientPieceDone(WireFrame, lossSum: Double, tokens: Int, state: [Float]?)
        /// The computation of the shard in hand is over.
        case computed(ShardOutcome)
        /// The computation gave the shard in hand up before sending anything of it (a piece of its
        /// weights never came).
        case abandoned(String)
        /// A weights message from a server could not be read (its shared-memory slot already held
        /// a newer version): what was asked for is asked again.
        case weightsLost(String)
        /// A polite stop was asked for (SIGTERM).
        case stop
    }

    /// The outcome of computing one shard.
    public struct ShardOutcome: Equatable {
        /// The task computed.
        public var task: WireTask
        /// Summed gradient, one frame per parameter-server slice ([P_k] at the slice's offset),
        /// already as the frames they travel in; empty when it was sent piece by piece.
        public var gradients: [WireFrame]
        /// Final carried state [n, L, S, H].
        public var state: [Float]
        /// Summed loss.
        public var lossSum: Double
        /// Scored tokens.
        public var tokens: Int
        /// Compute time.
        public var computeMs: Double

        /// Creates an outcome.
        public init(task: WireTask, gradients: [WireFrame], state: [Float], lossSum: Double, tokens: Int, computeMs: Double) {
            self.task = task
            self.gradients = gradients
            self.state = state
            self.lossSum = lossSum
            self.tokens = tokens
            self.computeMs = computeMs
        }
    }

    /// What the run loop must do.
    public enum Action: Equatable {
        /// Send to the coordinator.
        case toCoordinator(WireMessage)
        /// Send a heartbeat to the coordinator, giving up quickly if it cannot leave.
        case heartbeat(WireMessage)
        /// Send to parameter-server slice `Int` (0-based).
        case toPS(Int, WireMessage)
        /// Connect to the parameter servers, one endpoint per slice in slice order.
        case connectPS(endpoints: [String])
        /// Build the model (and the data path's buffers) for this configuration.
        case configure(RunConfig)
        /// Start computing `task` on `shard` and its carried `state` with weights
        /// `task.weightVersion`, its gradient in reusable gradient buffer `gradientSlot` of the
        /// data path (nil: a private buffer). Pieces of the weights follow as `.handPiece`.
        case compute(task: WireTask, shard: ShardBatch, state: [Float], gradientSlot: Int?)
        /// Give the computation piece `Int` of its weights (the frame may hold more than the
        /// piece); nil when it will not come, and the computation gives the shard up.
        case handPiece(Int, WireFrame?)
        /// Write a log line.
        case log(String)
        /// Write a log line that names an event (`LogEvent`) with typed fields.
        case event(LogRecord)
        /// Leave the run.
        case exit
        /// Leave the run with an error (the coordinator went silent).
        case fail(String)
    }

    /// Where the worker is in its life; each case carries what is valid only there.
    enum State {
        /// Hello sent; no Welcome yet.
        case joining
        /// Welcomed, no shard being computed.
        case ready(Run)
        /// Welcomed, computing a shard.
        case computing(Run, Shard)
        /// Left the run.
        case gone
    }

    /// What a Welcome establishes, and what the worker holds for it.
    struct Run {
        var config: RunConfig
        var shards: ParameterShards
        var pieces: ParameterPieces
        /// The welcoming coordinator's incarnation.
        var incarnation: UInt64
        /// Complete weights, one frame per piece in piece order (a frame of a whole slice stands
        /// for each of its pieces).
        var weights: (version: UInt64, frames: [WireFrame])?
        /// Pieces received for the version being gathered, by piece index.
        var gathering: (version: UInt64, pieces: [Int: WireFrame])?
        /// The newest version asked for and not yet received.
        var asked: UInt64?
        /// The task leased to us and not yet started (one arriving while a shard is computed waits
        /// here for it).
        var pending: Lease?
        /// The weights version each gradient buffer's shard was computed on (nil: free).
        var slots: [UInt64?]
    }

    /// A task as the coordinator leased it.
    struct Lease {
        var task: WireTask, shard: ShardBatch, state: [Float]
    }

    /// The shard being computed.
    struct Shard {
        /// The task as computed (async: on the weights held, maybe newer than dealt).
        var task: WireTask
        /// Its lease, handed back when the shard is given up.
        var lease: UInt64
        /// Pieces of its weights already handed to the computation.
        var handed: Set<Int> = []
        /// The piece the computation waits for, and since when (reset by each server message).
        var needed: (piece: Int, sinceMs: Int)?
        /// A stop came while computing: leave once it is reported.
        var leaveAfter = false
    }

    /// The run's id.
    public let runID: UInt64
    /// This worker's name (also its routing id).
    public let name: String
    /// Sync: start a task as soon as the first piece of its weights is here and hand the rest to
    /// the computation as it arrives. Off, a task starts once all of its weights are here.
    public let startsEarly: Bool
    /// How long the coordinator may be silent before the worker gives up.
    public let peerTimeoutMs: Int
    /// How long the computation may wait for a piece of the weights while no server says
    /// anything: a version's pieces leave the servers in one burst, so a silence this long means a
    /// server is gone, and the shard is given up (its lease will be dealt again).
    public static let pieceTimeoutMs = 5_000
    var state = State.joining
    var sequence: UInt64 = 0
    /// The clock (nil before the first tick), and when we last heard from a peer and beat.
    var nowMs: Int?
    var lastHeardMs = 0, lastBeatMs = 0, heartbeatMs = 1_000
    /// Weights messages dropped because their frame fits no slice or piece of the layout (a
    /// server's bug or a hostile peer): nothing of them is kept.
    public internal(set) var refusedWeights = 0
    let pid: UInt32, hostname: String, threads: UInt32

    /// Creates a worker.
    /// - Parameters:
    ///   - startsEarly: see `startsEarly` (the process sets it; whole-weights starts are for tests).
    ///   - peerTimeoutMs: how long the coordinator may be silent.
    public init(runID: UInt64, name: String, pid: UInt32, hostname: String, threads: UInt32, startsEarly: Bool = false,
                peerTimeoutMs: Int = 60_000) {
        self.runID = runID
        self.startsEarly = startsEarly
        self.name = name
        self.pid = pid
        self.hostname = hostname
        self.threads = threads
        self.peerTimeoutMs = peerTimeoutMs
    }

    /// The configuration once welcomed.
    public var config: RunConfig? { run?.config }
    /// Version of the complete weights held (nil before the first).
    public var weightsVersion: UInt64? { run?.weights?.version }
    /// Complete weights held, one frame per piece in piece order.
    public var weights: [WireFrame]? { run?.weights?.frames }
    /// Whether a shard is being computed.
    public var isComputing: Bool { if case .computing = state { return true } else { return false } }

    /// The task leased to us and not yet started.
    var pending: Lease? { run?.pending }

    var run: Run? {
        switch state {
        case .ready(let r), .computing(let r, _): return r
        case .joining, .gone: return nil
        }
    }

    func message(_ body: WireBody, frames: [WireFrame] = []) -> WireMessage {
        sequence += 1
        return WireMessage(runID: runID, sender: name, sequence: sequence, body: body, frames: frames)
    }

    /// Reacts to one event.
    public func handle(_ event: Event) -> [Action] {
        if case .gone = state { return [] }
        switch event {
        case .start:
            return [.toCoordinator(message(.hello(WireHello(workerID: name, pid: pid, hostname: hostname, threads: threads))))]
        case .tick(let now): return tick(now)
        case .stop: return stop()
        case .fromCoordinator(let m):
            lastHeardMs = nowMs ?? 0
            return coordinatorMessage(m)
        case .fromPS(let m):
            lastHeardMs = nowMs ?? 0
            return psMessage(m)
        case .weightsLost(let why):
            guard var r = run else { return [.log("worker: \(why)")] }
            r.asked = nil  // the answer to it is gone: the next need asks again
            return [.log("worker: \(why); asking for the weights again")] + replaceRun(r)
        case .pieceNeeded(let p): return pieceNeeded(p)
        case .gradientPieceDone(let f, let loss, let tokens, let s): return gradientPieceDone(f, loss, tokens, s)
        case .computed(let o): return computed(o)
        case .abandoned(let why): return abandoned(why)
        }
    }

    func stop() -> [Action] {
        switch state {
        case .computing(let r, var s):  // leave after the task in hand is reported
            s.leaveAfter = true
            state = .computing(r, s)
            return []
        case .ready(let r): return leave(r)
        // Never welcomed: nothing to hand back, and the coordinator may be gone (a queued Leave
        // would hold the exit for the sockets' linger).
        case .joining, .gone:
            state = .gone
            return [.exit]
        }
    }

    func leave(_ r: Run) -> [Action] {
        state = .gone
        return [.toCoordinator(message(.leave(WireLeave(reason: "stopping", leaseID: r.pending?.task.leaseID)))), .exit]
    }

    /// Heartbeats, the coordinator's silence, and a piece of the weights that does not come.
    func tick(_ now: Int) -> [Action] {
        guard nowMs != nil else {
            (nowMs, lastHeardMs, lastBeatMs) = (now, now, now)
            return []
        }
        nowMs = now
        if now - lastHeardMs > peerTimeoutMs {  // the coordinator answers every heartbeat
            state = .gone
            return [.fail("no word from the coordinator for \(peerTimeoutMs) ms")]
        }
        var actions: [Action] = []
        if now - lastBeatMs >= heartbeatMs {
            lastBeatMs = now
            actions.append(.heartbeat(WireMessage(runID: runID, sender: name, sequence: 0,
                                                  body: .heartbeat(WireHeartbeat(nowMs: UInt64(now), state: "idle")))))
        }
        if case .computing(let r, var s) = state, let n = s.needed, now - n.sinceMs > Self.pieceTimeoutMs {
            s.needed = nil
            state = .computing(r, s)
            actions.append(.handPiece(n.piece, nil))
        }
        return actions
    }

    /// Stores `r` and, when no shard is being computed, starts the pending one if it can.
    func replaceRun(_ r: Run) -> [Action] {
        switch state {
        case .computing(_, let s):
            state = .computing(r, s)
            return handOver()
        default: return tryCompute(r)
        }
    }
}
