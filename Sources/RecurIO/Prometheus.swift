// Prometheus metrics as values, rendered to the text exposition format 0.0.4, and written for
// node_exporter's textfile collector.

/// One metric family: what Prometheus files under one name, with its help line, its type and one
/// sample per label set. A value type, so the training loop can build a fresh set each step and
/// hand a copy to a writer or an endpoint without sharing anything mutable.
public struct PrometheusFamily: Equatable, Sendable {
    /// The two types Recur reports. A gauge goes up and down (a loss, workers alive); a counter
    /// only grows while the process lives (shards re-dealt), so Prometheus can take its rate.
    public enum Kind: String, Equatable, Sendable {
        /// A value that can go up and down.
        case gauge
        /// A running total that only grows.
        case counter
    }

    /// One time series of the family: its labels and its current value.
    public struct Sample: Equatable, Sendable {
        /// Label name → value, such as `["worker": "worker-3"]`. Rendered sorted by name, so the
        /// same sample always renders the same way.
        public var labels: [String: String]
        /// The value; NaN and ±infinity are rendered as `NaN`, `+Inf` and `-Inf`.
        public var value: Double

        /// Creates a sample.
        /// - Parameters:
        ///   - labels: label name → value; names must match `[a-zA-Z_][a-zA-Z0-9_]*` and not start
        ///     with `__` (reserved by Prometheus), values may be any text.
        ///   - value: the sample's value.
        public init(labels: [String: String] = [:], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// The metric name, matching `[a-zA-Z_:][a-zA-Z0-9_:]*` (checked when rendered).
    public var name: String
    /// One line saying what the metric measures, in its unit; any text (escaped when rendered).
    public var help: String
    /// Gauge or counter.
    public var kind: Kind
    /// The family's series; none is allowed (only `# HELP` and `# TYPE` are written then).
    public var samples: [Sample]

    /// Creates a family.
    /// - Parameters:
    ///   - name: the metric name, e.g. `recur_train_loss`.
    ///   - help: what it measures, e.g. "Mean training loss (nats per token) of the last step."
    ///   - kind: gauge or counter.
    ///   - samples: one per label set.
    public init(name: String, help: String, kind: Kind, samples: [Sample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }

    /// A family of one unlabelled sample: most of the coordinator's metrics are a single number.
    /// - Parameters:
    ///   - name: the metric name.
    ///   - help: what it measures.
    ///   - kind: gauge (the default) or counter.
    ///   - value: the value.
    /// - Returns: the family.
    public static func single(_ name: String, help: String, kind: Kind = .gauge, _ value: Double) -> PrometheusFamily {
        PrometheusFamily(name: name, help: help, kind: kind, samples: [Sample(value)])
    }
}

/// Why a set of families cannot be rendered: Prometheus would refuse the whole scrape, so the
/// mistake is reported where it is made instead.
public enum PrometheusError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A metric name outside `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    case invalidMetricName(String)
    /// A label name outside `[a-zA-Z_][a-zA-Z0-9_]*`, or one starting with `__`.
    case invalidLabelName(metric: String, label: String)
    /// Two families with one name.
    case duplicateFamily(String)
    /// Two samples of a family with the same label set (rendered as `{a="1"}`).
    case duplicateSeries(metric: String, labels: String)

    /// One line naming the metric and what is wrong with it.
    public var description: String {
        switch self {
        case .invalidMetricName(let name):
            return "prometheus: invalid metric name \"\(name)\" (must match [a-zA-Z_:][a-zA-Z0-9_:]*)"
        case .invalidLabelName(let metric, let label):
            return "prometheus: metric \(metric) has invalid label name \"\(label)\" (must match [a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"
        case .duplicateFamily(let name):
            return "prometheus: metric \(name) is given twice"
        case .duplicateSeries(let metric, let labels):
            return "prometheus: metric \(metric) has two samples labelled \(labels)"
        }
    }
}

/// A whole scrape: the families in the order they are rendered.
public struct PrometheusExposition: Equatable, Sendable {
    /// The families, rendered in this order.
    public var families: [PrometheusFamily]

    /// Creates an exposition.
    /// - Parameter families: the families, in the order they are to appear.
    public init(_ families: [PrometheusFamily] = []) {
        self.families = families
    }

    /// The text exposition format 0.0.4: for each family a `# HELP` line, a `# TYPE` line and
    /// one `name{labels} value` line per sample, every line ending in a newline.
    /// - Returns: the text.
    /// - Throws: `PrometheusError` for an invalid metric or label name, a name given twice or
    ///   two samples with one label set.
    public func render() throws -> String {
        var out = "", seen = Set<String>()
        for family in families {
            guard Self.isMetricName(family.name) else { throw PrometheusError.invalidMetricName(family.name) }
            guard seen.insert(family.name).inserted else { throw PrometheusError.duplicateFamily(family.name) }
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            var series = Set<String>()
            for sample in family.samples {
                for label in sample.labels.keys where !Self.isLabelName(label) {
                    throw PrometheusError.invalidLabelName(metric: family.name, label: label)
                }
                let labels = Self.labelSet(sample.labels)
                guard series.insert(labels).inserted else {
                    throw PrometheusError.duplicateSeries(metric: family.name, labels: labels.isEmpty ? "{}" : labels)
                }
                out += "\(family.name)\(labels) \(Self.format(sample.value))\n"
            }
        }
        return out
    }

    /// Renders the exposition and replaces the file at `path` atomically, for node_exporter's
    /// textfile collector (`RUN_DIR/recur.prom`): the collector reads `*.prom` files at any
    /// moment, so it must see the previous file or the new one, never half of one. The text goes
    /// to `<path>.tmp-<pid>` in the same folder (a name the collector ignores) and is renamed over
    /// `path`, without fsync (see below).
    /// - Parameter path: the file to replace, normally ending in `.prom`.
    /// - Throws: `PrometheusError` when the families cannot be rendered (the file is left as it
    ///   was), `FileSystemError` when writing fails.
    public func writeTextfile(path: String) throws {
        // Atomic (a reader sees the old file or the new one) but not synced: it is replaced at
        // every log step, and a view of the run need not survive a machine's crash.
        try Posix.replaceFile(path, Array(render().utf8), durable: false)
    }

    // MARK: - The grammar

    /// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isMetricName(_ name: String) -> Bool {
        matches(name, extra: UInt8(ascii: ":"))
    }

