// Rendezvous: how `recur launch` finds its role and its peers — from flags, else from the
// variables schedulers set (RECUR_*, torchrun's MASTER_ADDR/RANK/WORLD_SIZE, Slurm's SLURM_*).
import Foundation

/// What the user gave on the command line; nil means "look in the environment".
public struct LaunchSettings: Sendable {
    /// "coordinator", "ps", "worker" or "auto" (from the rank).
    public var role: String?
    /// This process's rank: 0 coordinator, 1…S parameter servers, the rest workers.
    public var rank: Int?
    /// Processes in the run.
    public var worldSize: Int?
    /// The coordinator's host.
    public var masterAddr: String?
    /// The coordinator's port; parameter server k listens on port + 1 + k.
    public var masterPort: Int?
    /// Parameter-server shards S.
    public var psShards: Int?
    /// A parameter server's slice when no rank says it.
    public var psIndex: Int?
    /// The address peers reach this process at.
    public var advertiseAddr: String?
    /// The run id every process shares.
    public var runID: UInt64?

    /// Creates settings (all unset).
    public init() {}
}

/// One process's place in a run, resolved.
public struct LaunchPlan: Equatable, Sendable {
    /// The role to play.
    public enum Role: Equatable, Sendable {
        /// Rank 0: deals shards, writes metrics and checkpoints.
        case coordinator
        /// A parameter server for slice `Int`.
        case ps(Int)
        /// A worker.
        case worker
    }

    /// The role to play.
    public var role: Role
    /// The rank, when one was given.
    public var rank: Int?
    /// The world size, when one was given.
    public var worldSize: Int?
    /// The coordinator's host and port.
    public var masterAddr: String, masterPort: Int
    /// Parameter-server shards S.
    public var psShards: Int
    /// The run id.
    public var runID: UInt64
    /// The address peers reach this process at (parameter servers advertise it).
    public var advertiseAddr: String?
    /// Where each setting came from, e.g. "rank=3 (SLURM_PROCID)", for the start-up log line.
    public var sources: [String]

    /// The coordinator's endpoint, e.g. "tcp://10.0.0.1:29500".
    public var coordinatorEndpoint: String { "tcp://\(Self.hostPart(masterAddr)):\(masterPort)" }

    /// The endpoint this process binds: the coordinator's port or parameter server k's
    /// (port + 1 + k), on every interface — or on loopback only when the run is on loopback.
    public var bindEndpoint: String? {
        let host = Self.isLoopback(role == .coordinator ? masterAddr : advertiseAddr ?? masterAddr) ? "127.0.0.1" : "*"
        switch role {
        case .coordinator: return "tcp://\(host):\(masterPort)"
        case .ps(let k): return "tcp://\(host):\(masterPort + 1 + k)"
        case .worker: return nil
        }
    }

    /// A parameter server's advertised endpoint.
    public var advertisedEndpoint: String? {
        guard case .ps(let k) = role, let a = advertiseAddr else { return nil }
        return "tcp://\(Self.hostPart(a)):\(masterPort + 1 + k)"
    }

    static func hostPart(_ host: String) -> String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }

    /// Whether `host` names this machine's loopback.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// Resolves a `LaunchPlan` from settings and environment variables.
public enum Rendezvous {
    /// torchrun's default port, used when nothing names one.
    public static let defaultPort = 29500

