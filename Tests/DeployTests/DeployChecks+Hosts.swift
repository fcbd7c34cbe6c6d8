// DeployChecks+Hosts: what the files for machines without an orchestrator must hold — the Slurm
// batch script (`srun … recur launch`, directives before the first command) and the systemd units
// (INI sections, `recur launch` in ExecStart, the shared environment file, hardening).
import Foundation

enum SlurmCheck {
    /// Problems with a batch script's text (the `bash -n` syntax check is a test of its own).
    static func problems(_ text: String) -> [String] {
        var p: [String] = []
        let lines = logicalLines(text)
        // sbatch reads #SBATCH directives only up to the first command.
        let firstCommand = lines.firstIndex { let t = $0.trimmingCharacters(in: .whitespaces); return !t.isEmpty && !t.hasPrefix("#") }
            ?? lines.count
        let directives = lines.indices.filter { lines[$0].hasPrefix("#SBATCH") }
        if directives.contains(where: { $0 > firstCommand }) { p.append("recur.sbatch: an #SBATCH line after the first command is ignored") }
        for option in ["--nodes=", "--ntasks-per-node=", "--cpus-per-task="] where !directives.contains(where: { lines[$0].contains(option) }) {
            p.append("recur.sbatch: no #SBATCH \(option)")
        }
        if !lines.contains(where: { $0.contains("export MASTER_PORT=") }) { p.append("recur.sbatch: MASTER_PORT is not exported") }
        let steps = lines.filter { words($0).first == "srun" }
        if !steps.contains(where: { !invocations(of: "launch", in: $0).isEmpty }) {
            p.append("recur.sbatch: no `srun … recur launch` command")
        }
        for args in invocations(of: "launch", in: text) {
            p += flagProblems(args, allowed: launchFlags, origin: "recur.sbatch recur launch")
        }
        for args in steps.flatMap({ invocations(of: "launch", in: $0) }) {
            if value(of: "--run-dir", in: args) == nil || value(of: "--resume", in: args) != value(of: "--run-dir", in: args) {
                p.append("recur.sbatch: --resume must repeat --run-dir")
            }
        }
        for line in lines where line.contains("TRAIN_FLAGS") {
            p += flagProblems([line], allowed: launchFlags, origin: "recur.sbatch TRAIN_FLAGS")
        }
        return p
    }
}

enum SystemdCheck {
    /// An INI file as section → key → values (a key may repeat, as `Environment=` does).
    /// - Throws: a message naming the line that is neither a section, a comment nor `key=value`.
    static func parse(_ text: String) throws -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:], section: String?
        for (n, line) in logicalLines(text).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty || t.hasPrefix("#") || t.hasPrefix(";") { continue }
            if t.hasPrefix("[") && t.hasSuffix("]") {
                let s = String(t.dropFirst().dropLast())
                if out[s] == nil { out[s] = [:] }
                section = s
            } else if let eq = t.firstIndex(of: "="), let s = section {
                let key = t[..<eq].trimmingCharacters(in: .whitespaces)
                out[s, default: [:]][key, default: []].append(t[t.index(after: eq)...].trimmingCharacters(in: .whitespaces))
            } else {
                throw NSError(domain: "ini", code: 1, userInfo: [NSLocalizedDescriptionKey: "line \(n + 1): not INI: \(t)"])
            }
        }
        return out
    }

    /// `KEY=value` lines of an environment file.
    static func environmentFile(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.components(separatedBy: "\n") where !line.hasPrefix("#") {
            if let eq = line.firstIndex(of: "=") { out[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
        }
        return out
    }

    /// Problems with one unit file.
    /// - Parameters:
    ///   - name: the unit's file name, e.g. `recur-ps@.service`.
    ///   - text: its text.
    ///   - environment: the example environment file's variables.
    /// - Returns: one message per problem; empty when the unit is right.
    static func problems(name: String, text: String, environment: [String: String]) -> [String] {
        let unit: [String: [String: [String]]]
        do { unit = try parse(text) } catch { return ["\(name): \(error.localizedDescription)"] }
        var p: [String] = []
        for s in ["Unit", "Service", "Install"] where unit[s] == nil { p.append("\(name): no [\(s)]") }
        let service = unit["Service"] ?? [:]
        func one(_ key: String) -> String? { service[key]?.last }
        let exec = words(one("ExecStart") ?? "")
        if exec.count < 2 || !exec[0].hasSuffix("/recur") || exec[1] != "launch" {
            p.append("\(name): ExecStart must run /…/recur launch")
        }
        p += flagProblems(Array(exec.dropFirst(2)), allowed: launchFlags, origin: "\(name) ExecStart")
        if one("EnvironmentFile") != "/etc/recur/recur.env" { p.append("\(name): EnvironmentFile must be /etc/recur/recur.env") }
        var defined = environment
        for assignment in (service["Environment"] ?? []).flatMap(words) {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            defined[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        for v in defined.keys where v.hasPrefix("RECUR_") && !launchVariables.contains(v) { p.append("\(name): unknown variable \(v)") }
        for w in exec where w.hasPrefix("$") {
            let v = w.trimmingCharacters(in: CharacterSet(charactersIn: "${}"))
            if defined[v] == nil { p.append("\(name): ExecStart uses \(w), defined nowhere") }
            if v == "TRAIN_FLAGS" { p += flagProblems([defined[v] ?? ""], allowed: launchFlags, origin: "recur.env TRAIN_FLAGS") }
        }
        let expectedRole = name.hasPrefix("recur-coordinator") ? "coordinator" : name.hasPrefix("recur-ps@") ? "ps" : "worker"
        if defined["RECUR_ROLE"] != expectedRole { p.append("\(name): RECUR_ROLE must be \(expectedRole)") }
        if expectedRole == "ps" && defined["RECUR_PS_INDEX"] != "%i" { p.append("\(name): RECUR_PS_INDEX must be the instance, %i") }
        if one("Restart") != "on-failure" { p.append("\(name): Restart must be on-failure") }
        if one("NoNewPrivileges") != "yes" { p.append("\(name): NoNewPrivileges=yes missing") }
        if one("ProtectSystem") != "strict" { p.append("\(name): ProtectSystem=strict missing") }
        if one("DynamicUser") != "yes" && (one("User") ?? "root") == "root" { p.append("\(name): runs as root") }
        if unit["Install"]?["WantedBy"] == nil { p.append("\(name): [Install] has no WantedBy") }
        if expectedRole == "coordinator" {
            let runDir = value(of: "--run-dir", in: exec).map { $0.hasPrefix("$") ? defined[$0.trimmingCharacters(in: CharacterSet(charactersIn: "${}"))] ?? $0 : $0 }
            let writable = (service["ReadWritePaths"] ?? []).flatMap(words)
            if !writable.contains(where: { runDir?.hasPrefix($0) == true }) {
                p.append("\(name): the run folder \(runDir ?? "?") is not under ReadWritePaths")
            }
            if value(of: "--resume", in: exec) != value(of: "--run-dir", in: exec) { p.append("\(name): --resume must repeat --run-dir") }
        }
        return p
    }
}
