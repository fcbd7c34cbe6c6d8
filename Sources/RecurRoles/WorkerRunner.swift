// WorkerRunner: the worker's run loop — a DEALER to the coordinator and one to each parameter
// server slice; it turns sockets, the compute thread and the clock into the machine's events and
// performs its actions (a shard is computed on `WorkerComputeThread`, never inside the loop).
import Foundation
import RecurIO
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
                                hostname: ProcessInfo.processInfo.hostName, threads: UInt32(threads), startsEarly: true,
                                peerTimeoutMs: peerTimeoutMs)
    }

    /// Sends `m` to slice `k`'s server; a failure is logged (the lease will be dealt again).
    func send(_ m: WireMessage, toPS k: Int, _ ps: [ZSocket]) {
        guard k < ps.count else { return }
        do { try ps[k].send(links.outgoing(m, to: k)) } catch {
            RoleSupport.log(name, "could not reach parameter server \(k): \(error)")
        }
        if case .gradient = m.body, let f = m.frames.first {
            RoleSupport.trace(name, "sent gradient piece at \(f.offset) to ps \(k)")
        } else {
            RoleSupport.trace(name, "sent \(m.body.kind) to ps \(k)")
        }
    }

    /// How long a leaving worker's sockets keep trying to deliver what is queued.
    static let exitLinger: Duration = .seconds(2)

    /// How long `run()` waits, on its way out, for a shard still being computed to end (it gives up
    /// at its next piece of the weights); with `exitLinger`, within the launcher's 3 s.
    static let computeExitSeconds: TimeInterval = 1

    /// One waiting message from slice `k`'s server, read through the shared-memory links (nil when
    /// it did not decode): each direction's switch is logged, and weights the server replaced
    /// before they were read are asked for again.
    /// - Throws: `TransportError` from the receive itself.
    func receive(fromPS k: Int, _ socket: ZSocket, queue: inout [WorkerMachine.Action]) throws -> WireMessage? {
        let message = try socket.receiveMessage(deadline: .zero, routed: false, run: runID, role: name, from: "ps",
                                                shared: links.resolver)?.message
        if links.unreadable() > 0 {
            queue += machine.handle(.weightsLost("weights from ps \(k) were replaced before they were read"))
        }
        guard let m = message else { return nil }
        for line in links.received(m, from: k) { RoleSupport.log(name, line) }
        return m
    }

    /// Connects and works.
    /// - Throws: `TransportError`, or `RoleError.peerTimeout` when no coordinator welcomes us.
    public func run() throws {
        let context = try ZContext()
        let coordinator = try RoleSupport.socket(context, .dealer, identity: name, security: security.client)
        try coordinator.connect(coordinatorEndpoint)
        // The compute thread rings this bell after each event it posts, waking the poll below. The
        // bell has a context of its own: the computing thread may hold the ringer a moment after
        // the loop returns, and it must not keep the sockets' context (whose end flushes the last
        // messages for `exitLinger`) from ending with `run()`.
        let bellContext = try ZContext()
        let bell = try ZSocket(context: bellContext, type: .pair), ringer = try ZSocket(context: bellContext, type: .pair)
        let bellEndpoint = try bell.bind("inproc://\(name)-compute-\(UInt(bitPattern: ObjectIdentifier(self).hashValue))")
        try ringer.connect(bellEndpoint)
        let ring = Bell(socket: ringer)
        let computer = WorkerComputeThread { ring.ring() }
        defer { computer.cancelAndWait(seconds: Self.computeExitSeconds) }
        var ps: [ZSocket] = []
        var compute: WorkerCompute?
        var stopSent = false, welcomed = false
        var shards = 0  // shards started, for the closing line
        var queue = machine.handle(.start) + machine.handle(.tick(nowMs: RoleSupport.nowMs()))
        while true {
            while !queue.isEmpty {
                let action = queue.removeFirst()
                switch action {
                case .toCoordinator(let m):
                    try? coordinator.send(m)
                case .heartbeat(let m):
                    try? coordinator.send(m, deadline: .milliseconds(100))
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
                    welcomed = true
                    if let line = links.configure(c, name: name) { RoleSupport.log(name, line) }
                    RoleSupport.log(name, "welcomed: \(c.model.cell.rawValue) H=\(c.model.hidden), \(c.lanesPerShard) lanes per shard")
                case .compute(let task, let shard, let state, let slot):
                    guard let compute else { continue }
                    shards += 1
                    RoleSupport.trace(name, "compute start step \(task.step) shard \(task.shard)")
                    // The weights' pieces follow as `.handPiece` (the rest may still be on its way),
                    // and each piece of the gradient leaves as soon as backpropagation has finished it.
                    computer.start(compute, task: task, shard: shard, state: state,
                                   into: links.beginShard(slot: slot).map { WorkerComputeThread.Destination($0.0, owner: $0.1) })
                case .handPiece(let p, let frame):
                    RoleSupport.trace(name, frame == nil ? "weights piece \(p) will not come" : "handed weights piece \(p)")
                    computer.hand(p, frame)
                case .log(let line): RoleSupport.log(name, line)
                case .event(let record): RoleSupport.log(name, record)
                case .fail(let why):
                    throw RoleError.peerTimeout("\(name): \(why) (at \(coordinatorEndpoint))")
                case .exit:
                    // Let what is queued (a last gradient, the Leave) reach its peers before closing, for
                    // at most `exitLinger` (within the launcher's 3 s between SIGTERM and SIGKILL); a
                    // worker never welcomed has only its Hello queued, to a coordinator that may be gone.
                    let linger: Duration = welcomed ? Self.exitLinger : .zero
                    try? coordinator.setLinger(linger)
                    for s in ps { try? s.setLinger(linger) }
                    RoleSupport.log(name, LogRecord(.workerClosed, "leaving after \(shards) shard(s)",
                                                    [("shards", .int(shards)), ("welcomed", .bool(welcomed))]))
                    return
                }
            }
            if RoleSupport.stopRequested && !stopSent {
                stopSent = true
                queue += machine.handle(.stop)
                continue
            }
            let sockets = [coordinator, bell] + ps
            let ready = try ZPoller(sockets).poll(deadline: .milliseconds(RoleSupport.pollIntervalMs))
            for i in ready {
                if i == 1 {
                    while let _ = try? bell.receive(deadline: .zero) {}
                    continue
                }
                let message = i == 0
                    ? try coordinator.receiveMessage(deadline: .zero, routed: false, run: runID, role: name, from: "coordinator")?.message
                    : try receive(fromPS: i - 2, sockets[i], queue: &queue)
                guard let m = message else { continue }
                RoleSupport.trace(name, "received \(m.body.kind) from \(i == 0 ? "coordinator" : "ps \(i - 2)")")
                queue += machine.handle(.tick(nowMs: RoleSupport.nowMs()))
                queue += machine.handle(i == 0 ? .fromCoordinator(m) : .fromPS(m))
            }
            for event in computer.take() { queue += machine.handle(event) }
            queue += machine.handle(.tick(nowMs: RoleSupport.nowMs()))
        }
    }
}

/// The compute thread's side of the run loop's bell: one socket, used only from that thread.
private final class Bell: @unchecked Sendable {
    let socket: ZSocket
    init(socket: ZSocket) { self.socket = socket }
    /// Wakes the loop; a full queue already holds a ring.
    func ring() { try? socket.send([[0]], deadline: .zero) }
}
