// Multipart send and receive with deadlines: nothing here waits longer than the caller allows.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ZSocket {
    /// Sends `frames` as one multipart message (`ZMQ_SNDMORE` on all but the last); libzmq
    /// delivers all of them or none. For a ROUTER, frame 0 is the destination's routing id.
    ///
    /// Waits at most `deadline` for room in the send queue, then throws `EAGAIN` (see
    /// `TransportError.isTimeout`). Small frames are copied once into a libzmq message; frames of
    /// `zeroCopyBytes` or more are handed to libzmq without a copy (it keeps the array alive until
    /// its I/O thread has written them).
    public func send(_ frames: [[UInt8]], deadline: Duration) throws {
        try send(frames: frames.map(ZOutFrame.init), deadline: deadline)
    }

    /// Sends `frames` as one multipart message, as the array form does; large parts with an owner
    /// are sent from their owner's memory without a copy.
    public func send(frames: [ZOutFrame], deadline: Duration) throws {
        let handle = try handle(for: "zmq_send")
        guard !frames.isEmpty else {
            throw TransportError(call: "zmq_send", code: EINVAL, reason: "no frames to send",
                                 hint: "a message needs at least one frame")
        }
        let limit = ZDeadline(after: deadline)
        for (index, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            var message: OutgoingMessage?
            if frame.bytes.count >= ZSocket.zeroCopyBytes, let owner = frame.owner { message = OutgoingMessage(frame, owner: owner) }
            defer { message?.close() }
            while true {
                let rc = message?.send(handle, flags: flags)
                    ?? withExtendedLifetime(frame.owner) { zmq_send(handle, frame.bytes.baseAddress, frame.bytes.count, flags) }
                if rc >= 0 { break }
                let code = zmq_errno()
                if code == EINTR && !limit.expired { continue }
                if code == EAGAIN, try wait(handle, events: ZMQ_POLLOUT, until: limit, call: "zmq_send") { continue }
                if code == EAGAIN {
                    throw TransportError(call: "zmq_send", code: EAGAIN,
                                         reason: "the deadline of \(deadline) passed before the message could be queued")
                }
                throw TransportError(call: "zmq_send", code: code)
            }
        }
    }

    /// Frames at least this large are sent without copying them into libzmq (1 MiB).
    public static let zeroCopyBytes = 1 << 20

    /// Receives one multipart message, waiting at most `deadline`; returns nil when the deadline
    /// passes first. Interrupted waits (EINTR) are retried while time remains.
    public func receive(deadline: Duration) throws -> [[UInt8]]? {
        try receiveFrames(deadline: deadline)?.map(\.array)
    }

    /// Receives one multipart message as `receive` does, but keeps each part in libzmq's memory
    /// (no copy): the parts hold it until they are freed.
    public func receiveFrames(deadline: Duration) throws -> [ZReceivedFrame]? {
        let handle = try handle(for: "zmq_msg_recv")
        let limit = ZDeadline(after: deadline)
        while true {
            if let first = try receiveFrame(handle) {
                var frames = [first]
                var more = first.more
                while more {
                    // Multipart messages arrive atomically: the remaining parts are already queued.
                    guard let next = try receiveFrame(handle, retries: 1000) else {
                        throw TransportError(call: "zmq_msg_recv", code: EAGAIN,
                                             reason: "a multipart message ended early")
                    }
                    frames.append(next)
                    more = next.more
                }
                return frames
            }
            guard try wait(handle, events: ZMQ_POLLIN, until: limit, call: "zmq_msg_recv") else { return nil }
        }
    }

    /// One part without blocking, or nil when none is queued (or the call was interrupted
    /// `retries` times in a row).
    private func receiveFrame(_ handle: UnsafeMutableRawPointer, retries: Int = 0) throws -> ZReceivedFrame? {
        var attempts = 0
        while zmq_msg_recv(scratch, handle, ZMQ_DONTWAIT) == -1 {
            let code = zmq_errno()
            if code == EAGAIN { return nil }
            if code == EINTR {
                attempts += 1
                if attempts > retries { return nil }
                continue
            }
            throw TransportError(call: "zmq_msg_recv", code: code)
        }
        return ZReceivedFrame(taking: scratch)
    }

    /// Polls this socket for `events` until they are ready (true) or `limit` passes (false).
    func wait(_ handle: UnsafeMutableRawPointer, events: Int32, until limit: ZDeadline, call: String) throws -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(events), revents: 0)
        while true {
            let rc = zmq_poll(&item, 1, limit.remainingMilliseconds)
            if rc > 0 { return true }
            if rc == -1 && zmq_errno() != EINTR { throw TransportError.last("zmq_poll") }
            if limit.expired { return false }
        }
    }
}
