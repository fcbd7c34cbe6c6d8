// DeployFiles: where deploy/ is, the flags and variables `recur launch` accepts, and the small text
// and YAML helpers the checks share. Every check returns a list of problems (empty when the file
// is right), so the tests can also feed it broken copies and see it complain.
import Foundation
import Yams

/// The repository root: three levels above this file (`Tests/DeployTests/DeployFiles.swift`).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `deploy/` folder.
let deployRoot = repositoryRoot.appendingPathComponent("deploy")

/// Reads a file under `deploy/`.
/// - Parameter path: the path relative to `deploy/`, e.g. `"docker/compose.yaml"`.
/// - Returns: the file's text.
/// - Throws: the file system's error when the file cannot be read.
func deployText(_ path: String) throws -> String {
    try String(contentsOf: deployRoot.appendingPathComponent(path), encoding: .utf8)
}

/// Reads a file of the repository.
/// - Parameter path: the path relative to the repository root, e.g. `"docs/deploy.md"`.
/// - Returns: the file's text.
/// - Throws: the file system's error when the file cannot be read.
func repositoryText(_ path: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

/// The deploy guide, which documents every file under `deploy/`.
let deployGuide = "docs/deploy.md"

/// The flags `recur launch` takes: its own, then those of `recur train`. Deploy files may use no
/// other. `--workers`, `--single-process` and `--restarts` belong to train's local launcher and are
/// left out on purpose: workers are elastic, and restarts are the scheduler's job.
let launchFlags: Set<String> = [
    // launch
    "--ps-shards", "--role", "--ps-index", "--rank", "--world-size", "--master-addr", "--master-port",
    "--advertise-addr", "--run-id", "--keys", "--key-name", "--insecure", "--threads", "--resume",
    // train: model and data
    "--task", "--loss", "--bidirectional", "--val-corpus", "--corpus", "--synthetic-sentences", "--tokenizer", "--vocab-size", "--cell", "--activation",
    "--peephole", "--hidden", "--layers", "--embed", "--dropout", "--batch", "--bptt", "--lanes-per-shard",
    // train: length, optimizer, schedule
    "--steps", "--epochs", "--time-limit", "--optimizer", "--lr", "--lr-decay", "--lr-decay-every", "--clip", "--seed",
    "--override-lr", "--on-divergence", "--lr-schedule", "--warmup-steps", "--min-lr", "--schedule-steps",
    // train: evaluation, logging, checkpoints, output
    "--val-fraction", "--eval-every", "--log-every", "--checkpoint-every", "--checkpoint-every-seconds",
    "--keep", "--run-dir", "--quiet",
    // train: distributed
    "--mode", "--staleness", "--lease-timeout", "--metrics-addr",
]

/// The flags of `recur keygen`.
let keygenFlags: Set<String> = ["--out", "--clients", "--force", "--public-for", "--from"]

/// Every `RECUR_*` variable `recur launch` reads. Deploy files must not invent others.
let launchVariables: Set<String> = [
    "RECUR_ROLE", "RECUR_RANK", "RECUR_WORLD_SIZE", "RECUR_MASTER_ADDR", "RECUR_MASTER_PORT",
    "RECUR_PS_SHARDS", "RECUR_PS_INDEX", "RECUR_ADVERTISE_ADDR", "RECUR_RUN_ID", "RECUR_KEYS",
    "RECUR_KEY_NAME", "RECUR_INSECURE",
]

// MARK: - Text

/// Lines with shell-style `\` continuations joined, so one command is one string.
func logicalLines(_ text: String) -> [String] {
    var out: [String] = [], pending = ""
    for raw in text.components(separatedBy: "\n") {
        let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
        if line.hasSuffix("\\") {
            pending += line.dropLast() + " "
        } else {
            out.append(pending + line)
            pending = ""
        }
    }
    if !pending.isEmpty { out.append(pending) }
    return out
}

/// Every `--flag` in a string (the part before any `=`), also inside `${X:---flag}`.
func flags(in text: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9_])--[a-z][a-z0-9-]*")
    let ns = text as NSString
    return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
}

