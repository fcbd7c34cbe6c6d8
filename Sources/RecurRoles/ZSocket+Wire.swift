// Wire messages over a socket without copying their tensors: payloads go to libzmq from where they
// live, and received payloads stay in libzmq's memory until the message is dropped.
import RecurIO
import RecurTransport
import RecurWire

extension ZSocket {
    /// Sends `message`, prefixed with `routingID` on a ROUTER; its payload frames are not copied.
    /// - Throws: `TransportError` as `send(frames:deadline:)` does.
    public func send(_ message: WireMessage, routingID: String? = nil, deadline: Duration = RoleSupport.sendDeadline) throws {
        var frames: [ZOutFrame] = []
        frames.reserveCapacity(message.frames.count + 2)
        if let routingID { frames.append(ZOutFrame(Array(routingID.utf8))) }
        for part in WireCodec.encodeFrames(message) {
            frames.append(ZOutFrame(borrowing: UnsafeRawBufferPointer(start: part.base, count: part.count), owner: part.owner))
        }
        try send(frames: frames, deadline: deadline)
    }

    /// Receives one message within `deadline` (nil when none came); on a ROUTER, the sender's
    /// routing id comes first. Frames that do not decode are logged as `role`'s and dropped (nil
    /// message with the routing id still returned). `shared` reads payloads that lie in a peer's
    /// shared memory; `limit` bounds a message by its body (`WireCodec.decode`).
    /// - Throws: `TransportError` from the receive itself.
    public func receiveMessage(deadline: Duration, routed: Bool, run: UInt64, role: String, from peer: String,
                               shared: WireSharedResolver? = nil,
                               limit: ((WireBody) -> Int)? = nil) throws -> (peer: String, message: WireMessage?)? {
        guard let parts = try receiveFrames(deadline: deadline) else { return nil }
        var name = peer
        var payload = parts[...]
        if routed {
            guard parts.count >= 2 else { return (peer, nil) }
            name = String(decoding: parts[0].bytes, as: UTF8.self)
            payload = parts.dropFirst()
        }
        let frames = payload.map { WireBytes(borrowing: $0.bytes.baseAddress, count: $0.bytes.count, owner: $0) }
        return (name, RoleSupport.decode(frames, run: run, role: role, from: name, shared: shared, limit: limit))
    }
}

extension RoleSupport {
    /// Decodes untrusted frames, logging (not throwing) what is wrong with them.
    public static func decode(_ frames: [WireBytes], run: UInt64, role: String, from peer: String,
                              shared: WireSharedResolver? = nil, limit: ((WireBody) -> Int)? = nil) -> WireMessage? {
        do { return try WireCodec.decode(frames, expectedRun: run == 0 ? nil : run, shared: shared, limit: limit) } catch {
            log(role, LogRecord(.messageDropped, "dropped a message from \(peer): \(error)", [("peer", .string(peer)), ("error", .string("\(error)"))]))
            return nil
        }
    }
}
