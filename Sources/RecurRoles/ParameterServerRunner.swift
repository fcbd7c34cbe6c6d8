// ParameterServerRunner: the parameter server's run loop — one ROUTER socket that the
// coordinator and every worker connect to; it only performs the machine's actions.
import Foundation
import RecurIO
import RecurTransport
import RecurWire

/// Runs a parameter server until the coordinator says the run is over or a stop is requested.
public final class ParameterServerRunner {
    let machine: ParameterServerMachine
    let bindEndpoint: String
    let runID: UInt64
    let security: RoleSecurity
    let registration: Registration?

    /// How a server started by `recur launch` announces itself to the coordinator.
    public struct Registration: Sendable {
        /// The coordinator's worker endpoint.
        public var coordinator: String
        /// The endpoint the coordinator and workers reach this server at.
        public var advertised: String
        /// The parameter slice this server asks to serve.
        public var slice: Int

        /// Creates a registration.
        public init(coordinator: String, advertised: String, slice: Int) {
            self.coordinator = coordinator
            self.advertised = advertised
            self.slice = slice
        }
    }

    /// Prepares a server that will bind `bind` (e.g. `tcp://127.0.0.1:5555`, or port `*`).
    /// - Parameters:
    ///   - peerTimeoutMs: exit with an error after this long without hearing from the
    ///     coordinator once configured (or, registering, before it configures us).
    ///   - registration: announce this server to a coordinator instead of waiting to be found.
    public init(bind: String, runID: UInt64, peerTimeoutMs: Int = 120_000, security: RoleSecurity = .plain,
                registration: Registration? = nil) throws {
        try security.checkPlainTCP(bind)
        if let registration { try security.checkPlainTCP(registration.coordinator) }
        let name = registration.map { "ps-\($0.slice)" } ?? "ps"
        let hello = registration.map { r in
            WireHello(workerID: name, pid: UInt32(getpid()), hostname: ProcessInfo.processInfo.hostName, threads: 0,
                      securityMechanism: security.mechanism, role: "ps", psShard: UInt32(r.slice), endpoint: r.advertised)
        }
        machine = ParameterServerMachine(runID: runID, name: name, peerTimeoutMs: peerTimeoutMs, announcing: hello)
        bindEndpoint = bind
        self.runID = runID
        self.security = security
        self.registration = registration
    }

    /// Binds, prints `endpoint <address>` on standard output, and serves.
    /// - Throws: `TransportError` (a port in use, a bad endpoint) or `RoleError.peerTimeout`.
    public func run() throws {
        let context = try ZContext()
        let authenticator = try security.startAuthenticator(context, role: machine.name)
        defer { authenticator?.stop() }
        let router = try RoleSupport.socket(context, .router, security: security.server)
        try router.setRouterMandatory(false)
        try router.setRouterHandover(true)  // a worker that reconnects (a new coordinator named us again) keeps its id
        let endpoint = try router.bind(bindEndpoint)
        print("endpoint \(endpoint)")
        fflush(nil)  // every stream: Swift 6 refuses to read the C global `stdout`
        RoleSupport.log(machine.name, "listening on \(endpoint)")
        var announce: ZSocket?
        let links = PSSharedLinks()
        if let r = registration {
            let s = try RoleSupport.socket(context, .dealer, identity: machine.name, security: security.client)
            try s.connect(r.coordinator)
            announce = s
        }
        /// Performs `actions` (and those the machine adds); true once the run is over.
        func perform(_ actions: [ParameterServerMachine.Action]) throws -> Bool {
            var queue = actions
            while !queue.isEmpty {
                switch queue.removeFirst() {
                case .proceed(let piece):  // the actions before it are sent
                    queue += machine.handle(.proceed(into: links.weightsBuffer(for: piece)))
                case .send(let to, let message):
                    RoleSupport.trace(machine.name, "sending \(message.body.kind) to \(to)")
                    do { try router.send(links.outgoing(message, to: to), routingID: to) } catch {
                        RoleSupport.log(machine.name, "could not send \(message.body.kind) to \(to): \(error)")
                    }
                case .announce(let hello): try? announce?.send(hello, deadline: .milliseconds(100))
                case .log(let line): RoleSupport.log(machine.name, line)
                case .event(let record): RoleSupport.log(machine.name, record)
                case .finished:
                    let c = machine.counters
                    RoleSupport.log(machine.name, LogRecord(.serverClosed, "run over at version \(machine.version): gradients refused as duplicate \(c.duplicates), stale \(c.stale), "
                        + "of the wrong shape \(c.badShape), not finite \(c.notFinite)", [
                        ("version", .int(Int(machine.version))), ("bad_shape", .int(c.badShape)), ("duplicates", .int(c.duplicates)),
                        ("not_finite", .int(c.notFinite)), ("stale", .int(c.stale))]))
                    return true
                case .fail(let why): throw RoleError.peerTimeout(why)
                }
            }
            return false
        }
        while !RoleSupport.stopRequested {
            if try perform(machine.handle(.tick(nowMs: RoleSupport.nowMs()))) { return }
            guard let got = try router.receiveMessage(deadline: .milliseconds(RoleSupport.pollIntervalMs), routed: true,
                                                      run: runID, role: "ps", from: "", shared: links.resolver,
                                                      limit: machine.inboundLimit(for:)),
                  let m = got.message else { continue }
            let peer = got.peer
            RoleSupport.trace(machine.name, "received \(m.body.kind) from \(peer)")
            if links.unreadable() > 0 {
                RoleSupport.log(machine.name, "a gradient piece from \(peer) was overwritten in its shared memory before it was read; refused as unusable")
            }
            for line in links.received(m, from: peer, machine: machine) { RoleSupport.log(machine.name, line) }
            if try perform(machine.handle(.tick(nowMs: RoleSupport.nowMs())) + machine.handle(.message(from: peer, m))) { return }
        }
        RoleSupport.log(machine.name, "stopped by signal at version \(machine.version)")
    }
}
