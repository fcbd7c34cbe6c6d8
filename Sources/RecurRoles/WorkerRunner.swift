// WorkerRunner: the worker's run loop — a DEALER to the coordinator and one to each parameter
// server slice; it performs the machine's actions and computes shards when told to.
import Foundation
import RecurModel
import RecurTransport
import RecurWire

/// Runs a worker until the coordinator ends the run, a stop is requested, or no coordinator
/// answers within the peer timeout.
public final class WorkerRunner {
    let machine: WorkerMachine
    let coordinatorEndpoint: String
    let runID: UInt64
    let name: String
    let threads: Int
    let peerTimeoutMs: Int
    let security: RoleSecurity
    /// The shared-memory data path with the servers on this host.
    let links = WorkerSharedLinks()

    /// Prepares a worker called `name` that will connect to `coordinator`.
    /// - Throws: `RoleError.badConfig` for plain TCP off loopback without `insecure`.
    public init(coordinator: String, name: String, runID: UInt64, threads: Int, peerTimeoutMs: Int = 60_000,
                security: RoleSecurity = .plain) throws {
        try security.checkPlainTCP(coordinator)
        self.security = security
        self.coordinatorEndpoint = coordinator
        self.name = name
        self.runID = runID
        self.threads = threads
        self.peerTimeoutMs = peerTimeoutMs
        machine = WorkerMachine(runID: runID, name: name, pid: UInt32(getpid()),
                                hostname: ProcessInfo.processInfo.hostName, threads: UInt32(threads))
        machine.startsEarly = true
    }

    /// Sends `m` to slice `k`'s server; a failure is logged (the lease will be dealt again).
    func send(_ m: WireMessage, toPS k: Int, _ ps: [ZSocket]) {
        guard k < ps.count else { return }
        do { try ps[k].send(links.outgoing(m, toPS: k)) } catch {
            RoleSupport.log(name, "could not reach parameter server \(k): \(error)")
        }
        if case .gradient = m.body, let f = m.frames.first {
            RoleSupport.trace(name, "sent gradient piece at \(f.offset) to ps \(k)")
        } else {
            RoleSupport.trace(name, "sent \(m.body.kind) to ps \(k)")
        }
    }

    /// How long a worker waits for the next piece of the weights it computes with while no server
    /// says anything: a version's pieces leave the servers in one burst, so a silence this long
    /// means a server is gone, and the shard is given up (its lease will be dealt again) rather
    /// than holding the worker away from its coordinator.
    static let pieceTimeoutMs = 5_000

    /// How long a leaving worker's sockets keep trying to deliver what is queued.
    static let exitLinger: Duration = .seconds(2)

    /// Waits until piece `p` of weights version `version` is here, handing the machine every
    /// message the servers send meanwhile; nil when it cannot come (a newer version replaced it,
    /// or the servers were silent for `pieceTimeoutMs`).
    func awaitPiece(_ p: Int, version: UInt64, ps: [ZSocket], queue: inout [WorkerMachine.Action]) -> WireFrame? {
        let started = DispatchTime.now().uptimeNanoseconds
        var deadline = RoleSupport.nowMs() + Self.pieceTimeoutMs
        var waited = false
        while true {
            if let f = machine.weightsPiece(p, version: version) {
                // Counted as time outside compute by bench/step_breakdown.py.
                if waited { RoleSupport.trace(name, String(format: "waited %.3f ms for weights piece %d",
                                                            Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6, p)) }
                return f
            }
            waited = true
            guard machine.mayStillReceive(version: version), RoleSupport.nowMs() < deadline,
                  let ready = try? ZPoller(ps).poll(deadline: .milliseconds(RoleSupport.pollIntervalMs)) else { return nil }
            for i in ready {
                guard let m = try? receive(fromPS: i, ps[i], queue: &queue) else { continue }
                RoleSupport.trace(name, "received \(m.body.kind) from ps \(i) while computing")
                deadline = RoleSupport.nowMs() + Self.pieceTimeoutMs  // the servers are alive: keep waiting
                queue += machine.handle(.fromPS(m))
            }
        }
    }

    /// One waiting message from slice `k`'s server, read through the shared-memory links (nil when
    /// it did not decode): each direction's switch is logged, and weights the server replaced
    /// before they were read are asked for again.
    /// - Throws: `TransportError` from the receive itself.
    func receive(fromPS k: Int, _ socket: ZSocket, queue: inout [WorkerMachine.Action]) throws -> WireMessage? {
        let lost = links.inbox.reused
        guard let m = try socket.receiveMessage(deadline: .zero, routed: false, run: runID, role: name, from: "ps",
                                                shared: links.inbox)?.message else {
            if links.inbox.reused != lost {
                queue += machine.handle(.weightsLost("weights from ps \(k) were replaced before they were read"))
            }
            return nil
        }
        for line in links.received(m, fromPS: k) { RoleSupport.log(name, line) }
        return m
    }

