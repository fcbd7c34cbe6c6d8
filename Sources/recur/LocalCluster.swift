// LocalCluster: `recur train` without --single-process — starts the parameter server, the
// coordinator and N workers as separate processes on 127.0.0.1, watches them, and leaves no
// orphan behind on success, failure, Ctrl-C or SIGTERM.
import Foundation
import RecurIO
import RecurRoles
import RecurTrain
#if canImport(Glibc)
import Glibc
#endif

/// A coordinator, a parameter server and N workers as child processes.
struct LocalCluster {
    /// The `recur train` arguments, forwarded to the coordinator (launcher-only flags removed).
    let arguments: [String]
    let options: TrainOptions
    let workers: Int
    let threads: Int
    let leaseTimeoutMs: Int
    /// Parameter-server processes, one per parameter slice.
    var psShards = 1
    /// Restarts from the newest checkpoint allowed when the PS or the coordinator dies.
    var restarts = 3

    /// Flags that only the launcher understands, with whether they take a value.
    static let launcherFlags: [String: Bool] = ["--workers": true, "--threads": true, "--lease-timeout": true,
                                                "--single-process": false, "--restarts": true]

    init(arguments: [String], options: TrainOptions, workers: Int, threads: Int, leaseTimeoutMs: Int) {
        var kept: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if let takesValue = LocalCluster.launcherFlags[name] {
                i += (takesValue && !a.contains("=")) ? 2 : 1
                continue
            }
            kept.append(a)
            i += 1
        }
        self.arguments = kept
        self.options = options
        self.workers = workers
        self.threads = threads
        self.leaseTimeoutMs = leaseTimeoutMs
    }

    /// This executable's path.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Why one attempt ended early.
    struct RoleDied: Error { let role: String; let status: Int32 }
    /// Exit status of a coordinator whose shards kept producing non-finite gradients.
    static let divergedStatus: Int32 = 3

    /// Runs the cluster to the end of training, restarting it from the newest checkpoint (up to
    /// `restarts` times) when the parameter server or the coordinator dies; returns the final
    /// checkpoint.
    func run() throws -> String {
        RoleSupport.installStopHandlers()
        var attempt = 0, rollbacks = 0
        var args = arguments
        var environment = ProcessInfo.processInfo.environment
        while true {
            do { return try runOnce(arguments: args, environment: environment) } catch let died as RoleDied {
                // Test hooks act on the first attempt only.
                environment["RECUR_TEST_NAN_AT_STEP"] = nil
                if died.status == LocalCluster.divergedStatus {
                    guard options.onDivergence == .rollback, rollbacks < 5, !RoleSupport.stopRequested,
                          let r = try ResumeState.load(options.runDirectory) else {
                        throw RoleError.failed("the run diverged (non-finite gradients) and cannot roll back; stopping")
                    }
                    rollbacks += 1
                    let lr = (r.info["lr"] as? Double ?? options.resolvedLearningRate) / 2
                    note("diverged: rolling back to step \(r.step) (\(r.path)) with the learning rate halved to \(lr)")
                    args = LocalCluster.withResume(LocalCluster.without(["--lr", "--override-lr"], in: args),
                                                   runDirectory: options.runDirectory) + ["--lr", String(lr), "--override-lr"]
                    continue
                }
                guard attempt < restarts, !RoleSupport.stopRequested else {
                    throw RoleError.failed("the \(died.role) exited (status \(died.status)); no restarts left")
                }
                attempt += 1
                note("restart \(attempt)/\(restarts): the \(died.role) exited (status \(died.status)); "
                     + "resuming from the newest checkpoint in \(options.runDirectory)")
                args = LocalCluster.withResume(args, runDirectory: options.runDirectory)
            }
        }
    }

    /// `arguments` without the given flags (and the values of those that take one).
    static func without(_ flags: Set<String>, in arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let name = String(arguments[i].split(separator: "=").first ?? "")
            if flags.contains(name) {
                i += (name == "--override-lr" || arguments[i].contains("=")) ? 1 : 2
                continue
            }
            out.append(arguments[i])
            i += 1
        }
        return out
    }

    /// `arguments` with `--resume RUN_DIR` (replacing any earlier --resume).
    static func withResume(_ arguments: [String], runDirectory: String) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--resume" { i += 2; continue }
            if arguments[i].hasPrefix("--resume=") { i += 1; continue }
            out.append(arguments[i])
            i += 1
        }
        return out + ["--resume", runDirectory]
    }

    /// How long the roles get to exit on their own once the coordinator has finished.
    static let dismissalGraceMs = 1_000

    /// One attempt: every role started, watched until the coordinator finishes.
    func runOnce(arguments: [String], environment: [String: String]) throws -> String {
        let runID = UInt64.random(in: 1...UInt64(Int64.max))
        var children: [Child] = []
        defer { Child.stopAll(children) }
        let role = ["--run-id", String(runID), "--die-with-parent"]
        var servers: [Child] = [], psArguments: [String] = []
        for k in 0..<psShards {
            let name = psShards == 1 ? "ps" : "ps-\(k)"
            let ps = try Child.start(Self.executable, ["ps", "--bind", "tcp://127.0.0.1:*"] + role, name: name, environment: environment)
            children.append(ps)
            servers.append(ps)
            psArguments += ["--ps", try ps.readEndpoint(timeoutMs: 30_000)]
        }
        let coordinator = try Child.start(Self.executable, ["coordinator"] + arguments + psArguments + [
            "--bind", "tcp://127.0.0.1:*", "--lease-timeout", String(Double(leaseTimeoutMs) / 1000),
            "--threads", String(threads)] + role, name: "coordinator", environment: environment)
        children.append(coordinator)
        let endpoint = try coordinator.readEndpoint(timeoutMs: 120_000)
        for i in 0..<workers {
            children.append(try Child.start(Self.executable, ["worker", "--connect", endpoint, "--name", "worker-\(i)",
                                                              "--threads", String(threads)] + role, name: "worker-\(i)",
                                           environment: environment))
        }
        while coordinator.isRunning {
            if RoleSupport.stopSignalled { throw RoleError.failed("stopped by signal; every process was stopped") }
            // The server exits 0 once the coordinator dismisses it at the end; anything else is a failure.
            if let ps = servers.first(where: { !$0.isRunning && $0.status != 0 }) {
                throw RoleDied(role: "parameter server \(ps.name)", status: ps.status)
            }
            usleep(100_000)
        }
        guard coordinator.status == 0 else {
            // Status 2 is a usage or data error that a restart cannot mend; anything else (a crash, a
            // kill, or 3 for divergence) goes to the restart and rollback logic in `run()`.
            if coordinator.status == 2 { throw RoleError.failed("the coordinator failed (status 2); see its message above") }
            throw RoleDied(role: "coordinator", status: coordinator.status)
        }
        // Every role the coordinator dismissed exits within milliseconds. A worker that never joined
        // (it was still starting when a short run ended) was never told, and would wait out its
        // own peer timeout: it is stopped, so the run ends now.
        Child.waitAll(children, timeoutMs: Self.dismissalGraceMs)
        for c in children where c.isRunning {
            note("train: \(c.name) was still running \(Self.dismissalGraceMs) ms after the run ended (a worker that never joined is never dismissed); stopping it")
        }  // the deferred stopAll stops them
        guard let path = CheckpointStore(runDirectory: options.runDirectory).latest() else {
            throw RoleError.failed("the coordinator finished without a checkpoint in \(options.runDirectory)")
        }
        return path
    }
}

