// DeployChecks+Compose: what deploy/docker/compose.yaml must hold — a coordinator, a PS and
// elastic workers running `recur launch` from the recur image, rendezvous in RECUR_* variables,
// keys from compose secrets, the run folder on a named volume.
import Foundation

enum ComposeCheck {
    /// A service's `environment`, in either of Compose's forms (mapping, or `KEY=value` list).
    static func environment(_ service: [String: Any]) -> [String: String] {
        if let m = mapping(service["environment"]) {
            return m.compactMapValues { scalar($0) ?? "" }
        }
        var out: [String: String] = [:]
        for item in strings(service["environment"]) ?? [] {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            out[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return out
    }

    /// The names in a service's `secrets` (short form or `{source: …}`).
    static func secretNames(_ service: [String: Any]) -> [String] {
        (sequence(service["secrets"]) ?? []).compactMap { scalar($0) ?? scalar(mapping($0)?["source"]) }
    }

    /// Problems with a compose file.
    /// - Parameter text: the YAML text of `compose.yaml`.
    /// - Returns: one message per problem; empty when the file is right.
    /// - Throws: Yams' error when the YAML does not parse.
    static func problems(_ text: String) throws -> [String] {
        var p: [String] = []
        guard let root = mapping(try yamlDocuments(text).first), let services = mapping(root["services"]) else {
            return ["compose.yaml: no services"]
        }
        let topSecrets = mapping(root["secrets"]) ?? [:]
        let topVolumes = mapping(root["volumes"]) ?? [:]
        var shards: Set<String> = []
        for role in ["coordinator", "ps", "worker"] {
            guard let s = mapping(services[role]) else { p.append("compose.yaml: no service \(role)"); continue }
            let at = "compose.yaml services.\(role)"
            let image = scalar(s["image"]) ?? ""
            let dockerfile = scalar(lookup(s, "build", "dockerfile")) ?? ""
            if !image.hasPrefix("recur") && dockerfile != "deploy/docker/Dockerfile" {
                p.append("\(at): not the recur image (image \(image), dockerfile \(dockerfile))")
            }
            if strings(s["entrypoint"]) != ["recur"] { p.append("\(at): entrypoint must be [recur]") }
            let command = strings(s["command"]) ?? []
            if command.first != "launch" { p.append("\(at): command must start with launch, got \(command)") }
            p += flagProblems(Array(command.dropFirst()), allowed: launchFlags, origin: at)
            let env = environment(s)
            let givenRole = value(of: "--role", in: command) ?? env["RECUR_ROLE"]
            if givenRole != role { p.append("\(at): role \(givenRole ?? "none"), expected \(role)") }
            for name in env.keys where name.hasPrefix("RECUR_") && !launchVariables.contains(name) {
                p.append("\(at): unknown variable \(name)")
            }
            if env["RECUR_MASTER_ADDR"] != "coordinator" { p.append("\(at): RECUR_MASTER_ADDR must be the service coordinator") }
            if env["RECUR_MASTER_PORT"] == nil { p.append("\(at): no RECUR_MASTER_PORT") }
            if env["RECUR_INSECURE"] != nil { p.append("\(at): RECUR_INSECURE set: compose runs with keys") }
            // Keys: RECUR_KEYS names a secret of this service, declared with a file under keys/.
            let keys = env["RECUR_KEYS"] ?? ""
            let secret = keys.hasPrefix("/run/secrets/") ? String(keys.dropFirst("/run/secrets/".count)) : ""
            if secret.isEmpty { p.append("\(at): RECUR_KEYS must point into /run/secrets/, got \(keys)") }
            if !secretNames(s).contains(secret) { p.append("\(at): secret \(secret) not given to the service") }
            let file = scalar(mapping(topSecrets[secret])?["file"]) ?? ""
            if !file.hasPrefix("./keys/") { p.append("\(at): secret \(secret) must be a file under ./keys/, got \(file)") }
            if role == "ps" {
                shards.insert(value(of: "--ps-index", in: command) ?? env["RECUR_PS_INDEX"] ?? "?")
                if env["RECUR_ADVERTISE_ADDR"] != role { p.append("\(at): RECUR_ADVERTISE_ADDR must be its service name") }
            }
            if role != "coordinator" {
                let deps = strings(s["depends_on"]) ?? mapping(s["depends_on"]).map { Array($0.keys) } ?? []
                if !deps.contains("coordinator") { p.append("\(at): must depend on coordinator") }
            }
        }
        if shards != ["0"] { p.append("compose.yaml: the ps service must be --ps-index 0, got \(shards)") }
        for (role, s) in services {
            let shardsGiven = environment(mapping(s) ?? [:])["RECUR_PS_SHARDS"]
            if shardsGiven != "1" { p.append("compose.yaml services.\(role): RECUR_PS_SHARDS must be 1 (one ps service)") }
        }
        if let c = mapping(services["coordinator"]) {
            let command = strings(c["command"]) ?? []
            let runDir = value(of: "--run-dir", in: command)
            if runDir == nil || value(of: "--resume", in: command) != runDir {
                p.append("compose.yaml coordinator: --resume must repeat --run-dir")
            }
            let mounts = (strings(c["volumes"]) ?? []).map { $0.split(separator: ":").map(String.init) }
            if !mounts.contains(where: { $0.count >= 2 && $0[1] == runDir && topVolumes.keys.contains($0[0]) }) {
                p.append("compose.yaml coordinator: the run folder \(runDir ?? "?") is not a named volume")
            }
            let port = environment(c)["RECUR_MASTER_PORT"] ?? "?"
            if !(strings(c["ports"]) ?? []).contains(where: { $0.hasSuffix(":\(port)") }) {
                p.append("compose.yaml coordinator: master port \(port) not published")
            }
        }
        if let w = mapping(services["worker"]) {
            if scalar(lookup(w, "deploy", "replicas")) != "2" { p.append("compose.yaml worker: deploy.replicas must be 2") }
            if strings(w["command"]).flatMap({ value(of: "--ps-index", in: $0) }) != nil {
                p.append("compose.yaml worker: a worker takes no --ps-index")
            }
        }
        return p
    }
}
