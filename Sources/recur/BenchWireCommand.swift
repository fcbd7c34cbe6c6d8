// BenchWireCommand: `recur bench-wire` — tensor transfer over loopback through the whole wire path
// (encode, ZeroMQ, decode, copy into a buffer) against raw ZeroMQ frames of the same size.
import ArgumentParser
import Foundation
import RecurMath
import RecurRoles
import RecurTransport
import RecurWire

/// `recur bench-wire`: measures the wire path's bandwidth against raw ZeroMQ on 127.0.0.1.
struct BenchWireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-wire", abstract: "Measure tensor transfer against raw ZeroMQ bandwidth (loopback).",
        discussion: """
        Sends --count messages of --floats float32 values from a DEALER to a ROUTER on 127.0.0.1,
        first as one raw frame each, then as a Gradient message (WireFrame from a flat buffer,
        WireCodec encode, send, receive, decode, copy into a flat buffer: the path the roles take,
        with one copy, into the destination). Prints GB/s of both.

        Example:
          recur bench-wire --floats 4270146 --count 40
        """)

    @Option(help: "Floats per tensor (4,270,146 is the LSTM H=512 L=2 char model).")
    var floats: Int = 4_270_146
    @Option(help: "Endpoint the receiving ROUTER binds: tcp://127.0.0.1:* (loopback TCP) or ipc://PATH (a Unix socket).")
    var bind: String = "tcp://127.0.0.1:*"
    @Option(help: "Messages per measurement.")
    var count: Int = 40

    func run() throws {
        let context = try ZContext()
        let router = try ZSocket(context: context, type: .router)
        try router.setMaxMessageBytes(1 << 30)
        try router.setReceiveHighWaterMark(4)
        let endpoint = try router.bind(bind)
        let handoff = SenderSocket(try ZSocket(context: context, type: .dealer))
        let dealer = handoff.socket, sent = DispatchSemaphore(value: 0)
        try dealer.setIdentity("bench")
        try dealer.setSendHighWaterMark(4)
        try dealer.connect(endpoint)
        let source = FloatBuffer(count: floats), sink = FloatBuffer(count: floats)
        for i in 0..<floats { source[i] = Float(i % 1000) }
        let bytes = Double(floats * 4 * count)

        // Raw: the same payload as one frame, no encoding, read where libzmq received it.
        let raw = [UInt8](UnsafeRawBufferPointer(start: source.pointer, count: floats * 4))
        var t0 = Date()
        let sender = Thread { for _ in 0..<count { try? handoff.socket.send([raw], deadline: .seconds(30)) }; sent.signal() }
        sender.start()
        for _ in 0..<count { guard try router.receiveFrames(deadline: .seconds(30)) != nil else { throw ValidationError("raw receive timed out") } }
        sent.wait()
        let rawRate = bytes / Date().timeIntervalSince(t0) / 1e9

        // The wire path the roles take: a frame over the buffer (not copied), encoded, sent,
        // received into libzmq's memory, decoded, and copied once into the destination buffer.
        t0 = Date()
        let wireSender = Thread {
            for i in 0..<count {
                let frame = try! WireFrame(name: "gradient", shape: [floats], borrowing: UnsafeBufferPointer(start: source.pointer, count: floats),
                                           owner: source)
                let m = WireMessage(runID: 1, sender: "bench", sequence: UInt64(i),
                                    body: .gradient(WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 1, weightVersion: 0,
                                                                 tokenCount: 1, lossSum: 0)), frames: [frame])
                try? handoff.socket.send(m, deadline: .seconds(30))
            }
            sent.signal()
        }
        wireSender.start()
        for _ in 0..<count {
            guard let got = try router.receiveMessage(deadline: .seconds(30), routed: true, run: 1, role: "bench", from: ""),
                  let m = got.message else { throw ValidationError("wire receive timed out or did not decode") }
            try m.frame(named: "gradient").copyFloats(into: UnsafeMutableBufferPointer(start: sink.pointer, count: floats))
        }
        sent.wait()
        let wireRate = bytes / Date().timeIntervalSince(t0) / 1e9
        print(String(format: "%d messages of %.1f MB: raw ZeroMQ %.2f GB/s, wire path %.2f GB/s (%.0f%%)",
                     count, Double(floats * 4) / 1e6, rawRate, wireRate, 100 * wireRate / rawRate))
    }
}

/// The dealer, used by one sender thread at a time. ZeroMQ lets a socket move between threads
/// when a full memory barrier separates their uses: the thread's start, and `sent.wait()` before
/// the next thread starts or the socket closes.
private final class SenderSocket: @unchecked Sendable {
    let socket: ZSocket
    init(_ socket: ZSocket) { self.socket = socket }
}
