// Waits, with a deadline, until any of several sockets has a message to read.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Polls a fixed list of sockets for readability (`zmq_poll`).
public final class ZPoller {
    /// The sockets polled, in the order given; `poll` answers with indices into this array.
    public let sockets: [ZSocket]

    /// Creates a poller over `sockets`.
    public init(_ sockets: [ZSocket]) {
        self.sockets = sockets
    }

    /// Indices of the sockets with a message ready to receive, waiting at most `deadline` for one;
    /// empty when the deadline passes first. EINTR is retried while time remains.
    public func poll(deadline: Duration) throws -> [Int] {
        var items = try sockets.map { socket in
            zmq_pollitem_t(socket: try socket.handle(for: "zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        let limit = ZDeadline(after: deadline)
        while true {
            let rc = zmq_poll(&items, Int32(items.count), limit.remainingMilliseconds)
            if rc > 0 {
                return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
            }
            if rc == -1 && zmq_errno() != EINTR { throw TransportError.last("zmq_poll") }
            if limit.expired { return [] }
        }
    }
}
