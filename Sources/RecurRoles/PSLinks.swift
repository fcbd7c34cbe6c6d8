// PSLinks: the coordinator's DEALER connections to the parameter servers, one per parameter slice.
import RecurTransport
import RecurWire

/// The coordinator's connections to the parameter servers (slice k's socket, once connected). What
/// travels on them, and when a silent server is given up, is the machine's business.
final class PSLinks {
    let context: ZContext
    let security: RoleSecurity
    /// Slice k's socket; nil until the machine asks to connect it.
    private(set) var sockets: [ZSocket?]

    /// Links for `shards` parameter slices, none connected yet.
    init(context: ZContext, shards: Int, security: RoleSecurity) {
        self.context = context
        self.security = security
        sockets = Array(repeating: nil, count: shards)
    }

    /// Opens slice `k`'s DEALER to `endpoint` (a second call for the same slice does nothing).
    func connect(_ k: Int, endpoint: String) throws {
        guard sockets[k] == nil else { return }
        let s = try RoleSupport.socket(context, .dealer, identity: "coordinator", security: security.client)
        try security.checkPlainTCP(endpoint)
        try s.connect(endpoint)
        sockets[k] = s
    }

    /// Sends `m` to slice `k`'s server.
    func send(_ k: Int, _ m: WireMessage, deadline: Duration = RoleSupport.sendDeadline) throws {
        guard let s = sockets[k] else { throw RoleError.failed("coordinator: parameter server \(k) is not connected") }
        try s.send(m, deadline: deadline)
    }

    /// Connected sockets with their slice index, for polling.
    var connected: [(index: Int, socket: ZSocket)] {
        sockets.indices.compactMap { k in sockets[k].map { (k, $0) } }
    }
}
