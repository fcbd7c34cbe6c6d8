// SharedDataPath: the one interface a run loop moves tensors through — a message leaving for a
// peer, a message arriving from one — behind which the shared-memory links keep their segments,
// slots, generations and tokens.
import RecurIO
import RecurWire

/// How a run loop's tensors travel to and from its peers: through same-host shared memory where
/// both sides have mapped each other's segment, over TCP otherwise. The loop hands every message
/// to `outgoing` before it sends it and every received one to `received`, and decodes with
/// `resolver`; nothing else of the path shows, and the machines see none of it.
public protocol DataPath: AnyObject {
    /// How a peer is named: a slice index for a worker, a routing id for a server.
    associatedtype Peer

    /// Turns the shared-memory references in a received message into bytes (the decoder calls it).
    var resolver: WireSharedResolver { get }

    /// `m` as it leaves for `peer`: its tensors by reference where `peer` reads our segment, with
    /// what the handshake needs; otherwise `m` unchanged.
    func outgoing(_ m: WireMessage, to peer: Peer) -> WireMessage

    /// Notes what `m`, received from `peer`, says about the path (offers, what the peer mapped).
    /// - Returns: lines to log, a `data_path` event per change of a direction between shared
    ///   memory and TCP.
    func received(_ m: WireMessage, from peer: Peer) -> [LogRecord]

    /// How many messages arrived since the last call whose tensors could not be read (their slot
    /// was reused before they were read): the loop asks again, or logs.
    func unreadable() -> Int
}

extension DataPath {
    /// The `data_path` event: `direction` of the path to or from `peer` now goes through shared
    /// memory (`shared`) or over TCP, as `message` says.
    static func path(_ peer: String, _ direction: String, shared: Bool, _ message: String) -> LogRecord {
        LogRecord(.dataPath, message, [("peer", .string(peer)), ("direction", .string(direction)), ("shared", .bool(shared))])
    }
}
