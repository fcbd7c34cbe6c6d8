// Shared fixtures for the wire tests: one sample message per body kind, a seeded RNG and a tiny protobuf writer.
import RecurWire
import XCTest

/// Sample messages covering every body kind, with the frames each kind carries.
enum Samples {
    static let run: UInt64 = 0xDEAD_BEEF_0123_4567

    /// Float values including edge cases whose bit patterns must survive the trip.
    static func floats(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix(seed)
        let special: [Float] = [0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .nan]
        return (0..<count).map { $0 < special.count ? special[$0] : Float(rng.unit() * 2 - 1) * 1000 }
    }

    /// An example shard's frames: three examples of lengths 5, 2 and 1, one label each.
    static func exampleFrames() throws -> [WireFrame] {
        [try WireFrame(name: "inputs", shape: [5, 3], int32s: (0..<15).map { Int32($0 % 4) }),
         try WireFrame(name: "lengths", shape: [3], int32s: [5, 2, 1]),
         try WireFrame(name: "targets", shape: [3], int32s: [1, 0, 1])]
    }

    static func taskFrames() throws -> [WireFrame] {
        let (t, n, l, s, h) = (5, 3, 2, 2, 4)
        return [
            try WireFrame(name: "inputs", shape: [t, n], int32s: (0..<Int32(t * n)).map { $0 * 7 - 20 }),
            try WireFrame(name: "targets", shape: [t, n], int32s: (0..<Int32(t * n)).map { $0 + 1 }),
            try WireFrame(name: "state", shape: [n, l, s, h], floats: floats(n * l * s * h, seed: 1)),
        ]
    }

    /// (body, frames) for every message kind.
    static func all() throws -> [(WireBody, [WireFrame])] {
        let state = try WireFrame(name: "state", shape: [3, 2, 2, 4], floats: floats(48, seed: 2))
        return [
            (.hello(WireHello(workerID: "worker-3", pid: 4242, hostname: "node-é", threads: 8, securityMechanism: "curve")), []),
            (.welcome(WireWelcome(configJSON: #"{"cell":"gru","hidden":64}"#, psEndpoints: ["tcp://127.0.0.1:5601", "tcp://127.0.0.1:5602"],
                                  heartbeatIntervalMs: 1000, leaseTimeoutMs: 15000, currentVersion: 17)), []),
            (.task(WireTask(step: 12, shard: 1, shardCount: 4, firstLane: 3, laneCount: 3, steps: 5,
                            weightVersion: 11, leaseID: 99)), try taskFrames()),
            (.task(WireTask(step: 12, shard: 1, shardCount: 4, firstLane: 3, laneCount: 3, steps: 5,
                            weightVersion: 11, leaseID: 100, kind: .examples)), try exampleFrames()),
            (.result(WireResult(leaseID: 99, step: 12, shard: 1, weightVersion: 11, lossSum: 123.456,
                                tokenCount: 15, computeMs: 3.25)), [state]),
            (.gradient(WireGradient(leaseID: 99, step: 12, shard: 1, shardCount: 4, weightVersion: 11, tokenCount: 15,
                                          lossSum: 31.5)),
             [try WireFrame(name: "gradient", shape: [10], offset: 0, floats: floats(10, seed: 3)),
              try WireFrame(name: "gradient", shape: [6], offset: 10, floats: floats(6, seed: 4))]),
            (.stepApplied(WireStepApplied(version: 12, step: 12, gradNorm: 0.5, staleness: 1)), []),
            (.statusRequest, []),
            (.statusReply(WireStatusReply(step: 7, totalSteps: 40, etaSeconds: 12.5, lastCheckpointStep: 5, loss: 1.25,
                                          state: "running",
                                          workers: [WireWorkerStatus(name: "worker-1", host: "node-é", state: "computing", shard: 2,
                                                                     shardsDone: 9, tokensPerSecond: 812.5, secondsSinceHeard: 0.25),
                                                    WireWorkerStatus(name: "worker-0", host: "h", state: "gone: lease expired",
                                                                     shard: nil, shardsDone: 3, tokensPerSecond: 0, secondsSinceHeard: 31)],
                                          servers: [WireServerStatus(slice: 0, endpoint: "tcp://127.0.0.1:5601", version: 8,
                                                                     secondsSinceHeard: 0.5)],
                                          shardsRedealt: 1, duplicatesDropped: 2, leasesOutstanding: 3)), []),
            (.stepApplied(WireStepApplied(version: 11, step: 12, gradNorm: .infinity, staleness: 0,
                                          rejectionReason: "gradient not finite")), []),
            (.weightsRequest(WireWeightsRequest(minVersion: 12)), []),
            (.weightsRequest(WireWeightsRequest(minVersion: 13, inPieces: true)), []),
            (.weights(WireWeights(version: 12)), [try WireFrame(name: "params", shape: [16], floats: floats(16, seed: 5))]),
            (.heartbeat(WireHeartbeat(nowMs: 1_700_000_000_000, state: "computing")), []),
            (.leave(WireLeave(reason: "interrupted", leaseID: 99)), []),
            (.leave(WireLeave(reason: "finished")), []),
            (.reject(WireReject(code: .stale, detail: "weight version 3 is older than 10", refusedSequence: 77)), []),
        ]
    }

    static func message(_ body: WireBody, _ frames: [WireFrame] = [], sequence: UInt64 = 5) -> WireMessage {
        WireMessage(runID: run, sender: "worker-3", sequence: sequence, body: body, frames: frames)
    }
}

/// SplitMix64: a small seeded generator so fuzz loops are reproducible.
struct SplitMix {
    private var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

/// Writes protobuf wire format by hand, independent of the codec under test, to craft envelopes
/// that the Swift API refuses to build.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func field(_ number: Int, varint value: UInt64) {
        varint(UInt64(number << 3)); varint(value)
    }
    mutating func field(_ number: Int, bytes payload: [UInt8]) {
        varint(UInt64(number << 3 | 2)); varint(UInt64(payload.count)); bytes += payload
    }
    mutating func field(_ number: Int, string: String) { field(number, bytes: Array(string.utf8)) }
    mutating func field(_ number: Int, message: ProtoWriter) { field(number, bytes: message.bytes) }

    /// An envelope header (version, run, sender) ready for a body and frame specs.
    static func envelope(version: UInt64 = UInt64(WireProtocol.version), run: UInt64 = Samples.run) -> ProtoWriter {
        var w = ProtoWriter()
        w.field(1, varint: version)
        w.field(2, varint: run)
        w.field(3, string: "crafted")
        return w
    }

    /// A FrameSpec with the given raw fields.
    static func frameSpec(name: String, dtype: UInt64, shape: [UInt64], offset: UInt64 = 0) -> ProtoWriter {
        var w = ProtoWriter()
        w.field(1, string: name)
        w.field(2, varint: dtype)
        for dimension in shape { w.field(3, varint: dimension) }   // unpacked repeated: also legal
        w.field(4, varint: offset)
        return w
    }

    /// A heartbeat body (field 18).
    mutating func heartbeatBody() { field(18, message: ProtoWriter()) }
}

/// Asserts `body` throws exactly `expected`, and that its description is one non-empty line.
func assertWireError(_ expected: WireError, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected \(expected), nothing thrown", file: file, line: line)
    } catch let error as WireError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
    } catch {
        XCTFail("unexpected error type \(type(of: error)): \(error)", file: file, line: line)
    }
}
