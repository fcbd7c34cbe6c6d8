// StatusClient: `recur status`'s side of the StatusRequest — where a run's coordinator listens
// (`RUN_DIR/coordinator.json`) and one question to it with a deadline.
import Foundation
import RecurTransport
import RecurWire

/// Where a live run's coordinator can be asked, written into the run folder when it binds and
/// removed when it ends, so `recur status RUN_DIR` finds it.
public struct CoordinatorAddress: Codable, Sendable, Equatable {
    /// The endpoint it bound (a wildcard host is asked on loopback).
    public var endpoint: String
    /// The run's id, which every message must carry.
    public var runID: String
    /// The coordinator's process id.
    public var pid: Int32

    enum CodingKeys: String, CodingKey { case endpoint, runID = "run_id", pid }

    /// The file's name in a run folder.
    public static let fileName = "coordinator.json"

    /// Creates an address.
    public init(endpoint: String, runID: UInt64, pid: Int32) {
        self.endpoint = endpoint
        self.runID = String(runID)
        self.pid = pid
    }

    /// The address in `runDirectory`, or nil when no coordinator has one there (the run ended,
    /// or never began).
    public static func read(runDirectory: String) -> CoordinatorAddress? {
        let path = (runDirectory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(CoordinatorAddress.self, from: data)
    }

    /// Writes the address atomically into `runDirectory`.
    public func write(runDirectory: String) throws {
        let path = (runDirectory as NSString).appendingPathComponent(Self.fileName)
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Removes the address from `runDirectory` (the run is over).
    public static func remove(runDirectory: String) {
        try? FileManager.default.removeItem(atPath: (runDirectory as NSString).appendingPathComponent(fileName))
    }

    /// The endpoint to connect to: a wildcard bind is reached on loopback.
    public var connectable: String {
        endpoint.replacingOccurrences(of: "://0.0.0.0:", with: "://127.0.0.1:").replacingOccurrences(of: "://*:", with: "://127.0.0.1:")
    }
}

/// Asks a coordinator for a StatusReply.
public enum StatusClient {
    /// The coordinator's answer, or nil when none came within `timeout`.
    /// - Throws: `TransportError` when the socket cannot be made or connected, `RoleError.badConfig`
    ///   for plain TCP off loopback without keys or `insecure`.
    public static func ask(endpoint: String, runID: UInt64, security: RoleSecurity = .plain,
                           timeout: Duration = .seconds(3)) throws -> WireStatusReply? {
        try security.checkPlainTCP(endpoint)
        let context = try ZContext()
        let name = "status-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let socket = try RoleSupport.socket(context, .dealer, identity: name, security: security.client)
        defer { socket.close() }
        try socket.setLinger(.zero)
        try socket.connect(endpoint)
        try socket.send(WireMessage(runID: runID, sender: name, sequence: 1, body: .statusRequest), deadline: timeout)
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            let left = timeout - (ContinuousClock.now - start)
            guard let got = try socket.receiveMessage(deadline: left, routed: false, run: runID, role: "status", from: "coordinator")
            else { return nil }
            if case .statusReply(let r)? = got.message?.body { return r }
        }
        return nil
    }
}
