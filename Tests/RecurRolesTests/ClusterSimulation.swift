// ClusterSimulation: the three role machines wired together in memory (no sockets), with a
// controllable delivery order (shuffled, dropped and duplicated deliveries, seeded) and the ability
// to silence a worker, for end-to-end tests. Workers compute on `WorkerComputeThread`, as the
// process does, and what the computation reports is delivered like any other message.
import Foundation
import RecurData
import RecurMath
import RecurModel
import RecurRoles
import RecurTrain
import RecurWire

/// Drives a coordinator, S parameter servers (one per parameter slice) and N workers by passing
/// their messages through a queue; `pick` chooses which queued message is delivered next.
final class ClusterSimulation {
    enum Envelope { case toCoordinatorFromWorker(String, WireMessage), toCoordinatorFromPS(Int, WireMessage),
                    toPS(Int, String, WireMessage), toWorker(String, WireMessage), fromCompute(String, WorkerMachine.Event) }

    let coordinator: CoordinatorMachine
    let servers: [ParameterServerMachine]
    /// The first (or only) parameter server.
    var ps: ParameterServerMachine { servers[0] }
    var workers: [String: WorkerMachine] = [:]
    var computes: [String: WorkerCompute] = [:]
    var threads: [String: WorkerComputeThread] = [:]
    var queue: [Envelope] = []
    var silenced = Set<String>()
    var reports: [CoordinatorMachine.StepReport] = []
    /// The weights the coordinator handed out for evaluations and for checkpoints, in order.
    var evaluated: [CoordinatorMachine.StepWeights] = [], checkpointed: [CoordinatorMachine.StepWeights] = []
    /// Steps whose checkpoint the simulated runner skips for lack of space (`.checkpointSkipped`);
    /// every other one it reports written. The coordinator's status just before and just after
    /// each report, in order.
    var skippedCheckpoints = Set<Int>(), checkpointStatus: [(before: WireStatusReply, after: WireStatusReply)] = []
    /// For each reported step, whether the next step's shards were dealt before its report.
    var dealtBeforeReport: [Int: Bool] = [:]
    var finished = false
    var aborted: String?
    /// Peers the coordinator dismissed when the run ended, in order.
    var dismissed: [String] = []
    /// How many gradients to replace with NaN on their way to the parameter server.
    var poisonGradients = 0
    /// A worker whose first gradient slice for server 1 (from step 1 on) is lost, and who is then
    /// cut off: its shard reached server 0 only.
    var partiallyDelivered: String?
    var nowMs = 0
    var rng = SplitMix64(seed: 7)
    var shuffle = false
    /// Per mille of the gradient messages workers send that are lost (the shard's lease expires
    /// and it is dealt again).
    var dropPerMille: UInt64 = 0
    /// The most gradient messages lost in one run (each costs a lease expiry and the worker).
    var dropLimit = 1
    /// Per mille of the gradient and weights messages between workers and servers delivered twice.
    var duplicatePerMille: UInt64 = 0
    /// Deliveries dropped and duplicated so far.
    var dropped = 0, duplicated = 0
    /// Workers send each piece of a gradient as backpropagation finishes it (as the real worker
    /// does), each piece a message of its own in the queue; otherwise one frame per slice at the end.
    var streaming = false

    init(config: RunConfig, tokens: [Int32], layout: StreamLayout, schedule: RunSchedule? = nil) {
        let shards = config.psShards
        coordinator = CoordinatorMachine(runID: 1, config: config, psEndpoints: (0..<shards).map { "inproc://ps-\($0)" },
                                         tokens: tokens, layout: layout, schedule: schedule)
        servers = (0..<shards).map { ParameterServerMachine(runID: 1, name: "ps-\($0)") }
    }

    /// The whole parameter vector, gathered from every server's slice.
    var params: [Float] {
        servers.flatMap { s in Array(UnsafeBufferPointer(start: s.params!.pointer, count: s.params!.count)) }
    }

    func addWorker(_ name: String) {
        // A streaming worker starts on the first piece of its weights, as the process does.
        let w = WorkerMachine(runID: 1, name: name, pid: 1, hostname: "sim", threads: 1, startsEarly: streaming)
        workers[name] = w
        threads[name] = WorkerComputeThread()
        perform(worker: name, w.handle(.start))
    }

    func start() { perform(coordinator: coordinator.handle(.start(nowMs: nowMs))) }

    func perform(coordinator actions: [CoordinatorMachine.Action]) {
        var dealt = false
        for a in actions {
            switch a {
            case .toWorker(let id, let m):
                if case .task = m.body { dealt = true }
                queue.append(.toWorker(id, m))
            case .toPS(let k, let m): queue.append(.toPS(k, "coordinator", m))
            case .connectPS: break
            case .dismissWorker(let id, _, _): dismissed.append(id)
            case .dismissPS(let k, _, _): dismissed.append("ps-\(k)")
            case .stepDone(let r):
                reports.append(r)
                dealtBeforeReport[r.step] = dealt
            case .finished: finished = true
            case .abort(let reason), .fail(let reason), .peerTimeout(let reason): aborted = reason; finished = true
            case .evaluate(let w): evaluated.append(w)
            case .checkpoint(let w):
                checkpointed.append(w)
                let before = coordinator.status(nowMs: nowMs)
                let outcome: CoordinatorMachine.Event = skippedCheckpoints.contains(w.step) ? .checkpointSkipped(step: w.step)
                    : .checkpointWritten(step: w.step)
                perform(coordinator: coordinator.handle(outcome))
                checkpointStatus.append((before, coordinator.status(nowMs: nowMs)))
            case .log, .event: break
            }
        }
    }

