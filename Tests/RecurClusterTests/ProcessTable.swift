// ProcessTable: reads /proc to find a process's children, their command lines and whether they live.
import Foundation

/// One process as /proc describes it.
struct ProcessEntry: Equatable {
    let pid: Int32
    let parent: Int32
    /// The state letter of /proc/<pid>/stat ("R", "S", "Z", …).
    let state: String
    /// Clock ticks after boot when it started (field 22), which tells a reused pid apart.
    let startTime: UInt64
    let commandLine: [String]

    /// True unless it is a zombie or dead.
    var isLive: Bool { state != "Z" && state != "X" }

    /// The value after `flag` on its command line, if any.
    func value(of flag: String) -> String? {
        guard let i = commandLine.firstIndex(of: flag), i + 1 < commandLine.count else { return nil }
        return commandLine[i + 1]
    }
}

/// Lookups in /proc (Linux only).
enum ProcessTable {
    /// The entry of `pid`, or nil when there is no such process.
    static func entry(_ pid: Int32) -> ProcessEntry? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3, ppid field 4, starttime field 22.
        let rest = stat[stat.index(after: close)...].split(separator: " ").map(String.init)
        guard rest.count > 19, let parent = Int32(rest[1]), let start = UInt64(rest[19]) else { return nil }
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let args = raw.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        return ProcessEntry(pid: pid, parent: parent, state: rest[0], startTime: start,
                            commandLine: args.last == "" ? Array(args.dropLast()) : args)
    }

    /// Every process visible now.
    static func all() -> [ProcessEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.compactMap(entry)
    }

    /// The live children of `pid`.
    static func children(of pid: Int32) -> [ProcessEntry] {
        all().filter { $0.parent == pid && $0.isLive }
    }

    /// True when the process recorded as `e` still runs (same pid and start time, not a zombie).
    static func isLive(_ e: ProcessEntry) -> Bool {
        guard let now = entry(e.pid) else { return false }
        return now.startTime == e.startTime && now.isLive
    }
}