/// A child process with its standard output piped (to read its endpoint) and its standard error
/// inherited.
final class Child {
    let process: Process
    let name: String
    let out: Pipe

    init(process: Process, name: String, out: Pipe) {
        self.process = process
        self.name = name
        self.out = out
    }

    /// Starts `executable` with `arguments`.
    static func start(_ executable: String, _ arguments: [String], name: String,
                      environment: [String: String]) throws -> Child {
        let p = Process()
        p.environment = environment
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { throw RoleError.failed("cannot start \(name): \(error)") }
        return Child(process: p, name: name, out: out)
    }

    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.isRunning ? -1 : process.terminationStatus }

    /// Reads the `endpoint <address>` line the child prints once bound.
    func readEndpoint(timeoutMs: Int) throws -> String {
        let fd = out.fileHandleForReading.fileDescriptor
        var line = [UInt8]()
        let deadline = RoleSupport.nowMs() + timeoutMs
        while RoleSupport.nowMs() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&pfd, 1, 100)
            if r > 0 {
                var byte: UInt8 = 0
                let n = read(fd, &byte, 1)
                if n <= 0 { break }
                if byte == UInt8(ascii: "\n") {
                    let text = String(decoding: line, as: UTF8.self)
                    if text.hasPrefix("endpoint ") { return String(text.dropFirst("endpoint ".count)) }
                    line.removeAll()
                } else { line.append(byte) }
            } else if !process.isRunning { break }
        }
        throw RoleError.failed("\(name) did not report its endpoint (status \(status)); see its messages above")
    }

    /// Waits up to `timeoutMs` for every child to exit.
    static func waitAll(_ children: [Child], timeoutMs: Int) {
        let deadline = RoleSupport.nowMs() + timeoutMs
        while children.contains(where: { $0.isRunning }) && RoleSupport.nowMs() < deadline { usleep(50_000) }
    }

    /// Sends SIGTERM to every live child, waits briefly, then SIGKILLs what is left.
    static func stopAll(_ children: [Child]) {
        for c in children where c.isRunning { kill(c.process.processIdentifier, SIGTERM) }
        waitAll(children, timeoutMs: 3_000)
        for c in children where c.isRunning {
            note("train: \(c.name) did not stop within 3 s of SIGTERM; killed")
            kill(c.process.processIdentifier, SIGKILL)
        }
        waitAll(children, timeoutMs: 2_000)
    }
}
