// DeployChecks+Kubernetes: what deploy/k8s must hold — named documents, a kustomization listing
// files that exist, workloads running `recur launch` with resources, the PS shard index from the
// pod-index label, keys from the Secret, the coordinator's run folder on a claim.
import Foundation

enum KubernetesCheck {
    /// One parsed manifest and the file it came from.
    struct Document {
        let file: String
        let body: [String: Any]
        var kind: String { scalar(body["kind"]) ?? "" }
        var name: String { scalar(lookup(body, "metadata", "name")) ?? "" }
    }

    /// Problems with a set of manifests.
    /// - Parameter files: file name → YAML text, every file of `deploy/k8s`.
    /// - Returns: one message per problem; empty when the manifests are right.
    /// - Throws: Yams' error when a file does not parse.
    static func problems(_ files: [String: String]) throws -> [String] {
        var p: [String] = [], docs: [Document] = []
        for (file, text) in files.sorted(by: { $0.key < $1.key }) where file != "kustomization.yaml" {
            for d in try yamlDocuments(text) {
                guard let body = mapping(d) else { p.append("\(file): a document is not a mapping"); continue }
                let doc = Document(file: file, body: body)
                if scalar(body["apiVersion"]) == nil { p.append("\(file): a document has no apiVersion") }
                if doc.kind.isEmpty { p.append("\(file): a document has no kind") }
                if doc.name.range(of: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", options: .regularExpression) == nil {
                    p.append("\(file): \(doc.kind) has no valid metadata.name (\(doc.name))")
                }
                docs.append(doc)
            }
        }
        p += kustomizationProblems(files)
        let configMaps = docs.filter { $0.kind == "ConfigMap" }
        let config = configMaps.first.flatMap { mapping($0.body["data"])?.compactMapValues(scalar) } ?? [:]
        if configMaps.isEmpty { p.append("k8s: no ConfigMap") }
        for key in config.keys where key.hasPrefix("RECUR_") && !launchVariables.contains(key) {
            p.append("configmap: unknown variable \(key)")
        }
        let secrets = docs.filter { $0.kind == "Secret" }
        if secrets.isEmpty { p.append("k8s: no Secret") }
        let secretKeys = Dictionary(secrets.map { s in
            (s.name, Set((mapping(s.body["stringData"]) ?? [:]).keys).union((mapping(s.body["data"]) ?? [:]).keys))
        }, uniquingKeysWith: { a, _ in a })
        var components: [String: Document] = [:]
        for w in docs where ["StatefulSet", "Deployment"].contains(w.kind) {
            let at = "\(w.file) \(w.kind) \(w.name)"
            let labels = mapping(lookup(w.body, "spec", "template", "metadata", "labels"))
            let component = scalar(labels?["app.kubernetes.io/component"]) ?? ""
            components[component] = w
            p += workloadProblems(w, at: at, role: component, config: config, secretKeys: secretKeys, services: docs)
        }
        for role in ["coordinator", "ps", "worker"] where components[role] == nil {
            p.append("k8s: no workload labelled app.kubernetes.io/component: \(role)")
        }
        if let c = components["coordinator"] {
            if c.kind != "StatefulSet" || scalar(lookup(c.body, "spec", "replicas")) != "1" {
                p.append("coordinator: must be a StatefulSet with replicas 1")
            }
            let port = config["RECUR_MASTER_PORT"] ?? "?"
            let service = docs.first { $0.kind == "Service" && $0.name == scalar(lookup(c.body, "spec", "serviceName")) }
            let ports = (sequence(lookup(service?.body, "spec", "ports")) ?? []).compactMap { scalar(mapping($0)?["port"]) }
            if !ports.contains(port) { p.append("coordinator: its Service does not expose the master port \(port)") }
            let expected = "\(c.name)-0.\(scalar(lookup(c.body, "spec", "serviceName")) ?? "")"
            if config["RECUR_MASTER_ADDR"] != expected { p.append("configmap: RECUR_MASTER_ADDR must be \(expected)") }
        }
        if let ps = components["ps"] {
            if ps.kind != "StatefulSet" { p.append("ps: must be a StatefulSet (its pod index is the shard)") }
            let replicas = scalar(lookup(ps.body, "spec", "replicas"))
            if replicas == nil || replicas != config["RECUR_PS_SHARDS"] {
                p.append("ps: replicas \(replicas ?? "none") must equal RECUR_PS_SHARDS \(config["RECUR_PS_SHARDS"] ?? "none")")
            }
        }
        if let w = components["worker"], w.kind != "Deployment" { p.append("worker: must be a Deployment (scalable)") }
        return p
    }

    /// The kustomization lists files that exist, every manifest but the Secret template.
    static func kustomizationProblems(_ files: [String: String]) -> [String] {
        guard let text = files["kustomization.yaml"], let k = mapping(try? yamlDocuments(text).first),
              let resources = strings(k["resources"]) else { return ["kustomization.yaml: missing or without resources"] }
        var p = resources.filter { files[$0] == nil }.map { "kustomization.yaml: lists \($0), which does not exist" }
        for file in files.keys where file.hasSuffix(".yaml") && !resources.contains(file) {
            if file != "kustomization.yaml" && file != "secret.yaml" { p.append("kustomization.yaml: does not list \(file)") }
        }
        if resources.contains("secret.yaml") { p.append("kustomization.yaml: must not apply the placeholder secret.yaml") }
        return p
    }

