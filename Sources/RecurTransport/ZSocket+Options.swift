// ZSocket options: sizes, routing id, linger, high-water marks, subscriptions, heartbeats.
import CZeroMQ

extension ZSocket {
    /// Largest single frame the socket accepts from peers, in bytes (`ZMQ_MAXMSGSIZE`; -1 = no
    /// limit). A peer that sends a bigger frame is disconnected by libzmq and the frame dropped.
    public func setMaxMessageBytes(_ bytes: Int64) throws {
        try setOption(ZMQ_MAXMSGSIZE, name: "ZMQ_MAXMSGSIZE", value: bytes)
    }

    /// Sets the routing id a ROUTER peer sees for this socket (`ZMQ_ROUTING_ID`); 1–255 bytes,
    /// not starting with a zero byte. Set it before `connect`.
    public func setIdentity(_ identity: [UInt8]) throws {
        try setOption(ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID", bytes: identity)
    }

    /// Sets the routing id from a UTF-8 string, e.g. "worker-3".
    public func setIdentity(_ identity: String) throws { try setIdentity(Array(identity.utf8)) }

    /// The routing id (`ZMQ_ROUTING_ID`); empty when none was set.
    public func identity() throws -> [UInt8] {
        try bytesOption(ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID", capacity: 256)
    }

    /// How long `close` keeps trying to deliver pending messages (`ZMQ_LINGER`); `.zero` drops them
    /// (the default here), nil waits forever (not recommended).
    public func setLinger(_ linger: Duration?) throws {
        try setOption(ZMQ_LINGER, name: "ZMQ_LINGER", value: Int32(linger.map { $0.millisecondsRoundedUp } ?? -1))
    }

    /// Messages queued for sending before sends block or drop (`ZMQ_SNDHWM`; 0 = no limit).
    public func setSendHighWaterMark(_ messages: Int32) throws {
        try setOption(ZMQ_SNDHWM, name: "ZMQ_SNDHWM", value: messages)
    }

    /// Messages queued on receipt before libzmq stops reading from peers (`ZMQ_RCVHWM`; 0 = no limit).
    public func setReceiveHighWaterMark(_ messages: Int32) throws {
        try setOption(ZMQ_RCVHWM, name: "ZMQ_RCVHWM", value: messages)
    }

    /// SUB only: receive messages whose frame 0 starts with `prefix` (empty = everything).
    public func subscribe(_ prefix: [UInt8] = []) throws {
        try setOption(ZMQ_SUBSCRIBE, name: "ZMQ_SUBSCRIBE", bytes: prefix)
    }

    /// SUB only: receive messages whose frame 0 starts with the UTF-8 bytes of `prefix`.
    public func subscribe(_ prefix: String) throws { try subscribe(Array(prefix.utf8)) }

    /// SUB only: removes a subscription added with `subscribe`.
    public func unsubscribe(_ prefix: [UInt8] = []) throws {
        try setOption(ZMQ_UNSUBSCRIBE, name: "ZMQ_UNSUBSCRIBE", bytes: prefix)
    }

    /// ROUTER only: when on, sending to an unknown routing id throws `EHOSTUNREACH` instead of
    /// silently dropping the message (`ZMQ_ROUTER_MANDATORY`).
    public func setRouterMandatory(_ on: Bool) throws {
        try setOption(ZMQ_ROUTER_MANDATORY, name: "ZMQ_ROUTER_MANDATORY", value: Int32(on ? 1 : 0))
    }

    /// ROUTER: let a new connection take over a routing id that an older connection still holds
    /// (`ZMQ_ROUTER_HANDOVER`), as when a peer reopens its socket before the old one is noticed
    /// gone. Without it the newcomer is refused until the old connection times out.
    public func setRouterHandover(_ on: Bool) throws {
        try setOption(ZMQ_ROUTER_HANDOVER, name: "ZMQ_ROUTER_HANDOVER", value: Int32(on ? 1 : 0))
    }

    /// Queue messages only to completed connections (`ZMQ_IMMEDIATE`).
    public func setImmediate(_ on: Bool) throws {
        try setOption(ZMQ_IMMEDIATE, name: "ZMQ_IMMEDIATE", value: Int32(on ? 1 : 0))
    }

    /// Wait before reconnecting a dropped connection (`ZMQ_RECONNECT_IVL`; libzmq default 100 ms).
    public func setReconnectInterval(_ interval: Duration) throws {
        try setOption(ZMQ_RECONNECT_IVL, name: "ZMQ_RECONNECT_IVL", value: Int32(interval.millisecondsRoundedUp))
    }
    /// Upper bound of the reconnect wait, which doubles after each failed attempt from
    /// `setReconnectInterval` up to this (`ZMQ_RECONNECT_IVL_MAX`; 0 keeps it fixed).
    public func setReconnectBackoffLimit(_ limit: Duration) throws {
        try setOption(ZMQ_RECONNECT_IVL_MAX, name: "ZMQ_RECONNECT_IVL_MAX", value: Int32(limit.millisecondsRoundedUp))
    }


    /// ZMTP heartbeats: send a PING every `interval` (`ZMQ_HEARTBEAT_IVL`), drop the connection
    /// when nothing arrives within `timeout` (`ZMQ_HEARTBEAT_TIMEOUT`, default = interval), and
    /// ask the peer to drop it after `ttl` of silence (`ZMQ_HEARTBEAT_TTL`, 0.1 s resolution).
    public func setHeartbeat(interval: Duration, timeout: Duration? = nil, ttl: Duration? = nil) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, name: "ZMQ_HEARTBEAT_IVL", value: Int32(interval.millisecondsRoundedUp))
        if let timeout {
            try setOption(ZMQ_HEARTBEAT_TIMEOUT, name: "ZMQ_HEARTBEAT_TIMEOUT",
                          value: Int32(timeout.millisecondsRoundedUp))
        }
        if let ttl {
            try setOption(ZMQ_HEARTBEAT_TTL, name: "ZMQ_HEARTBEAT_TTL", value: Int32(ttl.millisecondsRoundedUp))
        }
    }

