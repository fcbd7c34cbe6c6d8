// DeployChecks+Metrics: what Prometheus and Grafana need of deploy/ — scrape annotations on the
// coordinator's pods that name a port its container opens, and a dashboard whose every query
// reads metrics the coordinator exports.
import Foundation

/// Every metric the coordinator exports on /metrics. A dashboard query may name no other.
let recurMetricNames: Set<String> = [
    "recur_step", "recur_train_loss", "recur_val_loss", "recur_tokens_per_second", "recur_workers_alive",
    "recur_leases_outstanding", "recur_shards_redealt_total", "recur_duplicates_dropped_total", "recur_grad_norm",
    "recur_seconds_since_checkpoint", "recur_worker_shards_done_total", "recur_worker_tokens_per_second",
]

enum MetricsCheck {
    /// The metrics the dashboard must chart: losses, throughput, workers, leases, re-dealt shards
    /// and the per-worker throughput.
    static let chartedMetrics: Set<String> = [
        "recur_train_loss", "recur_val_loss", "recur_tokens_per_second", "recur_workers_alive",
        "recur_leases_outstanding", "recur_shards_redealt_total", "recur_worker_tokens_per_second",
    ]

    /// Problems with the coordinator's scrape annotations.
    /// - Parameter coordinatorYAML: the text of `deploy/k8s/coordinator.yaml`.
    /// - Returns: one message per problem; empty when Prometheus would scrape the right port and path.
    /// - Throws: Yams' error when the file does not parse.
    static func scrapeProblems(_ coordinatorYAML: String) throws -> [String] {
        let workloads = try yamlDocuments(coordinatorYAML).filter { scalar(mapping($0)?["kind"]) == "StatefulSet" }
        guard let workload = workloads.first, workloads.count == 1 else { return ["coordinator.yaml: expected one StatefulSet"] }
        let annotations = mapping(lookup(workload, "spec", "template", "metadata", "annotations")) ?? [:]
        var p: [String] = []
        if scalar(annotations["prometheus.io/scrape"]) != "true" { p.append("coordinator: pod annotation prometheus.io/scrape must be \"true\"") }
        if scalar(annotations["prometheus.io/path"]) != "/metrics" { p.append("coordinator: pod annotation prometheus.io/path must be /metrics") }
        let containers = (sequence(lookup(workload, "spec", "template", "spec", "containers")) ?? []).compactMap(mapping)
        let ports = containers.flatMap { (sequence($0["ports"]) ?? []).compactMap(mapping) }
        guard let port = scalar(annotations["prometheus.io/port"]), let number = Int(port), (1...65_535).contains(number) else {
            return p + ["coordinator: pod annotation prometheus.io/port must be a port number"]
        }
        let named = ports.first { scalar($0["name"]) == "metrics" }
        if named.flatMap({ scalar($0["containerPort"]) }) != port {
            p.append("coordinator: prometheus.io/port \(port) is not the container port named metrics")
        }
        if ports.contains(where: { scalar($0["name"]) != "metrics" && scalar($0["containerPort"]) == port }) {
            p.append("coordinator: the metrics port \(port) is taken by another container port")
        }
        return p
    }

    /// Problems with a Grafana dashboard.
    /// - Parameter json: the text of `deploy/grafana/recur.json`.
    /// - Returns: one message per problem; empty when the JSON is a dashboard whose every panel
    ///   has a unique id, a place on the grid, a Prometheus datasource and queries that read only
    ///   metrics in `recurMetricNames`, charting at least `chartedMetrics`.
    static func dashboardProblems(_ json: String) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
              let dashboard = object as? [String: Any] else { return ["dashboard: not a JSON object"] }
        var p: [String] = []
        for key in ["title", "uid"] where ((dashboard[key] as? String) ?? "").isEmpty { p.append("dashboard: no \(key)") }
        if !(dashboard["schemaVersion"] is Int) { p.append("dashboard: no schemaVersion") }
        let variables = ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        let sources = Set(variables.filter { $0["type"] as? String == "datasource" && $0["query"] as? String == "prometheus" }
            .compactMap { $0["name"] as? String })
        guard let panels = dashboard["panels"] as? [[String: Any]], !panels.isEmpty else { return p + ["dashboard: no panels"] }
        var ids = Set<Int>(), charted = Set<String>()
        for (index, panel) in panels.enumerated() {
            let at = "panel \(index) \"\((panel["title"] as? String) ?? "")\""
            if ((panel["title"] as? String) ?? "").isEmpty { p.append("\(at): no title") }
            if let id = panel["id"] as? Int { if !ids.insert(id).inserted { p.append("\(at): id \(id) used twice") } } else { p.append("\(at): no id") }
            let grid = panel["gridPos"] as? [String: Any]
            if ["x", "y", "w", "h"].contains(where: { !(grid?[$0] is Int) }) { p.append("\(at): no gridPos x, y, w, h") }
            let source = panel["datasource"] as? [String: Any]
            if source?["type"] as? String != "prometheus" || !sources.contains(where: { source?["uid"] as? String == "${\($0)}" }) {
                p.append("\(at): datasource is not the dashboard's Prometheus variable")
            }
            let targets = (panel["targets"] as? [[String: Any]]) ?? []
            if targets.isEmpty { p.append("\(at): no targets") }
            for target in targets {
                let expr = (target["expr"] as? String) ?? ""
                let names = metricNames(in: expr)
                if names.isEmpty { p.append("\(at): expr \"\(expr)\" names no recur_ metric") }
                for name in names where !recurMetricNames.contains(name) { p.append("\(at): unknown metric \(name)") }
                if names.contains(where: { $0.hasPrefix("recur_worker_") }),
                   !((target["legendFormat"] as? String) ?? "").contains("{{worker}}") {
                    p.append("\(at): a per-worker series must be told apart by {{worker}} in its legend")
                }
                charted.formUnion(names)
            }
        }
        for name in chartedMetrics.subtracting(charted).sorted() { p.append("dashboard: no panel charts \(name)") }
        return p
    }

    /// Every `recur_…` identifier in a PromQL expression.
    static func metricNames(in expr: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9_:])recur_[A-Za-z0-9_:]*")
        let ns = expr as NSString
        return regex.matches(in: expr, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }
}
