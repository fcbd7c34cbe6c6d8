// RoleSupport: what every run loop shares — a monotonic clock, stop signals, logging and the
// checked send/receive of wire messages.
import Foundation
import RecurIO
import Synchronization
import RecurTransport
import RecurWire

/// Set by SIGTERM or SIGINT; run loops poll it between waits. An atomic, because the handler
/// runs on whichever thread the signal lands on (a lock-free atomic store is async-signal-safe).
let roleStopRequested = Atomic<Bool>(false)

/// The parent process to outlive no longer than a poll interval (0: none).
let rolesParentPID = Atomic<pid_t>(0)

/// Helpers of the role run loops.
public enum RoleSupport {
    /// Whether the run loop should stop: a stop signal arrived, or the watched parent exited.
    public static var stopRequested: Bool {
        if roleStopRequested.load(ordering: .relaxed) { return true }
        let parent = rolesParentPID.load(ordering: .relaxed)
        return parent != 0 && getppid() != parent
    }

    /// Whether SIGTERM or SIGINT arrived (not counting a lost parent): the launcher then stops
    /// every process rather than restarting one.
    public static var stopSignalled: Bool { roleStopRequested.load(ordering: .relaxed) }

    /// Makes `stopRequested` true once the current parent process exits (the launcher died).
    public static func watchParent() { rolesParentPID.store(getppid(), ordering: .relaxed) }

    /// Upper bound of every socket wait in a run loop, so stop requests and ticks are noticed.
    public static let pollIntervalMs = 100
    /// Send deadline: a peer whose queue stays full this long is treated as gone.
    public static let sendDeadline: Duration = .seconds(10)
    /// Largest message accepted from a peer (ZMQ_MAXMSGSIZE), in bytes.
    public static let maxMessageBytes: Int64 = 1 << 30
    /// Largest message the coordinator's worker socket accepts, in bytes: workers and registering
    /// servers send it only small control messages, so a peer cannot make it buffer more.
    public static let controlMessageBytes: Int64 = 4 << 20

    /// Milliseconds on a monotonic clock.
    public static func nowMs() -> Int { Int(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

    /// Makes SIGTERM and SIGINT set `roleStopRequested` instead of killing the process.
    public static func installStopHandlers() {
        // Touch the global first: its lazy initialisation must not run inside a handler.
        _ = roleStopRequested.load(ordering: .relaxed)
        signal(SIGTERM) { _ in roleStopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in roleStopRequested.store(true, ordering: .relaxed) }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Whether RECUR_TRACE is set: run loops then log timed events (for measuring where a step's
    /// time goes; the clock is the system-wide monotonic one, comparable across processes).
    public static let tracing = ProcessInfo.processInfo.environment["RECUR_TRACE"] != nil

    /// Logs `event` with the monotonic time in milliseconds when tracing.
    public static func trace(_ role: String, _ event: @autoclosure () -> String) {
        if tracing { log(role, String(format: "trace %.3f ", Double(DispatchTime.now().uptimeNanoseconds) / 1e6) + event()) }
    }

    /// Writes one line of text to standard error as the role's (a `note` event in json format).
    public static func log(_ role: String, _ line: String) { EventLog.write(role: role, LogRecord(.note, line)) }

    /// Writes `record` to standard error as the role's, in the process's `EventLog.format`.
    public static func log(_ role: String, _ record: LogRecord) { EventLog.write(role: role, record) }

    /// A socket with the limits every role uses: message size cap, no linger, and `security`
    /// (set before it binds or connects).
    public static func socket(_ context: ZContext, _ type: ZSocketType, identity: String? = nil,
                              security: ZSecurity = .none, maxBytes: Int64 = maxMessageBytes) throws -> ZSocket {
        let s = try ZSocket(context: context, type: type)
        try s.secure(security)
        try s.setMaxMessageBytes(maxBytes)
        // Reconnect to a lost peer after 100 ms, doubling the wait up to 5 s, until the role's
        // peer timeout gives up.
        try s.setReconnectInterval(.milliseconds(100))
        try s.setReconnectBackoffLimit(.seconds(5))
        if let identity { try s.setIdentity(identity) }
        return s
    }

    /// Decodes untrusted frames, logging (not throwing) what is wrong with them.
    public static func decode(_ frames: [[UInt8]], run: UInt64, role: String, from peer: String) -> WireMessage? {
        decode(frames.map(WireBytes.init), run: run, role: role, from: peer)
    }
}