    func perform(ps k: Int, _ actions: [ParameterServerMachine.Action]) {
        for a in actions {
            switch a {
            case .send(let to, let m): queue.append(to == "coordinator" ? .toCoordinatorFromPS(k, m) : .toWorker(to, m))
            case .proceed: perform(ps: k, servers[k].handle(.proceed(into: nil)))
            case .announce, .finished, .fail: break
            case .log, .event: break
            }
        }
    }

    func perform(worker id: String, _ actions: [WorkerMachine.Action]) {
        for a in actions {
            switch a {
            case .toCoordinator(let m), .heartbeat(let m): queue.append(.toCoordinatorFromWorker(id, m))
            case .toPS(let k, let m): queue.append(.toPS(k, id, m))
            case .configure(let c): computes[id] = try! WorkerCompute(config: c)
            case .compute(let t, let b, let s, _):
                threads[id]!.start(computes[id]!, task: t, shard: b, state: s, streams: streaming)
            case .handPiece(let p, let f): threads[id]!.hand(p, f)
            case .connectPS, .log, .event, .exit, .fail: break
            }
        }
    }

    /// Moves what the compute threads reported into the queue; with nothing else to deliver,
    /// waits for a running computation to report (a computation always does, or is cancelled).
    func collectComputeEvents() {
        let running = threads.filter { !silenced.contains($0.key) && $0.value.isRunning }
        if queue.isEmpty, let (_, t) = running.first { _ = t.wait(timeout: 30) }
        for (id, t) in threads.sorted(by: { $0.key < $1.key }) {
            for e in t.take() where !silenced.contains(id) { queue.append(.fromCompute(id, e)) }
        }
    }

    /// Cuts worker `id` off: nothing it sends or is sent arrives, and its computation gives up.
    func silence(_ id: String) {
        silenced.insert(id)
        threads[id]?.cancel()
    }

    func pipeName(_ e: Envelope) -> String {
        switch e {
        case .toCoordinatorFromWorker(let id, _): return "\(id)>coordinator"
        case .toCoordinatorFromPS(let k, _): return "ps-\(k)>coordinator"
        case .toPS(let k, let from, _): return "\(from)>ps-\(k)"
        case .toWorker(let id, let m): return "\(m.sender)>\(id)"
        case .fromCompute(let id, _): return "compute>\(id)"
        }
    }

    /// Delivers queued messages until the run finishes or `limit` deliveries were made.
    func run(limit: Int = 100_000, tickEvery: Int = 0) {
        var n = 0
        while !finished && n < limit {
            n += 1
            if tickEvery > 0 && n % tickEvery == 0 {
                nowMs += 1000
                perform(coordinator: coordinator.handle(.tick(nowMs: nowMs)))
            }
            collectComputeEvents()
            if queue.isEmpty {  // idle: let time pass until something happens (bounded)
                for _ in 0..<100 where queue.isEmpty {
                    nowMs += 1000
                    perform(coordinator: coordinator.handle(.tick(nowMs: nowMs)))
                }
                if queue.isEmpty { return }
                continue
            }
            // Random across pipes, first-in first-out within one (as ZeroMQ delivers).
            let pick = shuffle ? Int(rng.next() % UInt64(queue.count)) : 0
            let pipe = pipeName(queue[pick])
            let i = queue.firstIndex { pipeName($0) == pipe } ?? pick
            let e = queue.remove(at: i)
            switch e {
            case .toCoordinatorFromWorker(let id, let m):
                if silenced.contains(id) { continue }
                perform(coordinator: coordinator.handle(.fromWorker(id: id, m, nowMs: nowMs)))
            case .toCoordinatorFromPS(let k, let m): perform(coordinator: coordinator.handle(.fromPS(k, m, nowMs: nowMs)))
            case .toPS(let k, let from, var m):
                if silenced.contains(from) { continue }
                if from == partiallyDelivered, k == 1, case .gradient(let g) = m.body, g.step >= 1 {
                    silence(from)
                    continue
                }
                if case .gradient = m.body, from != "coordinator" {
                    if dropPerMille > 0, dropped < dropLimit, rng.next() % 1000 < dropPerMille {
                        dropped += 1
                        continue
                    }
                    duplicate(e)
                }
                if poisonGradients > 0, case .gradient = m.body, let g = try? m.frame(named: "gradient") {
                    poisonGradients -= 1
                    let nan = [Float](repeating: .nan, count: g.elementCount)
                    m.frames = m.frames.map { $0.name == "gradient" ? try! WireFrame(name: "gradient", shape: g.shape, offset: g.offset, floats: nan) : $0 }
                }
                perform(ps: k, servers[k].handle(.message(from: from, m)))
            case .toWorker(let id, let m):
                if silenced.contains(id) { continue }
                if case .weights = m.body { duplicate(e) }
                if m.sender.hasPrefix("ps") { perform(worker: id, workers[id]!.handle(.fromPS(m))) }
                else { perform(worker: id, workers[id]!.handle(.fromCoordinator(m))) }
            case .fromCompute(let id, let event):
                if silenced.contains(id) { continue }
                perform(worker: id, workers[id]!.handle(event))
            }
        }
    }

    /// Queues `e` once more, behind what its pipe holds, `duplicatePerMille` times in a thousand.
    func duplicate(_ e: Envelope) {
        guard duplicatePerMille > 0, rng.next() % 1000 < duplicatePerMille else { return }
        duplicated += 1
        queue.append(e)
    }
}
