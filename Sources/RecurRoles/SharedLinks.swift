// SharedLinks: the shared-memory data path between a parameter server and the workers on its host,
// negotiated inside WeightsRequest and Weights, and applied by the run loops to what they send.
//
// 1. A worker offers its gradient segment in every WeightsRequest, with the token of the server's
//    weights segment it has mapped (0 at first).
// 2. The server maps the worker's segment (only possible on the same host, for the same user) and
//    answers every Weights with its own segment's offer and the token of the worker's it mapped.
// 3. From then on the worker sends gradient pieces the server has mapped as references, and the
//    server sends weights as references to a worker that said it mapped them. Anything that fails
//    leaves that direction on TCP; nothing else changes.
import RecurIO
import RecurTransport
import RecurWire

/// The server's side: the workers' gradient segments it maps, and its weights segment.
public final class PSSharedLinks: DataPath {
    /// Resolves gradient references (copies, checked after the copy).
    public let inbox = SharedInbox(mode: .copy)
    /// The weights segment, once configured with shared memory on.
    public private(set) var outbox: SharedOutbox?
    var shape: [Int] = []
    /// Peers whose last request named our weights segment as mapped.
    var mapsOurs: Set<String> = []
    /// Peers that offered a gradient segment, with its token if we mapped it.
    var theirs: [String: UInt64] = [:]

    /// What the server serves, as the path needs it: the server's name, its configuration, the
    /// slice's range and the configuring coordinator's incarnation (nil before a configuration).
    var served: (name: String, config: RunConfig, range: Range<Int>, incarnation: UInt64)?
    /// Torn copies already reported by `unreadable()`.
    var tornSeen = 0

    /// Creates links with no peer.
    public init() {}

    /// The gradient copies' resolver (`inbox`).
    public var resolver: WireSharedResolver { inbox }

    /// Tells the path what `machine` serves now (read from its state before each message).
    public func serve(_ machine: ParameterServerMachine) {
        served = machine.config.map { (machine.name, $0, machine.slice.range, machine.incarnation) }
        // A referenced gradient is at most the slice: refused before it is copied.
        inbox.maxPayloadBytes = served.map { $0.range.count * MemoryLayout<Float>.size } ?? Int.max
    }

    /// `serve(machine)`, then `received(m, from: peer)`.
    public func received(_ m: WireMessage, from peer: String, machine: ParameterServerMachine) -> [LogRecord] {
        serve(machine)
        return received(m, from: peer)
    }

    /// Gradient copies found torn since the last call (handed on as NaN, so refused).
    public func unreadable() -> Int {
        defer { tornSeen = inbox.torn }
        return inbox.torn - tornSeen
    }

    /// Notes what `m` says about shared memory before the machine sees it; returns lines to log
    /// (`data_path` events for the direction `gradients_in` from `peer`).
    public func received(_ m: WireMessage, from peer: String) -> [LogRecord] {
        guard case .weightsRequest(let r) = m.body, let s = served, s.config.sharedMemory else { return [] }
        let c = s.config
        var lines: [LogRecord] = []
        let slots = c.mode == .async ? c.staleness + 2 : 2
        // A new configuration (a restarted coordinator resumes, and versions repeat) gets a new
        // segment, so no slot can pass for a version it held before.
        let wanted = [s.range.count, slots, s.range.lowerBound, Int(truncatingIfNeeded: s.incarnation)]
        if shape != wanted {
            shape = wanted
            mapsOurs = []
            do {
                let o = try SharedOutbox(name: "\(s.name)-weights", slots: slots, floats: s.range.count,
                                         firstElement: s.range.lowerBound)
                outbox = o
            } catch {
                outbox = nil
                lines.append(LogRecord(.note, "no shared memory for the weights (\(error)); workers get them over TCP"))
            }
        }
        if let o = outbox, r.attachedToken == o.token { mapsOurs.insert(peer) } else { mapsOurs.remove(peer) }
        if let offer = r.gradientSegment {
            if let why = inbox.attach(offer) {
                if theirs[peer] != 0 { lines.append(Self.path(peer, "gradients_in", shared: false, "\(peer)'s gradients come over TCP: \(why)")) }
                theirs[peer] = 0
            } else {
                if theirs[peer] != offer.token {
                    lines.append(Self.path(peer, "gradients_in", shared: true, "\(peer)'s gradients come through shared memory"))
                    if let old = theirs[peer], old != 0 { inbox.forget(old) }  // the peer restarted
                }
                theirs[peer] = offer.token
            }
        }
        return lines
    }

    /// Where the update writes `piece` (`ParameterServerMachine.Action.proceed`): straight into
    /// its version's slot, so sending it shares it without a copy (a worker over TCP is sent it
    /// from there too: a slot is rewritten R versions later, when a gradient on that version is
    /// refused anyway); nil without a segment, and the piece gets a private copy.
    public func weightsBuffer(for piece: ParameterServerMachine.WeightsPiece) -> ParameterServerMachine.WeightsBuffer? {
        outbox?.weightsDestination(version: piece.version, offset: piece.offset, count: piece.count)
            .map { ParameterServerMachine.WeightsBuffer($0.0, owner: $0.1) }
    }