    /// The plan for `s` in `environment` (flags first, then RECUR_*, then torchrun's, then Slurm's).
    /// - Throws: `RoleError.badConfig` naming what is missing or inconsistent.
    public static func plan(_ s: LaunchSettings, environment env: [String: String]) throws -> LaunchPlan {
        var sources: [String] = []
        func pick<T>(_ name: String, _ flag: T?, _ variables: [String], parse: (String) -> T?) throws -> T? {
            if let flag { sources.append("\(name) (flag)"); return flag }
            for v in variables {
                guard let text = env[v], !text.isEmpty else { continue }
                guard let value = parse(text) else { throw RoleError.badConfig("\(v)=\"\(text)\" is not a valid \(name)") }
                sources.append("\(name) (\(v))")
                return value
            }
            return nil
        }
        let rank = try pick("rank", s.rank, ["RECUR_RANK", "RANK", "SLURM_PROCID"]) { Int($0) }
        let world = try pick("world size", s.worldSize, ["RECUR_WORLD_SIZE", "WORLD_SIZE", "SLURM_NTASKS"]) { Int($0) }
        var master = try pick("master address", s.masterAddr, ["RECUR_MASTER_ADDR", "MASTER_ADDR"]) { $0 }
        if master == nil, let list = env["SLURM_JOB_NODELIST"] ?? env["SLURM_NODELIST"] {
            master = try expandNodeList(list).first
            sources.append("master address (first host of SLURM_JOB_NODELIST)")
        }
        let port = try pick("master port", s.masterPort, ["RECUR_MASTER_PORT", "MASTER_PORT"]) { Int($0) } ?? defaultPort
        let shards = try pick("ps shards", s.psShards, ["RECUR_PS_SHARDS"]) { Int($0) } ?? 1
        let psIndex = try pick("ps index", s.psIndex, ["RECUR_PS_INDEX"]) { Int($0) }
        let roleName = try pick("role", s.role, ["RECUR_ROLE"]) { $0 } ?? "auto"
        guard shards >= 1 else { throw RoleError.badConfig("--ps-shards must be at least 1, got \(shards)") }
        guard (1...65535).contains(port), port + shards <= 65535 else { throw RoleError.badConfig("master port \(port) leaves no room for \(shards) parameter server port(s)") }
        let role: LaunchPlan.Role
        switch roleName {
        case "coordinator": role = .coordinator
        case "worker": role = .worker
        case "ps":
            guard let k = psIndex ?? rank.map({ $0 - 1 }), (0..<shards).contains(k) else {
                throw RoleError.badConfig("a parameter server needs --ps-index (or RECUR_PS_INDEX, or a rank 1…\(shards)) below --ps-shards \(shards)")
            }
            role = .ps(k)
        case "auto":
            guard let rank else {
                throw RoleError.badConfig("no role: pass --role, or a rank (--rank, RECUR_RANK, RANK or SLURM_PROCID)")
            }
            if let world, !(0..<world).contains(rank) { throw RoleError.badConfig("rank \(rank) is outside world size \(world)") }
            if let world, world < shards + 2 {
                throw RoleError.badConfig("world size \(world) leaves no worker: rank 0 coordinates, ranks 1…\(shards) serve parameters")
            }
            role = rank == 0 ? .coordinator : rank <= shards ? .ps(rank - 1) : .worker
        default:
            throw RoleError.badConfig("--role must be auto, coordinator, ps or worker, got \"\(roleName)\"")
        }
        guard let masterAddr = master ?? (role == .coordinator ? "127.0.0.1" : nil) else {
            throw RoleError.badConfig("no coordinator address: pass --master-addr, or set RECUR_MASTER_ADDR, MASTER_ADDR or SLURM_JOB_NODELIST")
        }
        let explicitID = try pick("run id", s.runID, ["RECUR_RUN_ID", "SLURM_JOB_ID"]) { UInt64($0) }
        let runID = explicitID ?? fnv1a("\(masterAddr):\(port)")
        var advertise = try pick("advertise address", s.advertiseAddr, ["RECUR_ADVERTISE_ADDR"]) { $0 }
        if advertise == nil, case .ps = role {
            advertise = LaunchPlan.isLoopback(masterAddr) ? "127.0.0.1" : localAddress(toward: masterAddr, port: port)
            guard advertise != nil else {
                throw RoleError.badConfig("cannot tell which local address reaches \(masterAddr); pass --advertise-addr")
            }
            sources.append("advertise address (route to the coordinator)")
        }
        return LaunchPlan(role: role, rank: rank, worldSize: world, masterAddr: masterAddr, masterPort: port, psShards: shards,
                          runID: max(runID, 1), advertiseAddr: advertise, sources: sources)
    }

    /// 64-bit FNV-1a of `text`: a run id every process derives alike from the coordinator's address.
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h >> 1  // fits in Int64, as run ids do on the command line
    }
}
