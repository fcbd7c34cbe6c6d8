// A small strict JSON parser (RFC 8259) for reading safetensors headers and checkpoint manifests.
//
// Recur's one JSON approach is Codable with Foundation's JSONEncoder and JSONDecoder: trainer.json
// (`TrainerState`), the model's `recur.config`, the run configuration of Welcome, the commands'
// `--json` output and the metrics lines read back all go through it. This parser is the one
// exception, kept for the two formats read from files that may be hostile or damaged, where a
// Decodable cannot give what is needed:
// - a nesting limit (`maxDepth`) checked before recursing, so a crafted header cannot exhaust the
//   stack (the header's size is capped before parsing, by `SafeTensors.maxHeaderLength`);
// - members in document order with duplicates kept, so a repeated tensor name or file entry is an
//   error instead of one value silently winning;
// - numbers as their literal text, so a data offset or byte count that is not an exact integer is
//   refused rather than rounded through a Double.
// Its writing side (`JSONText`) produces those two formats byte for byte, and the metrics lines
// (`JSONLine`, keys in the caller's order).

/// A parsed JSON value. Objects keep their members in document order, duplicates included,
/// so callers can detect duplicate keys; numbers keep their literal text.
enum JSONNode {
    case object([(key: String, value: JSONNode)])
    case array([JSONNode])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// Object members, or nil when this is not an object.
    var members: [(key: String, value: JSONNode)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Array elements, or nil when this is not an array.
    var elements: [JSONNode]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The string, or nil when this is not a string.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number as an `Int` when it is written as an integer literal that fits; otherwise nil.
    var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }
}

/// A JSON syntax error with the byte offset where it was detected.
struct JSONParseError: Error, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "\(message) at byte \(offset)" }
}

/// Recursive-descent parser over UTF-8 bytes with a nesting limit, so hostile input cannot
/// exhaust the stack.
struct JSONParser {
    /// Deepest nesting of arrays and objects accepted.
    static let maxDepth = 64

    private let bytes: [UInt8]
    private var pos = 0

    /// Parses one complete JSON document (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws -> JSONNode {
        var parser = JSONParser(bytes: bytes)
        guard parser.isValidUTF8() else { throw JSONParseError(message: "invalid UTF-8", offset: 0) }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.pos == bytes.count else { throw parser.error("trailing characters") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func isValidUTF8() -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private func error(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: pos) }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONNode {
        guard pos < bytes.count else { throw error("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws {
        for expected in literal.utf8 {
            guard pos < bytes.count, bytes[pos] == expected else { throw error("invalid literal") }
            pos += 1
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONNode {
        guard depth <= JSONParser.maxDepth else { throw error("nesting too deep") }
        pos += 1
        var members: [(key: String, value: JSONNode)] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected object key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            skipWhitespace()
            members.append((key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONNode {
        guard depth <= JSONParser.maxDepth else { throw error("nesting too deep") }
        pos += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(elements) }
            throw error("expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws -> String {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid number") }
        if bytes[pos] == UInt8(ascii: "0") { pos += 1 } else { skipDigits() }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid fraction") }
            skipDigits()
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("invalid exponent") }
            skipDigits()
        }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
    }

    private mutating func parseString() throws -> String {
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw error("unterminated string") }
            let byte = bytes[pos]
            if byte == UInt8(ascii: "\"") { pos += 1; break }
            if byte < 0x20 { throw error("control character in string") }
            if byte != UInt8(ascii: "\\") { out.append(byte); pos += 1; continue }
            pos += 1
            guard pos < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[pos]
            pos += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"): out.append(contentsOf: try parseUnicodeEscape())
            default: throw error("invalid escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the hex digits after `\u` (and a following low surrogate when needed).
    private mutating func parseUnicodeEscape() throws -> [UInt8] {
        var value = try parseHex4()
        if value >= 0xD800 && value < 0xDC00 {
            guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
            else { throw error("unpaired surrogate") }
            pos += 2
            let low = try parseHex4()
            guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate") }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        } else if value >= 0xDC00 && value < 0xE000 {
            throw error("unpaired surrogate")
        }
        guard let scalar = Unicode.Scalar(value) else { throw error("invalid code point") }
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[pos]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }
}