    /// Connects and works.
    /// - Throws: `TransportError`, or `RoleError.peerTimeout` when no coordinator welcomes us.
    public func run() throws {
        let context = try ZContext()
        let coordinator = try RoleSupport.socket(context, .dealer, identity: name, security: security.client)
        try coordinator.connect(coordinatorEndpoint)
        var ps: [ZSocket] = []
        var compute: WorkerCompute?
        var heartbeatMs = 1_000, lastHeartbeat = RoleSupport.nowMs(), lastHeard = RoleSupport.nowMs()
        var stopSent = false
        var queue = machine.handle(.start)
        while true {
            while !queue.isEmpty {
                let action = queue.removeFirst()
                switch action {
                case .toCoordinator(let m):
                    try? coordinator.send(m)
                case .toPS(let k, let m):
                    send(m, toPS: k, ps)
                case .connectPS(let endpoints):
                    ps.forEach { $0.close() }  // a new coordinator may name other servers
                    ps = []
                    links.reset()
                    for endpoint in endpoints {
                        try security.checkPlainTCP(endpoint)
                        let s = try RoleSupport.socket(context, .dealer, identity: name, security: security.client)
                        try s.connect(endpoint)
                        ps.append(s)
                    }
                case .configure(let c):
                    compute = try WorkerCompute(config: c)
                    if let line = links.configure(c, name: name) { RoleSupport.log(name, line) }
                    heartbeatMs = c.heartbeatIntervalMs
                    RoleSupport.log(name, "welcomed: \(c.model.cell.rawValue) H=\(c.model.hidden), \(c.lanesPerShard) lanes per shard")
                case .compute(let task, let inputs, let targets, let state):
                    guard let compute else { continue }
                    RoleSupport.trace(name, "compute start step \(task.step) shard \(task.shard)")
                    // A task for version v is dealt once the server has reached v (sync: it has
                    // then read every gradient of v - 1).
                    links.beginShard(version: task.weightVersion, newest: max(task.weightVersion, machine.weightsVersion ?? 0))
                    // The weights' pieces are read as the forward pass reaches them (the rest may
                    // still be on its way), and each piece of the gradient leaves as soon as
                    // backpropagation has finished it.
                    let piece: (Int) -> WireFrame? = { p in
                        self.awaitPiece(p, version: task.weightVersion, ps: ps, queue: &queue)
                    }
                    let sendPiece = { (piece: WireFrame, loss: ChunkLoss, finalState: [Float]?) in
                        for action in self.machine.handle(.gradientPiece(task: task, frame: piece, lossSum: loss.sum,
                                                                         tokens: loss.count, state: finalState)) {
                            if case .toPS(let k, let m) = action { self.send(m, toPS: k, ps) } else { queue.append(action) }
                        }
                    }
                    let outcome: WorkerMachine.ShardOutcome
                    do {
                        outcome = try compute.run(task: task, inputs: inputs, targets: targets, state: state,
                                                  version: task.weightVersion, piece: piece, send: sendPiece,
                                                  into: links.gradientDestination())
                    } catch let e as WorkerCompute.Abandoned {
                        queue += machine.handle(.abandoned("step \(task.step) shard \(task.shard): \(e)"))
                        continue
                    }
                    RoleSupport.trace(name, "compute end")
                    queue += machine.handle(.computed(outcome))
                case .log(let line): RoleSupport.log(name, line)
                case .exit:
                    // Let what is queued (a last gradient, the Leave) reach its peers before closing, for
                    // at most `exitLinger` (within the launcher's 3 s between SIGTERM and SIGKILL); a
                    // worker never welcomed has only its Hello queued, to a coordinator that may be gone.
                    let linger: Duration = machine.config == nil ? .zero : Self.exitLinger
                    try? coordinator.setLinger(linger)
                    for s in ps { try? s.setLinger(linger) }
                    return
                }
            }
            if RoleSupport.stopRequested && !stopSent {
                stopSent = true
                queue += machine.handle(.stop)
                continue
            }
            let sockets = [coordinator] + ps
            let ready = try ZPoller(sockets).poll(deadline: .milliseconds(RoleSupport.pollIntervalMs))
            for i in ready {
                let message = i == 0
                    ? try coordinator.receiveMessage(deadline: .zero, routed: false, run: runID, role: name, from: "coordinator")?.message
                    : try receive(fromPS: i - 1, sockets[i], queue: &queue)
                guard let m = message else { continue }
                lastHeard = RoleSupport.nowMs()
                RoleSupport.trace(name, "received \(m.body.kind) from \(i == 0 ? "coordinator" : "ps \(i - 1)")")
                queue += machine.handle(i == 0 ? .fromCoordinator(m) : .fromPS(m))
            }
            let now = RoleSupport.nowMs()
            if now - lastHeard > peerTimeoutMs {  // the coordinator answers every heartbeat
                throw RoleError.peerTimeout("\(name): no word from the coordinator at \(coordinatorEndpoint) for \(peerTimeoutMs) ms")
            }
            if now - lastHeartbeat >= heartbeatMs {
                lastHeartbeat = now
                let hb = WireMessage(runID: runID, sender: name, sequence: 0,
                                     body: .heartbeat(WireHeartbeat(nowMs: UInt64(now), state: "idle")))
                try? coordinator.send(hb, deadline: .milliseconds(100))
            }
        }
    }
}
