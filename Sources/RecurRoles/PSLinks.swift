// PSLinks: the coordinator's DEALER connections to the parameter servers, one per parameter
// slice, and the gathering of a whole weight vector from every slice's server.
import RecurMath
import RecurModel
import RecurTransport
import RecurWire

/// The coordinator's connections to the parameter servers (slice k's socket, once connected).
final class PSLinks {
    let context: ZContext
    let runID: UInt64
    let security: RoleSecurity
    let shards: ParameterShards
    /// Slice k's socket; nil until the machine asks to connect it.
    private(set) var sockets: [ZSocket?]
    /// Slice k's endpoint, for messages.
    private(set) var endpoints: [String?]
    /// When each slice's server was last heard from (monotonic milliseconds).
    var lastHeardMs: [Int]

    init(context: ZContext, runID: UInt64, shards: ParameterShards, security: RoleSecurity) {
        self.context = context
        self.runID = runID
        self.shards = shards
        self.security = security
        sockets = Array(repeating: nil, count: shards.shards)
        endpoints = Array(repeating: nil, count: shards.shards)
        lastHeardMs = Array(repeating: RoleSupport.nowMs(), count: shards.shards)
    }

    /// Opens slice `k`'s DEALER to `endpoint` (a second call for the same slice does nothing).
    func connect(_ k: Int, endpoint: String) throws {
        guard sockets[k] == nil else { return }
        let s = try RoleSupport.socket(context, .dealer, identity: "coordinator", security: security.client)
        try security.checkPlainTCP(endpoint)
        try s.connect(endpoint)
        sockets[k] = s
        endpoints[k] = endpoint
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

    /// Asks every slice's server for weights of at least `version` (and, for a checkpoint, the
    /// optimizer's moments) and waits for all of them (60 s at most). Other messages from the
    /// servers are set `aside` for the machine, with their slice index.
    /// - Returns: the whole vectors [P] ("m", "v" empty when the rule keeps none) and the version.
    func gather(version: UInt64, withOptimizer: Bool, optimizer: OptimizerKind,
                aside: inout [(Int, WireMessage)]) throws -> (params: FloatBuffer, m: FloatBuffer, v: FloatBuffer, version: UInt64) {
        let request = WireMessage(runID: runID, sender: "coordinator", sequence: 0,
                                  body: .weightsRequest(WireWeightsRequest(minVersion: version, withOptimizer: withOptimizer)))
        for k in sockets.indices { try send(k, request) }
        let p = shards.count
        let hasM = withOptimizer && (optimizer == .momentum || optimizer == .adam)
        let hasV = withOptimizer && (optimizer == .rmsprop || optimizer == .adam)
        let params = FloatBuffer(count: p), m = FloatBuffer(count: hasM ? p : 0), v = FloatBuffer(count: hasV ? p : 0)
        var got = [UInt64?](repeating: nil, count: shards.shards)
        let deadline = RoleSupport.nowMs() + 60_000
        while got.contains(nil) && RoleSupport.nowMs() < deadline {
            let ready = try ZPoller(connected.map(\.socket)).poll(deadline: .milliseconds(500))
            for i in ready {
                let (k, socket) = connected[i]
                guard let frames = try socket.receive(deadline: .zero),
                      let msg = RoleSupport.decode(frames, run: runID, role: "coordinator", from: "ps \(k)") else { continue }
                lastHeardMs[k] = RoleSupport.nowMs()
                guard got[k] == nil, case .weights(let w) = msg.body, w.version >= version,
                      !withOptimizer || msg.frames.count > 1 || optimizer == .sgd else { aside.append((k, msg)); continue }
                let r = shards.ranges[k]
                let buffers: [(String, FloatBuffer)] = [("params", params), ("m", m), ("v", v)]
                for (name, b) in buffers where b.count > 0 {
                    let f = try msg.frame(named: name)
                    guard f.offset == r.lowerBound else { throw RoleError.failed("coordinator: \(name) slice at \(f.offset), expected \(r.lowerBound)") }
                    try f.copyFloats(into: UnsafeMutableBufferPointer(start: b.pointer + r.lowerBound, count: r.count))
                }
                got[k] = w.version
            }
        }
        let versions = Set(got.compactMap { $0 })
        guard !got.contains(nil) else {
            throw RoleError.peerTimeout("coordinator: parameter server(s) \(got.indices.filter { got[$0] == nil }) did not send weights of version \(version) within 60 s")
        }
        guard versions.count == 1, let v0 = versions.first else {
            throw RoleError.failed("coordinator: parameter servers sent different versions \(versions.sorted()) for \(version)")
        }
        return (params, m, v, v0)
    }
}
