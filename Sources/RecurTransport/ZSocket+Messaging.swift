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
        let handle = try handle(for: "zmq_send")
        guard !frames.isEmpty else {
            throw TransportError(call: "zmq_send", code: EINVAL, reason: "no frames to send",
                                 hint: "a message needs at least one frame")
        }
        let limit = ZDeadline(after: deadline)
        for (index, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (index < frames.count - 1 ? ZMQ_SNDMORE : 0)
            let message = frame.count >= ZSocket.zeroCopyBytes ? OutgoingMessage(holding: frame) : nil
            defer { message?.close() }
            while true {
                let rc = message?.send(handle, flags: flags)
                    ?? frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
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
        let handle = try handle(for: "zmq_msg_recv")
        let limit = ZDeadline(after: deadline)
        while true {
            if let first = try receiveFrame(handle) {
                var frames = [first.bytes]
                var more = first.more
                while more {
                    // Multipart messages arrive atomically: the remaining parts are already queued.
                    guard let next = try receiveFrame(handle, retries: 1000) else {
                        throw TransportError(call: "zmq_msg_recv", code: EAGAIN,
                                             reason: "a multipart message ended early")
                    }
                    frames.append(next.bytes)
                    more = next.more
                }
                return frames
            }
            guard try wait(handle, events: ZMQ_POLLIN, until: limit, call: "zmq_msg_recv") else { return nil }
        }
    }

    /// One frame without blocking, or nil when none is queued (or the call was interrupted
    /// `retries` times in a row).
    private func receiveFrame(_ handle: UnsafeMutableRawPointer, retries: Int = 0) throws -> (bytes: [UInt8], more: Bool)? {
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
        let size = zmq_msg_size(scratch)
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            if size > 0, let data = zmq_msg_data(scratch) {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
            }
            count = size
        }
        let more = zmq_msg_more(scratch) != 0
        // Release the payload now rather than at the next receive (it may be megabytes).
        zmq_msg_close(scratch)
        zmq_msg_init(scratch)
        return (bytes, more)
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

/// Keeps a frame's array alive while libzmq still reads it.
private final class FrameHold {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// A libzmq message whose payload is a Swift array's own storage (`zmq_msg_init_data`): the
/// array is retained until libzmq calls the free function, from whatever thread it sends on.
/// The array is never mutated while held (the holder owns an immutable copy of the reference),
/// so its contiguous storage, and the address handed to libzmq, stay put.
private final class OutgoingMessage {
    private let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
    private var owned = true

    init(holding bytes: [UInt8]) {
        let hold = Unmanaged.passRetained(FrameHold(bytes))
        let base = hold.takeUnretainedValue().bytes.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<FrameHold>.fromOpaque(hint).release() }
        }
        // zmq_msg_init_data cannot fail for a non-null buffer (it only records the pointers).
        zmq_msg_init_data(msg, base, bytes.count, release, hold.toOpaque())
    }

    /// `zmq_msg_send`; on success libzmq owns the message (and will release the array).
    func send(_ socket: UnsafeMutableRawPointer, flags: Int32) -> Int32 {
        let rc = zmq_msg_send(msg, socket, flags)
        if rc >= 0 { owned = false }
        return rc
    }

    /// Closes the message if libzmq never took it (which releases the array).
    func close() {
        if owned { zmq_msg_close(msg) }
        owned = false
    }

    deinit {
        close()
        msg.deallocate()
    }
}
