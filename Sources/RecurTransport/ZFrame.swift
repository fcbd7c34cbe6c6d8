// ZFrame: message parts without copies: a received part that keeps libzmq's memory, and a part to
// send that libzmq reads straight from its owner's memory.
import CZeroMQ

/// One received message part. It owns libzmq's message, so its bytes are read where the I/O
/// thread put them (no copy into an array); the memory is released when the part is freed.
public final class ZReceivedFrame {
    private let msg: UnsafeMutablePointer<zmq_msg_t>
    /// The part's bytes, valid while this object lives.
    public let bytes: UnsafeRawBufferPointer
    /// Whether more parts of the same message follow (`ZMQ_MORE`).
    public let more: Bool

    /// Takes over the message in `source` (which is left empty and initialised).
    init(taking source: UnsafeMutablePointer<zmq_msg_t>) {
        msg = .allocate(capacity: 1)
        zmq_msg_init(msg)
        zmq_msg_move(msg, source)
        let size = zmq_msg_size(msg)
        bytes = UnsafeRawBufferPointer(start: size > 0 ? zmq_msg_data(msg) : nil, count: size)
        more = zmq_msg_more(msg) != 0
    }

    /// A copy of the bytes.
    public var array: [UInt8] { Array(bytes) }

    deinit {
        zmq_msg_close(msg)
        msg.deallocate()
    }
}

/// One message part to send: bytes and the object that keeps them alive and unchanged.
///
/// Parts of `ZSocket.zeroCopyBytes` or more that have an owner are handed to libzmq without a copy:
/// the owner is retained until libzmq's I/O thread has written them (`zmq_msg_init_data`), so
/// whoever owns the memory must not write to it while the owner is shared.
public struct ZOutFrame {
    /// The bytes to send.
    public let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` valid; nil means the bytes are copied into libzmq before `send` returns.
    public let owner: AnyObject?

    /// An array's bytes (kept alive by a box, never copied when large).
    public init(_ array: [UInt8]) {
        let hold = ArrayHold(array)
        bytes = hold.array.withUnsafeBytes { $0 }
        owner = hold
    }

    /// `bytes`, valid and unchanged while `owner` lives.
    public init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject?) {
        self.bytes = bytes
        self.owner = owner
    }
}

/// Keeps an array alive while libzmq still reads it.
private final class ArrayHold {
    let array: [UInt8]
    init(_ array: [UInt8]) { self.array = array }
}

/// A libzmq message whose payload is its owner's memory (`zmq_msg_init_data`): the owner is
/// retained until libzmq calls the free function, from whatever thread it sends on.
final class OutgoingMessage {
    private let msg = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
    private var owned = true

    init(_ frame: ZOutFrame, owner: AnyObject) {
        let hold = Unmanaged.passRetained(owner)
        let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<AnyObject>.fromOpaque(hint).release() }
        }
        // zmq_msg_init_data cannot fail for a non-null buffer (it only records the pointers).
        zmq_msg_init_data(msg, UnsafeMutableRawPointer(mutating: frame.bytes.baseAddress!), frame.bytes.count,
                          release, hold.toOpaque())
    }

    /// `zmq_msg_send`; on success libzmq owns the message (and will release the owner).
    func send(_ socket: UnsafeMutableRawPointer, flags: Int32) -> Int32 {
        let rc = zmq_msg_send(msg, socket, flags)
        if rc >= 0 { owned = false }
        return rc
    }

    /// Closes the message if libzmq never took it (which releases the owner).
    func close() {
        if owned { zmq_msg_close(msg) }
        owned = false
    }

    deinit {
        close()
        msg.deallocate()
    }
}
