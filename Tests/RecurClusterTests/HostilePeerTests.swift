// HostilePeerTests: a client that must not be trusted speaks to a live `recur ps` and `recur
// coordinator` on their real sockets for a bounded time — random bytes, mutated envelopes, frames
// whose sizes lie, floods of hellos, a replayed gradient — without keys, or with a key the run does
// not know. Then a real worker joins, and the run ends with the single process's bits.
import Foundation
import RecurIO
import RecurTransport
import RecurWire
import XCTest

final class HostilePeerTests: ClusterTestCase {
    private let runID: UInt64 = 29

    /// The messages a hostile peer sends: every kind, `count` of each, from a seeded generator.
    func hostileMessages(count: Int, seed: UInt64) -> [[[UInt8]]] {
        var rng = SystemRandomNumberGenerator()
        var g = seed
        func next() -> UInt64 { g = g &* 6364136223846793005 &+ 1442695040888963407; return g >> 11 }
        _ = rng
        var out: [[[UInt8]]] = []
        let hello = WireMessage(runID: runID, sender: "intruder", sequence: 1,
                                body: .hello(WireHello(workerID: "intruder", pid: 1, hostname: "x", threads: 1)))
        let gradient = WireMessage(runID: runID, sender: "intruder", sequence: 2,
                                   body: .gradient(WireGradient(leaseID: 1, step: 0, shard: 0, shardCount: 4, weightVersion: 0,
                                                                tokenCount: 16, lossSum: 1)),
                                   frames: [try! WireFrame(name: "gradient", shape: [64], offset: 0, floats: [Float](repeating: 1e30, count: 64))])
        for i in 0..<count {
            // Random bytes, one to three frames.
            out.append((0..<(1 + Int(next() % 3))).map { _ in (0..<Int(next() % 200)).map { _ in UInt8(truncatingIfNeeded: next()) } })
            // A valid envelope with a few bytes flipped.
            var mutated = WireCodec.encode(i % 2 == 0 ? hello : gradient)
            for _ in 0..<(1 + Int(next() % 4)) where !mutated[0].isEmpty {
                let at = Int(next() % UInt64(mutated[0].count))
                mutated[0][at] ^= UInt8(truncatingIfNeeded: 1 + next() % 255)
            }
            out.append(mutated)
            // A frame whose declared size lies: the envelope of a gradient with a short payload.
            var lying = WireCodec.encode(gradient)
            lying[1] = Array(lying[1].prefix(Int(next() % 255)))
            out.append(lying)
            // A replay of an old gradient, as it was.
            out.append(WireCodec.encode(gradient))
        }
        return out
    }

    /// Sends every message of `messages` from a socket of `context` to `endpoint`, under
    /// `identities` in turn (a flood of hellos from distinct peers among them), within `seconds`.
    func attack(_ endpoint: String, messages: [[[UInt8]]], security: ZSecurity, seconds: Double) throws {
        let context = try ZContext()
        var sockets: [ZSocket] = []
        // Closing waits (at most 2 s) for what is queued to leave: the traffic must reach the peer.
        defer { sockets.forEach { $0.close() } }
        for k in 0..<8 {
            let s = try ZSocket(context: context, type: .dealer)
            try s.setIdentity("intruder-\(k)")
            try s.setLinger(.seconds(2))
            try s.secure(security)
            try s.connect(endpoint)
            sockets.append(s)
        }
        let end = Date().addingTimeInterval(seconds)
        for (i, m) in messages.enumerated() where Date() < end {
            try? sockets[i % sockets.count].send(m, deadline: .milliseconds(20))
        }
        // A flood of hellos, each from a peer of its own.
        for k in 0..<40 where Date() < end {
            let s = try ZSocket(context: context, type: .dealer)
            try s.setIdentity("hello-flood-\(k)")
            try s.setLinger(.seconds(2))
            try s.secure(security)
            try s.connect(endpoint)
            sockets.append(s)
            let hello = WireMessage(runID: runID, sender: "hello-flood-\(k)", sequence: 1,
                                    body: .hello(WireHello(workerID: "hello-flood-\(k)", pid: 1, hostname: "x", threads: 1)))
            for _ in 0..<5 { try? s.send(WireCodec.encode(hello), deadline: .milliseconds(20)) }
        }
    }

