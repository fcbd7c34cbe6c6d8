// Compact, key-order-preserving one-line JSON objects for metrics logs.
//
// Written by hand rather than through JSONEncoder (the project's JSON approach, see JSONParser.swift)
// because JSONEncoder does not keep an Encodable's keys in the order they were encoded: a metrics
// line would no longer start with "step". Reading the lines back goes through JSONDecoder.

/// A scalar JSON value for a metrics field.
public enum JSONValue: Sendable, Equatable {
    /// An integer, written in decimal.
    case int(Int)
    /// A double, written with Swift's shortest round-trip representation; NaN and ±infinity
    /// are written as `null`.
    case double(Double)
    /// A string, quoted and escaped.
    case string(String)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
}

/// Encodes a list of fields as one compact JSON object, keys in the given order.
public struct JSONLine {
    /// `[("step", .int(3)), ("loss", .double(1.5))]` → `{"step":3,"loss":1.5}` (no newline).
    public static func encode(_ fields: [(String, JSONValue)]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .int(let number):
                JSONText.appendRaw(String(number), to: &out)
            case .double(let number):
                JSONText.appendRaw(number.isFinite ? "\(number)" : "null", to: &out)
            case .string(let text):
                JSONText.appendQuoted(text, to: &out)
            case .bool(let flag):
                JSONText.appendRaw(flag ? "true" : "false", to: &out)
            case .null:
                JSONText.appendRaw("null", to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
