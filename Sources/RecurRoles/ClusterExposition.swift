// ClusterExposition: the coordinator's Prometheus families — the run's figures plus its cluster:
// workers alive, leases outstanding, shards dealt again, duplicates dropped, and per worker its
// results and rate — from the same snapshot `recur status` shows.
import RecurIO
import RecurTrain
import RecurWire

/// The cluster's part of the coordinator's exposition.
enum ClusterExposition {
    /// Families of `status` (the machine's snapshot).
    static func families(_ status: WireStatusReply) -> [PrometheusFamily] {
        let live = status.workers.filter { !$0.state.hasPrefix("gone") }
        return [
            .single("recur_workers_alive", help: "Workers registered with the coordinator.", Double(live.count)),
            .single("recur_leases_outstanding", help: "Shards leased to workers and not yet done.",
                    Double(status.leasesOutstanding)),
            .single("recur_shards_redealt_total", help: "Shards dealt again after their lease expired.", kind: .counter,
                    Double(status.shardsRedealt)),
            .single("recur_duplicates_dropped_total", help: "Results dropped as duplicates or late.", kind: .counter,
                    Double(status.duplicatesDropped)),
            PrometheusFamily(name: "recur_worker_shards_done_total", help: "Results each live worker reported.", kind: .counter,
                             samples: live.map { .init(labels: ["worker": $0.name], Double($0.shardsDone)) }),
            PrometheusFamily(name: "recur_worker_tokens_per_second", help: "Each live worker's compute rate (target tokens per compute second).",
                             kind: .gauge, samples: live.map { .init(labels: ["worker": $0.name], $0.tokensPerSecond) }),
        ]
    }
}
