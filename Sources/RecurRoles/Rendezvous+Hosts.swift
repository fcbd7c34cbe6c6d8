// Rendezvous+Hosts: Slurm's compressed host lists ("node[01-03,7],gpu5") and the local address
// of the route to the coordinator.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Rendezvous {
    /// Expands a Slurm host list such as `node[01-03,07],gpu[1-2]-ib` into host names, in order,
    /// keeping zero padding; several bracket groups in one name multiply out.
    /// - Throws: `RoleError.badConfig` for unbalanced brackets or bad ranges.
    public static func expandNodeList(_ list: String) throws -> [String] {
        var hosts: [String] = [], token = "", depth = 0
        for ch in list {  // split on the commas outside brackets
            if ch == "[" { depth += 1 } else if ch == "]" { depth -= 1 }
            guard depth >= 0, depth <= 1 else { throw RoleError.badConfig("host list \"\(list)\" has unbalanced brackets") }
            if ch == ",", depth == 0 {
                hosts += try expandName(token, list: list)
                token = ""
            } else { token.append(ch) }
        }
        guard depth == 0 else { throw RoleError.badConfig("host list \"\(list)\" has unbalanced brackets") }
        hosts += try expandName(token, list: list)
        return hosts
    }

    /// One name with zero or more bracket groups.
    static func expandName(_ name: String, list: String) throws -> [String] {
        let name = name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { return [] }
        guard let open = name.firstIndex(of: "[") else { return [name] }
        guard let close = name[open...].firstIndex(of: "]") else { throw RoleError.badConfig("host list \"\(list)\" has unbalanced brackets") }
        let prefix = String(name[..<open]), rest = String(name[name.index(after: close)...])
        var values: [String] = []
        for part in name[name.index(after: open)..<close].split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let lo = Int(bounds[0]), let hi = Int(bounds.last!), lo <= hi, hi - lo < 100_000 else {
                throw RoleError.badConfig("host list \"\(list)\": bad range \"\(part)\"")
            }
            let width = bounds[0].count
            for v in lo...hi {
                let digits = String(v)
                values.append(String(repeating: "0", count: max(0, width - digits.count)) + digits)
            }
        }
        let tails = try expandName(rest, list: list)
        return values.flatMap { v in (tails.isEmpty ? [""] : tails).map { prefix + v + $0 } }
    }

    /// The local IP address the kernel would use to reach `host` (a UDP socket is "connected",
    /// which sends nothing, and its own address read back); nil when `host` does not resolve.
    public static func localAddress(toward host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let named = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
            }
        }
        return named == 0 ? String(decoding: text.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self) : nil
    }
}
