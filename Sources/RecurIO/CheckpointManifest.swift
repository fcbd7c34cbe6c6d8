// The manifest.json of a checkpoint folder: step plus each file's byte size and CRC32C.

/// Internal model of `manifest.json`:
/// `{"format":"recur-checkpoint","version":1,"step":N,"files":{"name":{"bytes":B,"crc32c":"hex"}}}`.
struct CheckpointManifest: Equatable {
    /// One listed file.
    struct Entry: Equatable {
        var name: String
        var byteCount: Int
        var crc32c: UInt32
    }

    /// The manifest's file name inside a checkpoint folder.
    static let fileName = "manifest.json"

    var step: Int
    var files: [Entry]

    /// True when `name` may be used as a file inside a checkpoint folder.
    static func isValidFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name != fileName
            && !name.contains("/") && !name.utf8.contains(0)
    }

    /// The manifest as deterministic JSON (files sorted by name) followed by a newline.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        JSONText.appendRaw("{\"format\":\"recur-checkpoint\",\"version\":1,\"step\":\(step),\"files\":{", to: &out)
        for (index, entry) in files.sorted(by: { $0.name < $1.name }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(entry.name, to: &out)
            JSONText.appendRaw(":{\"bytes\":\(entry.byteCount),\"crc32c\":\"\(CRC32C.hex(entry.crc32c))\"}", to: &out)
        }
        JSONText.appendRaw("}}\n", to: &out)
        return out
    }

    /// Parses manifest bytes; throws a message describing the first problem.
    static func parse(_ bytes: [UInt8]) throws -> CheckpointManifest {
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch let error as JSONParseError {
            throw ManifestProblem("invalid JSON: \(error)")
        }
        guard let members = root.members else { throw ManifestProblem("top level is not an object") }
        let fields = try uniqueFields(members, context: "top level")
        if let version = fields["version"], version.intValue != 1 {
            throw ManifestProblem("unsupported version")
        }
        guard let step = fields["step"]?.intValue, step >= 0 else {
            throw ManifestProblem("\"step\" must be a non-negative integer")
        }
        guard let fileMembers = fields["files"]?.members else { throw ManifestProblem("\"files\" must be an object") }
        var entries: [Entry] = []
        var names = Set<String>()
        for (name, node) in fileMembers {
            guard isValidFileName(name) else { throw ManifestProblem("invalid file name \(JSONText.quoted(name))") }
            guard names.insert(name).inserted else { throw ManifestProblem("file \(name) listed twice") }
            guard let entryMembers = node.members else { throw ManifestProblem("entry for \(name) is not an object") }
            let entry = try uniqueFields(entryMembers, context: name)
            guard let size = entry["bytes"]?.intValue, size >= 0 else {
                throw ManifestProblem("entry for \(name) needs a non-negative integer \"bytes\"")
            }
            guard let hex = entry["crc32c"]?.stringValue, hex.utf8.count == 8,
                  hex.utf8.allSatisfy({ isHexDigit($0) }), let crc = UInt32(hex, radix: 16) else {
                throw ManifestProblem("entry for \(name) needs an 8-digit hex \"crc32c\"")
            }
            entries.append(Entry(name: name, byteCount: size, crc32c: crc))
        }
        return CheckpointManifest(step: step, files: entries)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }

    private static func uniqueFields(_ members: [(key: String, value: JSONNode)],
                                     context: String) throws -> [String: JSONNode] {
        var fields: [String: JSONNode] = [:]
        for (key, value) in members {
            guard fields.updateValue(value, forKey: key) == nil else {
                throw ManifestProblem("\(context): key \(JSONText.quoted(key)) repeated")
            }
        }
        return fields
    }
}

/// A manifest parsing problem, turned into `CheckpointError.malformedManifest` by the caller.
struct ManifestProblem: Error {
    var detail: String
    init(_ detail: String) { self.detail = detail }
}
