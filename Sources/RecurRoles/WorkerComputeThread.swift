// WorkerComputeThread: where a worker's shard is computed, off the run loop, so the loop keeps
// serving sockets while backpropagation runs; the two meet only through a small locked channel.
import Foundation
#if os(Linux)
import CSharedMemory
#endif
import RecurModel
import RecurTrain
import RecurWire

/// Computes one shard at a time on a thread of its own and reports what happens as
/// `WorkerMachine` events, which the run loop collects with `take()` and hands to the machine.
///
/// The computation asks for each piece of the weights as its forward pass reaches it (posting
/// `.pieceNeeded`, then waiting until the loop performs `.handPiece`), and posts
/// `.gradientPieceDone` as each piece of the gradient is finished, then `.computed` or
/// `.abandoned`: in that order, so the loop sends every piece before the result.
public final class WorkerComputeThread: @unchecked Sendable {
    private let lock = NSCondition()
    /// Events posted for the loop, oldest first.
    private var posted: [WorkerMachine.Event] = []
    /// Pieces the loop has handed over for the shard in hand (nil: it will not come).
    private var handed: [Int: WireFrame?] = [:]
    /// Whether a shard is being computed.
    private var running = false
    /// Whether the computing thread holds a shard: from `start` until its last event is posted.
    /// Unlike `running`, `cancel` leaves it set: the computation may still be in BLAS.
    private var computing = false
    /// The shard the computing thread is to take next.
    private var pending: Job?
    /// Whether the computing thread exists (it ends after `idleSeconds` without a shard).
    private var threadAlive = false
    /// Called after each post, on the computing thread, to wake the loop.
    private let ring: @Sendable () -> Void

    /// Creates an idle compute thread.
    /// - Parameter ring: wakes the run loop (it then calls `take()`); called outside the lock.
    public init(ring: @escaping @Sendable () -> Void = {}) { self.ring = ring }

    /// What a shard computes into: the gradient buffer, and what keeps it alive.
    public struct Destination: @unchecked Sendable {
        /// Where the gradient [P] is computed.
        public var pointer: UnsafeMutablePointer<Float>
        /// Keeps `pointer` valid.
        public var owner: AnyObject

        /// Wraps a destination.
        public init(_ pointer: UnsafeMutablePointer<Float>, owner: AnyObject) {
            self.pointer = pointer
            self.owner = owner
        }
    }