    /// Whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with `__`.
    public static func isLabelName(_ name: String) -> Bool {
        matches(name, extra: nil) && !name.hasPrefix("__")
    }

    /// Whether `name` is non-empty, starts with a letter, `_` or `extra`, and goes on with those or digits.
    private static func matches(_ name: String, extra: UInt8?) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func word(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == UInt8(ascii: "_") || b == extra
        }
        return word(first) && bytes.dropFirst().allSatisfy { word($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// `{a="x",b="y"}` with names sorted and values escaped; empty for no labels.
    static func labelSet(_ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return "" }
        let pairs = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escapeLabelValue($0.value))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    /// Help text with `\` and line feeds escaped, as the format requires.
    static func escapeHelp(_ text: String) -> String {
        escape(text, quotes: false)
    }

    /// A label value with `\`, `"` and line feeds escaped, as the format requires.
    static func escapeLabelValue(_ text: String) -> String {
        escape(text, quotes: true)
    }

    /// `text` with `\` → `\\`, line feed → `\n` and, with `quotes`, `"` → `\"`.
    private static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A value as Prometheus reads it: `NaN`, `+Inf`, `-Inf`, a whole number without a fraction
    /// (`42`, not `42.0`), or Swift's shortest text that reads back as the same Double (`0.1`,
    /// `1e-05`), which Go's `ParseFloat` accepts.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
