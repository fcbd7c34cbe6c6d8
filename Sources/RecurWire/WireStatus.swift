// WireStatus: the StatusRequest and StatusReply bodies — `recur status` asking a live
// coordinator how the run goes — and their protobuf-c conversions.
import CRecurProto

/// One worker as the coordinator sees it (`WorkerStatus`).
public struct WireWorkerStatus: Equatable, Sendable {
    /// The worker's name (its routing id).
    public var name: String
    /// The host it said it runs on.
    public var host: String
    /// "computing", "idle", or "gone: <why>".
    public var state: String
    /// The shard in hand, or nil.
    public var shard: Int?
    /// Results it reported.
    public var shardsDone: UInt64
    /// Target tokens per second of compute over those results.
    public var tokensPerSecond: Double
    /// Seconds since it was last heard from.
    public var secondsSinceHeard: Double

    /// Creates a row.
    public init(name: String, host: String, state: String, shard: Int?, shardsDone: UInt64, tokensPerSecond: Double,
                secondsSinceHeard: Double) {
        self.name = name
        self.host = host
        self.state = state
        self.shard = shard
        self.shardsDone = shardsDone
        self.tokensPerSecond = tokensPerSecond
        self.secondsSinceHeard = secondsSinceHeard
    }
}

/// One parameter-server slice as the coordinator sees it (`ServerStatus`).
public struct WireServerStatus: Equatable, Sendable {
    /// Slice index.
    public var slice: UInt32
    /// Where it serves ("" before it registers).
    public var endpoint: String
    /// The newest weights version it announced.
    public var version: UInt64
    /// Seconds since it was last heard from.
    public var secondsSinceHeard: Double

    /// Creates a row.
    public init(slice: UInt32, endpoint: String, version: UInt64, secondsSinceHeard: Double) {
        self.slice = slice
        self.endpoint = endpoint
        self.version = version
        self.secondsSinceHeard = secondsSinceHeard
    }
}

/// A snapshot of a run (`StatusReply`): what `recur status` prints.
public struct WireStatusReply: Equatable, Sendable {
    /// Steps done, and the run's length.
    public var step: UInt64, totalSteps: UInt64
    /// Estimated seconds left (0 before the second step).
    public var etaSeconds: Double
    /// Step of the newest checkpoint this coordinator wrote (0: none yet).
    public var lastCheckpointStep: UInt64
    /// The last step's mean training loss.
    public var loss: Double
    /// "waiting", "running", "reading weights" or "finished".
    public var state: String
    /// Registered workers, then departed ones, most recent first.
    public var workers: [WireWorkerStatus]
    /// One row per parameter slice.
    public var servers: [WireServerStatus]
    /// Shards dealt again after a lease expired; results dropped as duplicates or late.
    public var shardsRedealt: UInt64, duplicatesDropped: UInt64
    /// Shards leased and not yet done.
    public var leasesOutstanding: UInt32
    /// Periodic checkpoints skipped for lack of disk space: `lastCheckpointStep` is the newest
    /// that exists, and this says how many after it were not written.
    public var checkpointsSkipped: UInt64

    /// Creates a snapshot.
    public init(step: UInt64, totalSteps: UInt64, etaSeconds: Double, lastCheckpointStep: UInt64, loss: Double,
                state: String, workers: [WireWorkerStatus], servers: [WireServerStatus], shardsRedealt: UInt64,
                duplicatesDropped: UInt64, leasesOutstanding: UInt32, checkpointsSkipped: UInt64 = 0) {
        self.step = step
        self.totalSteps = totalSteps
        self.etaSeconds = etaSeconds
        self.lastCheckpointStep = lastCheckpointStep
        self.loss = loss
        self.state = state
        self.workers = workers
        self.servers = servers
        self.shardsRedealt = shardsRedealt
        self.duplicatesDropped = duplicatesDropped
        self.leasesOutstanding = leasesOutstanding
        self.checkpointsSkipped = checkpointsSkipped
    }
}

extension EnvelopeEncoder {
    /// Fills a StatusReply from `r`, every pointer owned by `arena`.
    static func statusReply(_ r: WireStatusReply, _ arena: CArena) -> UnsafeMutablePointer<Recur__StatusReply> {
        arena.make(Recur__StatusReply.self) { c in
            recur__status_reply__init(c)
            c.pointee.step = r.step
            c.pointee.total_steps = r.totalSteps
            c.pointee.eta_seconds = r.etaSeconds
            c.pointee.last_checkpoint_step = r.lastCheckpointStep
            c.pointee.loss = r.loss
            c.pointee.state = arena.string(r.state)
            c.pointee.shards_redealt = r.shardsRedealt
            c.pointee.duplicates_dropped = r.duplicatesDropped
            c.pointee.leases_outstanding = r.leasesOutstanding
            c.pointee.checkpoints_skipped = r.checkpointsSkipped
            c.pointee.n_workers = r.workers.count
            c.pointee.workers = arena.copy(r.workers.map { w in
                Optional(arena.make(Recur__WorkerStatus.self) { p in
                    recur__worker_status__init(p)
                    p.pointee.name = arena.string(w.name)
                    p.pointee.host = arena.string(w.host)
                    p.pointee.state = arena.string(w.state)
                    p.pointee.shard = Int64(w.shard ?? -1)
                    p.pointee.shards_done = w.shardsDone
                    p.pointee.tokens_per_second = w.tokensPerSecond
                    p.pointee.seconds_since_heard = w.secondsSinceHeard
                })
            })
            c.pointee.n_servers = r.servers.count
            c.pointee.servers = arena.copy(r.servers.map { s in
                Optional(arena.make(Recur__ServerStatus.self) { p in
                    recur__server_status__init(p)
                    p.pointee.slice = s.slice
                    p.pointee.endpoint = arena.string(s.endpoint)
                    p.pointee.version = s.version
                    p.pointee.seconds_since_heard = s.secondsSinceHeard
                })
            })
        }
    }
}

extension EnvelopeDecoder {
    /// The Swift value of a decoded StatusReply (absent sub-messages are skipped).
    static func statusReply(_ c: Recur__StatusReply) -> WireStatusReply {
        let workers = (0..<c.n_workers).compactMap { i -> WireWorkerStatus? in
            guard let p = c.workers?[i]?.pointee else { return nil }
            return WireWorkerStatus(name: string(p.name), host: string(p.host), state: string(p.state),
                                    shard: p.shard < 0 ? nil : Int(p.shard), shardsDone: p.shards_done,
                                    tokensPerSecond: p.tokens_per_second, secondsSinceHeard: p.seconds_since_heard)
        }
        let servers = (0..<c.n_servers).compactMap { i -> WireServerStatus? in
            guard let p = c.servers?[i]?.pointee else { return nil }
            return WireServerStatus(slice: p.slice, endpoint: string(p.endpoint), version: p.version,
                                    secondsSinceHeard: p.seconds_since_heard)
        }
        return WireStatusReply(step: c.step, totalSteps: c.total_steps, etaSeconds: c.eta_seconds,
                               lastCheckpointStep: c.last_checkpoint_step, loss: c.loss, state: string(c.state),
                               workers: workers, servers: servers, shardsRedealt: c.shards_redealt,
                               duplicatesDropped: c.duplicates_dropped, leasesOutstanding: c.leases_outstanding,
                               checkpointsSkipped: c.checkpoints_skipped)
    }
}