    /// `m` as it goes to `peer`: Weights carry our offer and what we mapped of theirs, and their
    /// params by reference when the peer has mapped our segment.
    public func outgoing(_ m: WireMessage, to peer: String) -> WireMessage {
        guard case .weights(var w) = m.body, let mapped = theirs[peer] else { return m }
        var out = m
        w.attachedToken = mapped
        if let o = outbox {
            if mapsOurs.contains(peer), m.frames.allSatisfy({ $0.name == "params" }) {
                out.frames = m.frames.map { o.shareWeights($0, version: w.version) ?? $0 }
            } else {
                w.weightsSegment = o.offer
            }
        }
        out.body = .weights(w)
        return out
    }
}

/// The worker's side: the servers' weights segments it maps, and its gradient segment.
public final class WorkerSharedLinks: DataPath {
    /// Resolves weights references (borrowed views).
    public let inbox = SharedInbox(mode: .borrow)
    /// The gradient segment, once configured with shared memory on.
    public private(set) var outbox: SharedOutbox?
    /// Slice k's weights segment token, once mapped.
    var mapped: [Int: UInt64] = [:]
    /// Slices whose server has mapped our gradient segment.
    var accepting: Set<Int> = []
    /// Tokens of segments already tried (each is tried once).
    var tried: Set<UInt64> = []

    /// Weights refused at receipt already reported by `unreadable()`.
    var reusedSeen = 0

    /// Creates links with no peer.
    public init() {}

    /// The weights views' resolver (`inbox`).
    public var resolver: WireSharedResolver { inbox }

    /// Weights messages refused since the last call because the server had reused their slot.
    public func unreadable() -> Int {
        defer { reusedSeen = inbox.reused }
        return inbox.reused - reusedSeen
    }

    /// Makes the gradient segment for `config` (none when shared memory is off or unavailable),
    /// with the gradient buffers the worker's machine chooses among; returns a line to log.
    public func configure(_ config: RunConfig, name: String) -> String? {
        reset()
        outbox = nil
        guard config.sharedMemory, let floats = try? config.parameterShards.count else { return nil }
        slices = config.psShards
        do {
            outbox = try SharedOutbox(name: "\(name)-gradients", slots: WorkerMachine.gradientSlots(config), floats: floats,
                                      firstElement: 0)
            return nil
        } catch {
            return "no shared memory for gradients (\(error)); they go over TCP"
        }
    }

    /// Forgets the servers (new endpoints).
    public func reset() {
        for token in mapped.values { inbox.forget(token) }
        mapped = [:]
        accepting = []
        tried = []
    }

    /// Starts a shard's gradient in gradient buffer `slot` (`WorkerMachine.Action.compute`; nil:
    /// none was free) and returns where the shard may compute its gradient [P] in place: the
    /// buffer, when every slice's server reads this segment (a server on TCP would be sent it from
    /// the buffer too, which is safe, but the private buffer keeps that case as it always was).
    public func beginShard(slot: Int?) -> (UnsafeMutablePointer<Float>, AnyObject)? {
        guard let o = outbox else { return nil }
        o.beginShard(slot: slot)
        guard slices > 0, accepting.count == slices else { return nil }
        return o.gradientDestination(count: o.slotFloats)
    }

    /// The number of parameter slices (servers), once configured.
    var slices = 0

    /// Notes what Weights from slice `k`'s server say; returns lines to log (`data_path` events
    /// for the directions `gradients_out` and `weights_in` of peer `ps <k>`).
    public func received(_ m: WireMessage, from k: Int) -> [LogRecord] {
        guard case .weights(let w) = m.body else { return [] }
        var lines: [LogRecord] = []
        let peer = "ps \(k)"
        let accepts = outbox.map { w.attachedToken != 0 && w.attachedToken == $0.token } ?? false
        if accepts != accepting.contains(k) {
            lines.append(Self.path(peer, "gradients_out", shared: accepts,
                                                accepts ? "gradients to ps \(k) go through shared memory" : "gradients to ps \(k) go over TCP"))
        }
        if accepts { accepting.insert(k) } else { accepting.remove(k) }
        if let offer = w.weightsSegment, mapped[k] != offer.token, tried.insert(offer.token).inserted {
            if let why = inbox.attach(offer) {
                lines.append(Self.path(peer, "weights_in", shared: false, "weights from ps \(k) come over TCP: \(why)"))
            } else {
                if let old = mapped[k] { inbox.forget(old) }  // the server restarted or was reconfigured
                mapped[k] = offer.token
                lines.append(Self.path(peer, "weights_in", shared: true, "weights from ps \(k) come through shared memory"))
            }
        }
        return lines
    }

    /// `m` as it goes to slice `k`'s server: requests carry our offer and what we mapped of
    /// theirs; gradient pieces go by reference to a server that mapped our segment.
    public func outgoing(_ m: WireMessage, to k: Int) -> WireMessage {
        guard let o = outbox else { return m }
        var out = m
        switch m.body {
        case .weightsRequest(var r) where !r.withOptimizer:
            r.gradientSegment = o.offer
            r.attachedToken = mapped[k] ?? 0
            out.body = .weightsRequest(r)
        case .gradient where accepting.contains(k):
            out.frames = m.frames.map { $0.name == "gradient" ? (o.shareGradient($0) ?? $0) : $0 }
        default: break
        }
        return out
    }
}