    /// The send high-water mark in messages (`ZMQ_SNDHWM`).
    public func sendHighWaterMark() throws -> Int32 { try intOption(ZMQ_SNDHWM, name: "ZMQ_SNDHWM") }

    /// The receive high-water mark in messages (`ZMQ_RCVHWM`).
    public func receiveHighWaterMark() throws -> Int32 { try intOption(ZMQ_RCVHWM, name: "ZMQ_RCVHWM") }

    /// The largest frame accepted from peers, in bytes (`ZMQ_MAXMSGSIZE`; -1 = no limit).
    public func maxMessageBytes() throws -> Int64 { try intOption(ZMQ_MAXMSGSIZE, name: "ZMQ_MAXMSGSIZE") }

    /// An integer option's value (`zmq_getsockopt`).
    func intOption<T: FixedWidthInteger>(_ option: Int32, name: String) throws -> T {
        var value: T = 0
        var size = MemoryLayout<T>.size
        let handle = try handle(for: "zmq_getsockopt(\(name))")
        guard zmq_getsockopt(handle, option, &value, &size) == 0 else {
            throw TransportError.last("zmq_getsockopt(\(name))")
        }
        return value
    }

    /// Sets a fixed-size integer option.
    func setOption<T: FixedWidthInteger>(_ option: Int32, name: String, value: T) throws {
        let handle = try handle(for: "zmq_setsockopt(\(name))")
        var copy = value
        guard zmq_setsockopt(handle, option, &copy, MemoryLayout<T>.size) == 0 else {
            throw TransportError.last("zmq_setsockopt(\(name))")
        }
    }

    /// Sets a binary option.
    func setOption(_ option: Int32, name: String, bytes: [UInt8]) throws {
        let handle = try handle(for: "zmq_setsockopt(\(name))")
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw TransportError.last("zmq_setsockopt(\(name))") }
    }

    /// Reads a binary option of at most `capacity` bytes.
    func bytesOption(_ option: Int32, name: String, capacity: Int) throws -> [UInt8] {
        let handle = try handle(for: "zmq_getsockopt(\(name))")
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        guard rc == 0 else { throw TransportError.last("zmq_getsockopt(\(name))") }
        return Array(buffer.prefix(min(size, capacity)))
    }
}