    /// The run under attack: server and coordinator (with `keys`, when given), the hostile
    /// traffic, then one real worker; the run must end as the single process ends it.
    func check(keys: String?, hostile: ZSecurity) throws {
        let flags = Self.tinyFlags
        let reference = try ReferenceRuns.singleProcess(flags, in: self)
        let keyFlags = keys.map { ["--keys", $0] } ?? []
        let ps = try start(["ps", "--bind", "tcp://127.0.0.1:*", "--run-id", String(runID), "--die-with-parent",
                            "--log-format", "json"] + keyFlags, name: "ps")
        let psEndpoint = try ps.endpoint()
        let dir = path("run")
        // A 2-s lease makes the coordinator give up on a silent server after 8 s: the attack on
        // the server lasts up to 5 s, and under ThreadSanitizer a server refusing a flood of CURVE
        // handshakes can stay silent for more than the 4 s a 1-s lease allows.
        let coordinator = try startCoordinator(flags + keyFlags, ps: psEndpoint, runID: runID, runDir: dir, leaseTimeout: 2)
        let endpoint = try coordinator.endpoint()
        let messages = hostileMessages(count: 100, seed: 7)
        try attack(psEndpoint, messages: messages, security: hostile, seconds: 5)
        try attack(endpoint, messages: messages, security: hostile, seconds: 5)
        XCTAssertTrue(ps.isRunning, "the server survives the attack\n\(ps.summary)")
        XCTAssertTrue(coordinator.isRunning, "the coordinator survives the attack\n\(coordinator.summary)")
        let worker = try startWorker("worker-real", coordinator: endpoint, runID: runID, extra: keyFlags)
        assertFinishes(coordinator, seconds: 60)
        assertFinishes(ps, seconds: 15)
        assertFinishes(worker, seconds: 15)
        assertSameRun(try RunRecord.read(dir), reference, "a run attacked before its worker joined")
        let closed = coordinator.events(.coordinatorClosed).first, served = ps.events(.serverClosed).first
        let refused = coordinator.events(.clientRefused).count + ps.events(.clientRefused).count
        let dropped = coordinator.events(.messageDropped).count + ps.events(.messageDropped).count
        let joined = coordinator.events(.workerJoined).count
        print("HostilePeerTests (\(keys == nil ? "no keys" : "wrong key")): \(messages.count) messages and 200 hellos to each; "
              + "coordinator closed with \(closed?.fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") ?? "?"); "
              + "server closed with \(served?.fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") ?? "?"); "
              + "messages dropped as malformed: \(dropped); peers joined: \(joined); CURVE handshakes refused: \(refused)")
        if keys != nil {
            XCTAssertGreaterThan(refused, 0, "the unknown key is refused by the ZAP handler")
            XCTAssertEqual(joined, 1, "only the real worker joins a run with keys")
        } else {
            XCTAssertGreaterThan(dropped, 0, "malformed messages reached the roles and were dropped")
            XCTAssertGreaterThan(joined, 1, "the hello flood reached the coordinator")
        }
    }

    func testWithoutKeysTheRunEndsWithTheSingleProcessBits() throws {
        try check(keys: nil, hostile: .none)
    }

    func testWithAnUnknownKeyTheRunEndsWithTheSingleProcessBits() throws {
        let file = path("keys")
        let made = try runToEnd(["keygen", "--out", file, "--clients", "coordinator,ps,worker"], name: "keygen")
        XCTAssertEqual(made.status, 0, made.summary)
        let real = try CurveKeys.load(path: file)
        let stranger = try CurveKeys.generate(clients: ["worker"])
        // The server's public key is known to the intruder; its client key is not in the run's file.
        let intruder = CurveKeys(serverPublicKey: real.serverPublicKey, serverSecretKey: nil, clients: stranger.clients)
        try check(keys: file, hostile: .curveClient(intruder, name: "worker"))
    }
}
