// MetricsServeLoop: the metrics endpoint's thread — one poll(2) over the wake pipe, the listener
// and every open connection, each connection with a byte cap and a deadline of its own.
import Foundation
import Glibc

/// The serving thread of a `MetricsEndpoint`. From `run()` on it is used by that thread alone,
/// which closes every descriptor it holds before `run()` returns.
final class MetricsServeLoop: @unchecked Sendable {
    /// Where one connection is in its single exchange.
    enum Phase {
        /// Collecting the request head: the bytes so far (at most `Limits.maxHeadBytes`).
        case reading([UInt8])
        /// Sending the response: its bytes and how many are sent.
        case writing([UInt8], sent: Int)
        /// Response sent and our side shut: reading (and dropping) what the client still sends
        /// until it closes, so that closing does not reset the connection before it read the answer.
        case draining(dropped: Int)
    }

    /// One accepted client.
    struct Connection {
        let fd: Int32
        var phase: Phase
        /// When the connection is closed whatever its phase.
        var deadline: ZDeadline
    }

    /// The most bytes dropped while draining before the connection is closed anyway.
    static let drainBytes = 65_536
    /// The most bytes read from a connection at a time.
    static let chunkBytes = 4096
    /// How long accepting pauses after `accept` fails for want of descriptors or memory (the
    /// listener stays readable, so without a pause the loop would spin).
    static let acceptPause: Duration = .milliseconds(100)

    private let listener: Int32, wakeRead: Int32
    private let limits: MetricsEndpoint.Limits
    private let shared: MetricsEndpoint.Shared
    private var connections: [Connection] = []
    private var acceptPausedUntil: ZDeadline?

    init(listener: Int32, wakeRead: Int32, limits: MetricsEndpoint.Limits, shared: MetricsEndpoint.Shared) {
        self.listener = listener
        self.wakeRead = wakeRead
        self.limits = limits
        self.shared = shared
    }

    /// Serves until `stop()`: each turn waits in poll(2) until a descriptor is ready, the nearest
    /// deadline passes or the wake pipe is written, then serves every ready connection, accepts
    /// new ones up to the limit and closes those past their deadline.
    func run() {
        defer { closeAll() }
        var scratch = [UInt8](repeating: 0, count: Self.chunkBytes)
        while !shared.lock.withLock({ shared.stopRequested }) {
            if acceptPausedUntil?.expired == true { acceptPausedUntil = nil }
            let accepting = connections.count < limits.maxConnections && acceptPausedUntil == nil
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if accepting { fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            for c in connections {
                let events = if case .writing = c.phase { Int16(POLLOUT) } else { Int16(POLLIN) }
                fds.append(pollfd(fd: c.fd, events: events, revents: 0))
            }
            let deadlines = connections.map(\.deadline) + (acceptPausedUntil.map { [$0] } ?? [])
            let timeout = deadlines.map(\.remainingMilliseconds).min().map { Int32(clamping: $0) } ?? -1
            if poll(&fds, nfds_t(fds.count), timeout) < 0 {
                if errno == EINTR { continue }
                return  // only EFAULT, EINVAL or ENOMEM: nothing left to serve with
            }
            if fds[0].revents != 0 { _ = read(wakeRead, &scratch, scratch.count) }
            let first = accepting ? 2 : 1
            var kept: [Connection] = []
            for (i, var c) in connections.enumerated() {
                let revents = fds[first + i].revents
                if (revents == 0 || serve(&c, revents: revents, scratch: &scratch)) && !c.deadline.expired {
                    kept.append(c)
                } else {
                    close(c.fd)
                }
            }
            connections = kept
            if accepting && fds[1].revents != 0 { accept() }
        }
    }

    /// Moves one connection on after poll reported `revents`.
    /// - Returns: false when the connection is finished and is to be closed.
    private func serve(_ c: inout Connection, revents: Int16, scratch: inout [UInt8]) -> Bool {
        if revents & Int16(POLLERR | POLLNVAL) != 0 { return false }
        switch c.phase {
        case .reading(var head):
            let room = min(Self.chunkBytes, limits.maxHeadBytes - head.count)
            let got = recv(c.fd, &scratch, room, 0)
            if got < 0 { return errno == EAGAIN || errno == EINTR }
            if got == 0 { return false }  // the client left before finishing its request
            head += scratch[0..<got]
            guard let reply = MetricsHTTP.reply(to: head, maxHeadBytes: limits.maxHeadBytes) else {
                c.phase = .reading(head)
                return true
            }
            let text = if case .metrics = reply { shared.lock.withLock { shared.exposition } } else { "" }
            c.phase = .writing(MetricsHTTP.response(reply, exposition: text), sent: 0)
            c.deadline = ZDeadline(after: limits.responseTimeout)
            return send(&c)
        case .writing:
            if revents & Int16(POLLHUP) != 0 { return false }
            return send(&c)
        case .draining(let dropped):
            let got = recv(c.fd, &scratch, scratch.count, 0)
            if got < 0 { return errno == EAGAIN || errno == EINTR }
            c.phase = .draining(dropped: dropped + got)
            return got > 0 && dropped + got <= Self.drainBytes
        }
    }

    /// Sends what the socket takes of the response; once all is sent, shuts the write side and drains.
    /// - Returns: false when the client is gone.
    private func send(_ c: inout Connection) -> Bool {
        guard case .writing(let bytes, var sent) = c.phase else { return true }
        while sent < bytes.count {
            let wrote = bytes[sent...].withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if wrote < 0 {
                if errno == EINTR { continue }
                c.phase = .writing(bytes, sent: sent)
                return errno == EAGAIN
            }
            sent += wrote
        }
        shutdown(c.fd, Int32(SHUT_WR))
        c.phase = .draining(dropped: 0)
        return true
    }

    /// Accepts waiting clients up to `Limits.maxConnections`, each given `requestTimeout`.
    private func accept() {
        while connections.count < limits.maxConnections {
            // accept(2), then the flags: Glibc's overlay hides accept4 behind _GNU_SOURCE.
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                guard fcntl(fd, F_SETFL, O_NONBLOCK) == 0 else { close(fd); continue }
                connections.append(Connection(fd: fd, phase: .reading([]), deadline: ZDeadline(after: limits.requestTimeout)))
                continue
            }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN: return
            default:  // EMFILE, ENFILE, ENOBUFS, ENOMEM: try again a little later
                acceptPausedUntil = ZDeadline(after: Self.acceptPause)
                return
            }
        }
    }

    /// Closes every connection, the listener and both ends of the wake pipe, then lets `stop()` return.
    private func closeAll() {
        for c in connections { close(c.fd) }
        connections = []
        close(listener)
        close(wakeRead)
        shared.lock.withLock {
            close(shared.wakeWrite)
            shared.wakeWrite = -1
        }
        shared.exited.signal()
    }
}