    /// Starts computing `task` (`WorkerMachine.Action.compute`) with `compute`.
    /// - Parameters:
    ///   - streams: send each gradient piece as it is done (the worker does); off, the outcome
    ///     holds one frame per slice.
    ///   - destination: the data path's gradient buffer for the shard, if any.
    public func start(_ compute: WorkerCompute, task: WireTask, shard: ShardBatch, state: [Float],
                      streams: Bool = true, into destination: Destination? = nil) {
        let job = Job(compute: compute, task: task, shard: shard, state: state,
                      streams: streams, destination: destination)
        lock.lock()
        precondition(!running, "one shard at a time")
        running = true
        computing = true
        handed = [:]
        pending = job
        let idle = threadAlive
        threadAlive = true
        lock.broadcast()
        lock.unlock()
        guard !idle else { return }
        let thread = Thread { [self] in serve() }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// How long the computing thread waits for the next shard before it ends (a worker in a run
    /// gets its next shard within a step; a thread left by a finished test or run goes away).
    static let idleSeconds: TimeInterval = 5

    /// The computing thread: one long-lived thread computes every shard, so its per-thread state
    /// (malloc arena, BLAS buffers, warm caches) is set up once rather than for every shard.
    private func serve() {
        Self.yieldToTheLoop()
        while true {
            lock.lock()
            let limit = Date(timeIntervalSinceNow: Self.idleSeconds)
            while pending == nil { if !lock.wait(until: limit) { break } }
            guard let job = pending else {
                threadAlive = false
                lock.unlock()
                return
            }
            pending = nil
            lock.unlock()
            compute(job)
        }
    }

    /// The nice value of the computing thread, above the run loop's 0: when a finished piece of
    /// the gradient wakes the loop on a machine whose cores are all computing, the scheduler runs
    /// the loop (which sends the piece and goes back to waiting) ahead of the computation instead
    /// of after its time slice, so pieces leave when they are done.
    static let niceness: Int32 = 5

    /// Lowers the calling thread's priority to `niceness` (Linux sets it per thread).
    static func yieldToTheLoop() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(CSharedMemory.gettid()), niceness)
        #endif
    }

    /// Computes one shard and posts its events, the last of them `.computed` or `.abandoned`.
    private func compute(_ job: Job) {
        let event: WorkerMachine.Event
        let send: ((WireFrame, ChunkLoss, [Float]?) -> Void)? = job.streams ? { f, loss, s in
            // With RECUR_TRACE: when the piece could leave (the run loop sends it once woken).
            RoleSupport.trace("compute", "gradient piece done at \(f.offset)")
            self.post(.gradientPieceDone(f, lossSum: loss.sum, tokens: loss.count, state: s))
        } : nil
        do {
            event = .computed(try job.compute.run(
                task: job.task, shard: job.shard, state: job.state, version: job.task.weightVersion,
                piece: { self.piece($0) }, send: send,
                into: job.destination.map { ($0.pointer, $0.owner) }))
        } catch {
            event = .abandoned("step \(job.task.step) shard \(job.task.shard): \(error)")
        }
        post(event, last: true)
    }

    /// A shard's inputs, carried to the computing thread.
    private struct Job: @unchecked Sendable {
        var compute: WorkerCompute, task: WireTask, shard: ShardBatch, state: [Float]
        var streams: Bool, destination: Destination?
    }

    /// Hands piece `p` of the weights to the computation (`WorkerMachine.Action.handPiece`).
    public func hand(_ p: Int, _ frame: WireFrame?) {
        lock.lock()
        if running { handed[p] = .some(frame) }
        lock.broadcast()
        lock.unlock()
    }

    /// Refuses every piece still awaited (the worker is leaving): the shard gives up.
    public func cancel() {
        lock.lock()
        running = false
        lock.broadcast()
        lock.unlock()
    }

    /// `cancel`, then waits up to `seconds` for the shard in hand to end (a computation gives up at
    /// its next piece, or finishes its backward pass). The worker calls it before leaving `run()`:
    /// a computation still running when the process exits calls OpenBLAS after its destructor has
    /// torn it down (a SIGSEGV in `cblas_sgemm`), or writes into a shared segment already unmapped.
    /// - Parameter seconds: the longest wait.
    /// - Returns: whether the computing thread is idle.
    @discardableResult
    public func cancelAndWait(seconds: TimeInterval) -> Bool {
        let limit = Date(timeIntervalSinceNow: seconds)
        lock.lock()
        defer { lock.unlock() }
        running = false
        lock.broadcast()
        while computing { if !lock.wait(until: limit) { break } }
        return !computing
    }

    /// Every event posted since the last call, oldest first.
    public func take() -> [WorkerMachine.Event] {
        lock.lock()
        defer { lock.unlock() }
        let events = posted
        posted = []
        return events
    }

    /// Waits until an event is posted, for at most `timeout`; returns whether one is waiting.
    public func wait(timeout: TimeInterval) -> Bool {
        let limit = Date(timeIntervalSinceNow: timeout)
        lock.lock()
        defer { lock.unlock() }
        while posted.isEmpty { if !lock.wait(until: limit) { break } }
        return !posted.isEmpty
    }

    /// Whether a shard is being computed (its last event not yet posted).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    private func post(_ event: WorkerMachine.Event, last: Bool = false) {
        lock.lock()
        posted.append(event)
        if last { running = false; computing = false }
        lock.broadcast()
        lock.unlock()
        ring()
    }

    /// Piece `p`, once the loop hands it over; nil when it will not come.
    private func piece(_ p: Int) -> WireFrame? {
        lock.lock()
        if handed[p] == nil, running {
            posted.append(.pieceNeeded(p))
            lock.broadcast()
            lock.unlock()
            ring()
            lock.lock()
        }
        while handed[p] == nil, running { lock.wait() }
        defer { lock.unlock() }
        return handed[p] ?? nil
    }
}
