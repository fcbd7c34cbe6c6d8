// RoleSecurity: how a role secures its sockets — ZeroMQ CURVE with the run's key file, or plain
// TCP, which is allowed only on loopback unless the user says --insecure.
import Foundation
import RecurIO
import RecurTransport

/// The security every socket of one role process uses.
public struct RoleSecurity: Sendable {
    /// The run's key file; nil for plain (NULL-mechanism) sockets.
    public var keys: CurveKeys?
    /// This process's client key in the file (e.g. "worker").
    public var keyName: String
    /// Plain TCP off loopback was asked for explicitly.
    public var insecure: Bool

    /// Plain sockets, loopback only.
    public static let plain = RoleSecurity(unchecked: nil, keyName: "", insecure: false)

    /// Creates a setting.
    /// - Throws: `RoleError.badConfig` when `keys` has no client `keyName`.
    public init(keys: CurveKeys?, keyName: String, insecure: Bool) throws {
        if let keys, keys.client(named: keyName) == nil {
            throw RoleError.badConfig("the key file has no client \"\(keyName)\" (clients: \(keys.clients.map(\.name).joined(separator: ", ")))")
        }
        self.init(unchecked: keys, keyName: keyName, insecure: insecure)
    }

    init(unchecked keys: CurveKeys?, keyName: String, insecure: Bool) {
        self.keys = keys
        self.keyName = keyName
        self.insecure = insecure
    }

    /// What a bound (server) socket uses.
    public var server: ZSecurity { keys.map { .curveServer($0) } ?? .none }
    /// What a connecting (client) socket uses.
    public var client: ZSecurity { keys.map { .curveClient($0, name: keyName) } ?? .none }
    /// "curve" or "null", for Hello messages and logs.
    public var mechanism: String { keys == nil ? "null" : "curve" }

    /// Throws unless `endpoint` may be used: with keys anything goes; without, only loopback TCP,
    /// IPC and in-process endpoints, or any TCP with `insecure`.
    /// - Throws: `RoleError.badConfig` naming the endpoint and the two ways out.
    public func checkPlainTCP(_ endpoint: String) throws {
        guard keys == nil, !insecure, endpoint.hasPrefix("tcp://") else { return }
        var host = String(endpoint.dropFirst(6))
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        if let semi = host.firstIndex(of: ";") { host = String(host[host.index(after: semi)...]) }  // "src;dst" connects
        host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        guard loopback else {
            throw RoleError.badConfig("refusing plain TCP on \(endpoint): traffic off loopback must be encrypted; pass --keys FILE (made by `recur keygen`) or, on a network you trust, --insecure")
        }
    }

    /// The ZAP handler admitting the key file's clients, for a process that binds CURVE sockets;
    /// nil without keys. Create it before binding.
    public func startAuthenticator(_ context: ZContext, role: String) throws -> ZAPHandler? {
        guard let keys else { return nil }
        return try ZAPHandler(context: context, allowedKeys: keys.allowedClientKeys) { notice in
            guard let r = notice.refusal else { return RoleSupport.log(role, notice.line) }
            RoleSupport.log(role, LogRecord(.clientRefused, notice.line, [("address", .string(r.address)), ("mechanism", .string(r.mechanism)),
                                                                         ("key", r.key.map { .string($0) } ?? .null), ("reason", .string(r.reason))]))
        }
    }
}
