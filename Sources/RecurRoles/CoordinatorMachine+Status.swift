// CoordinatorMachine+Status: the run as `recur status` (and the Prometheus exposition) shows it —
// built from the machine's own data, so a client can ask without touching the run.
import RecurWire

extension CoordinatorMachine.Core {
    /// Departed workers kept for `recur status` (a run that churns through workers keeps the newest).
    static let departedKept = 32

    /// Forgets worker `id` (it left, its lease expired, or it fell silent), keeping its row for
    /// `recur status` as gone.
    func depart(_ id: String, _ why: String, now: Int) {
        if let w = workers[id] {
            departed.insert(row(id, w, state: "gone: \(why)", now: now), at: 0)
            if departed.count > Self.departedKept { departed.removeLast() }
        }
        workers[id] = nil
        joinOrder.removeAll { $0 == id }
    }

    /// One worker's row.
    func row(_ id: String, _ w: WorkerInfo, state: String, now: Int) -> WireWorkerStatus {
        var shard: Int?
        if let lease = w.lease {
            shard = shards.indices.first { if case .leased(lease, id, _) = shards[$0] { return true }; return false }
        }
        return WireWorkerStatus(name: id, host: w.host, state: state, shard: shard, shardsDone: UInt64(w.shardsDone),
                                tokensPerSecond: w.computeMs > 0 ? Double(w.tokens) / (w.computeMs / 1000) : 0,
                                secondsSinceHeard: Double(max(0, now - w.lastSeenMs)) / 1000)
    }

    /// Whether the run's time budget is spent (the time of this process since it began dealing,
    /// plus what a resumed run had spent before).
    func timeUp(now: Int) -> Bool {
        guard let limit = config.timeLimitSeconds, let (ms, _) = startedAt else { return false }
        return Double(now - ms) / 1000 + (config.spentSeconds ?? 0) >= limit
    }

    /// The run now: what a StatusRequest is answered with.
    func status(now: Int) -> WireStatusReply {
        let live = joinOrder.compactMap { id in workers[id].map { row(id, $0, state: $0.lease == nil ? "idle" : "computing", now: now) } }
        let servers = psEndpoints.indices.map { k in
            WireServerStatus(slice: UInt32(k), endpoint: psEndpoints[k] ?? "", version: sliceVersions[k] ?? version ?? 0,
                             secondsSinceHeard: k < psHeardMs.count ? Double(max(0, now - psHeardMs[k])) / 1000 : 0)
        }
        var eta = 0.0
        if let (ms, first) = startedAt, step > first {
            eta = Double(now - ms) / 1000 / Double(step - first) * Double(max(0, schedule.totalSteps - step))
        }
        let stateWord: String
        switch state {
        case .waitingForServers: stateWord = "waiting"
        case .running: stateWord = "running"
        case .readingWeights: stateWord = "reading weights"
        case .finished: stateWord = "finished"
        }
        let outstanding = shards.filter { if case .leased = $0 { return true }; return false }.count
        return WireStatusReply(step: UInt64(step), totalSteps: UInt64(schedule.totalSteps), etaSeconds: eta,
                               lastCheckpointStep: UInt64(lastCheckpointStep), loss: lastLoss, state: stateWord,
                               workers: live + departed, servers: servers, shardsRedealt: UInt64(counters.expired),
                               duplicatesDropped: UInt64(counters.duplicates), leasesOutstanding: UInt32(outstanding),
                               checkpointsSkipped: UInt64(checkpointsSkipped))
    }
}