    /// Problems with one StatefulSet or Deployment.
    static func workloadProblems(_ w: Document, at: String, role: String, config: [String: String],
                                 secretKeys: [String: Set<String>], services: [Document]) -> [String] {
        var p: [String] = []
        let spec = mapping(lookup(w.body, "spec", "template", "spec")) ?? [:]
        let labels = mapping(lookup(w.body, "spec", "template", "metadata", "labels"))?.compactMapValues(scalar) ?? [:]
        let selector = mapping(lookup(w.body, "spec", "selector", "matchLabels"))?.compactMapValues(scalar) ?? [:]
        if selector.isEmpty || selector.contains(where: { labels[$0.key] != $0.value }) {
            p.append("\(at): selector does not match the pod labels")
        }
        if w.kind == "StatefulSet" {
            let service = services.first { $0.kind == "Service" && $0.name == scalar(lookup(w.body, "spec", "serviceName")) }
            if scalar(lookup(service?.body, "spec", "clusterIP")) != "None" { p.append("\(at): serviceName is not a headless Service") }
        }
        let volumes = Dictionary((sequence(spec["volumes"]) ?? []).compactMap(mapping).map { (scalar($0["name"]) ?? "", $0) },
                                 uniquingKeysWith: { a, _ in a })
        let claims = Set((sequence(lookup(w.body, "spec", "volumeClaimTemplates")) ?? []).compactMap { scalar(lookup($0, "metadata", "name")) })
        guard let containers = sequence(spec["containers"])?.compactMap(mapping), !containers.isEmpty else {
            return p + ["\(at): no containers"]
        }
        for c in containers {
            let args = (strings(c["command"]) ?? []).filter { $0 != "recur" && !$0.hasSuffix("/recur") } + (strings(c["args"]) ?? [])
            if args.first != "launch" { p.append("\(at): container does not run `recur launch` (\(args))") }
            if !(scalar(c["image"]) ?? "").hasPrefix("recur") { p.append("\(at): image is not recur") }
            p += flagProblems(Array(args.dropFirst()), allowed: launchFlags, origin: at)
            if value(of: "--role", in: args) != role { p.append("\(at): --role must be \(role)") }
            for part in ["requests", "limits"] {
                for r in ["cpu", "memory"] where scalar(lookup(c, "resources", part, r)) == nil {
                    p.append("\(at): no resources.\(part).\(r)")
                }
            }
            var env: [String: Any] = [:]
            for e in (sequence(c["env"]) ?? []).compactMap(mapping) { env[scalar(e["name"]) ?? ""] = e }
            for name in env.keys where name.hasPrefix("RECUR_") && !launchVariables.contains(name) {
                p.append("\(at): unknown variable \(name)")
            }
            let fromConfig = (sequence(c["envFrom"]) ?? []).contains { lookup($0, "configMapRef", "name") != nil }
            if !fromConfig { p.append("\(at): does not read the ConfigMap (envFrom)") }
            for ref in args.flatMap(variableReferences) where config[ref] == nil && env[ref] == nil {
                p.append("\(at): $(\(ref)) is defined nowhere")
            }
            let mounts = (sequence(c["volumeMounts"]) ?? []).compactMap(mapping)
            // Keys: RECUR_KEYS is a file of a mounted Secret, whose key exists in the Secret.
            let keysPath = config["RECUR_KEYS"] ?? ""
            var keysFound = false
            for m in mounts {
                let dir = scalar(m["mountPath"]) ?? "", v = volumes[scalar(m["name"]) ?? ""]
                guard let secret = scalar(lookup(v, "secret", "secretName")) else { continue }
                for item in (sequence(lookup(v, "secret", "items")) ?? []).compactMap(mapping)
                where dir + "/" + (scalar(item["path"]) ?? "") == keysPath {
                    keysFound = true
                    if secretKeys[secret]?.contains(scalar(item["key"]) ?? "") != true {
                        p.append("\(at): Secret \(secret) has no key \(scalar(item["key"]) ?? "")")
                    }
                    let expected = role == "worker" ? "worker.keys" : "recur.keys"
                    if scalar(item["key"]) != expected { p.append("\(at): must mount \(expected) as its key file") }
                }
            }
            if !keysFound { p.append("\(at): RECUR_KEYS \(keysPath) is not a mounted Secret file") }
            if role == "ps" {
                let index = scalar(lookup(env["RECUR_PS_INDEX"], "valueFrom", "fieldRef", "fieldPath"))
                if index != "metadata.labels['apps.kubernetes.io/pod-index']" {
                    p.append("\(at): RECUR_PS_INDEX must come from the pod-index label")
                }
                if scalar(lookup(env["RECUR_ADVERTISE_ADDR"], "valueFrom", "fieldRef", "fieldPath")) != "status.podIP" {
                    p.append("\(at): RECUR_ADVERTISE_ADDR must come from status.podIP")
                }
            }
            if role == "coordinator" {
                let runDir = value(of: "--run-dir", in: args)
                if runDir == nil || value(of: "--resume", in: args) != runDir { p.append("\(at): --resume must repeat --run-dir") }
                let onClaim = mounts.contains { scalar($0["mountPath"]) == runDir && claims.contains(scalar($0["name"]) ?? "") }
                if !onClaim { p.append("\(at): the run folder \(runDir ?? "?") is not on a volumeClaimTemplate") }
            }
        }
        return p
    }

    /// The names in Kubernetes' `$(NAME)` references of a string.
    static func variableReferences(_ text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "\\$\\(([A-Za-z0-9_]+)\\)")
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }
}