/// Every `RECUR_*` name in a string.
func recurVariables(in text: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: "\\bRECUR_[A-Z][A-Z0-9_]*")
    let ns = text as NSString
    return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
}

/// Whitespace-separated words with quotes, backticks and trailing punctuation taken off.
func words(_ line: String) -> [String] {
    line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map {
        $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"'`,;()[]"))
    }
}

/// The arguments after each `recur SUBCOMMAND` in a text: the words that follow, on the same
/// logical line, a word naming the binary (`recur`, `/usr/local/bin/recur`, `$recur`, `"$RECUR"`).
/// - Parameters:
///   - text: a script, unit file or guide.
///   - subcommand: `launch` or `keygen`.
/// - Returns: one argument list per invocation found.
func invocations(of subcommand: String, in text: String) -> [[String]] {
    var found: [[String]] = []
    for line in logicalLines(text) {
        let w = words(line)
        for i in w.indices.dropFirst() where w[i] == subcommand {
            let binary = w[i - 1].lowercased()
            if binary == "recur" || binary.hasSuffix("/recur") || binary == "$recur" || binary == "${recur}" {
                found.append(Array(w[(i + 1)...]))
            }
        }
    }
    return found
}

/// Problems with the flags in an argument list: each `--flag` must be in `allowed`.
/// - Parameters:
///   - arguments: the words after the subcommand (or any text, split into words).
///   - allowed: the flags that may appear.
///   - origin: the file and place, for the message.
/// - Returns: one message per unknown flag.
func flagProblems(_ arguments: [String], allowed: Set<String>, origin: String) -> [String] {
    arguments.flatMap { flags(in: $0) }.filter { !allowed.contains($0) }.map { "\(origin): unknown flag \($0)" }
}

/// The value after `flag` in an argument list, if the flag is there.
func value(of flag: String, in arguments: [String]) -> String? {
    guard let i = arguments.firstIndex(of: flag), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

// MARK: - YAML

/// A YAML mapping as `[String: Any]` (Yams builds `[AnyHashable: Any]`).
func mapping(_ node: Any?) -> [String: Any]? {
    if let m = node as? [String: Any] { return m }
    guard let m = node as? [AnyHashable: Any] else { return nil }
    var out: [String: Any] = [:]
    for (k, v) in m { out[String(describing: k.base)] = v }
    return out
}

/// A YAML sequence.
func sequence(_ node: Any?) -> [Any]? { node as? [Any] }

/// Follows a path of keys through nested mappings: `lookup(doc, "spec", "template", "spec")`.
func lookup(_ node: Any?, _ keys: String...) -> Any? {
    var current = node
    for k in keys { current = mapping(current)?[k] }
    return current
}

/// A scalar as text (`2` and `"2"` both give `"2"`).
func scalar(_ node: Any?) -> String? {
    switch node {
    case let s as String: return s
    case let i as Int: return String(i)
    case let d as Double: return String(d)
    case let b as Bool: return String(b)
    default: return nil
    }
}

/// A sequence of scalars as strings (nil when it is not one).
func strings(_ node: Any?) -> [String]? {
    guard let items = sequence(node) else { return nil }
    let out = items.compactMap(scalar)
    return out.count == items.count ? out : nil
}

/// Every document of a YAML stream, empty ones dropped.
/// - Throws: Yams' parse error, naming the line, wherever in the stream it is (Yams' sequence
///   stops quietly at a broken document and keeps the error aside).
func yamlDocuments(_ text: String) throws -> [Any] {
    var stream = try Yams.load_all(yaml: text)
    var documents: [Any] = []
    while let document = stream.next() {
        if !(document is NSNull) { documents.append(document) }
    }
    if let error = stream.error { throw error }
    return documents
}
