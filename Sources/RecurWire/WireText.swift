// Escaping of peer-supplied text so that error messages stay on one printable line.

/// Helpers that keep untrusted strings safe to embed in one-line messages.
enum WireText {
    /// Longest quoted string kept before truncation with "…".
    static let maxQuoted = 80

    /// `text` in double quotes, with quotes, backslashes and control characters escaped and
    /// long strings cut short.
    static func quoted(_ text: String) -> String {
        var out = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == maxQuoted { out += "…"; break }
            count += 1
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                    || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Longest detail kept by `oneLine` before truncation with "…".
    static let maxDetail = 160

    /// `text` with every line break replaced by a space, cut short after `maxDetail` characters.
    static func oneLine(_ text: String) -> String {
        let flat = String(text.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "\n", "\r", "\u{2028}", "\u{2029}": return " "
            default: return Character(scalar)
            }
        })
        return flat.count > maxDetail ? String(flat.prefix(maxDetail)) + "…" : flat
    }
}
