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
///
/// Each child's command line is built from the parsed options (`TrainOptions.arguments`,
/// `RunFlags.arguments`) plus what the launcher decides per attempt (`--resume`, the halved
/// learning rate of a rollback); nothing is copied from the launcher's own argv, so a
/// launcher-only flag cannot reach a child.
struct LocalCluster {
    /// The run's options; a rollback halves the learning rate in here.
    var options: TrainOptions
    /// How the distributed run goes (mode, staleness, lease timeout, shards, shared memory).
    let distributed: RunFlags
    let workers: Int
    /// The first attempt's `--resume` (a later attempt resumes from the run folder).
    var resume: String?
    /// `--override-lr` for the coordinator: the options' rate wins over the checkpoint's.
    var overrideLearningRate = false
    /// Restarts from the newest checkpoint allowed when the PS or the coordinator dies.
    var restarts = 3
    /// Fault injection for the test suite: the index of a worker that dials a dead port, so it
    /// never joins.
    var silentWorker: Int?

    init(options: TrainOptions, distributed: RunFlags, workers: Int) {
        self.options = options
        self.distributed = distributed
        self.workers = workers
    }

    /// Parameter-server processes, one per parameter slice.
    var psShards: Int { distributed.psShards ?? 1 }

    /// The coordinator's arguments for one attempt, before the endpoints and the role flags.
    func coordinatorArguments() -> [String] {
        options.arguments + distributed.arguments + (resume.map { ["--resume=\($0)"] } ?? [])
            + (overrideLearningRate ? ["--override-lr"] : [])
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
        var cluster = self
        while true {
            do { return try cluster.runOnce() } catch let died as RoleDied {
                // Fault injection acts on the first attempt only.
                cluster.options.faultNaNAtStep = nil
                cluster.resume = options.runDirectory
                if died.status == LocalCluster.divergedStatus {
                    guard options.onDivergence == .rollback, rollbacks < RunSchedule.maxRollbacks, !RoleSupport.stopRequested,
                          let r = try ResumeState.load(options.runDirectory) else {
                        throw RoleError.failed("the run diverged (non-finite gradients) and cannot roll back; stopping")
                    }
                    rollbacks += 1
                    let lr = r.trainer.lr / 2
                    note(LogRecord(.rolledBack, "diverged: rolling back to step \(r.step) (\(r.path)) with the learning rate halved to \(lr)",
                                   [("step", .int(r.step)), ("lr", .double(lr)), ("path", .string(r.path))]))
                    cluster.options.learningRate = lr
                    cluster.overrideLearningRate = true
                    continue
                }
                guard attempt < restarts, !RoleSupport.stopRequested else {
                    throw RoleError.failed("the \(died.role) exited (status \(died.status)); no restarts left")
                }
                attempt += 1
                note(LogRecord(.processExited, "restart \(attempt)/\(restarts): the \(died.role) exited (status \(died.status)); "
                               + "resuming from the newest checkpoint in \(options.runDirectory)",
                               [("process", .string(died.role)), ("status", .int(Int(died.status))), ("restart", .int(attempt))]))
            }
        }
    }

    /// How long the roles get to exit on their own once the coordinator has finished.
    static let dismissalGraceMs = 1_000

    /// One attempt: every role started, watched until the coordinator finishes.
    func runOnce() throws -> String {
        let runID = UInt64.random(in: 1...UInt64(Int64.max))
        var children: [Child] = []
        defer { Child.stopAll(children) }
        let role = ["--run-id", String(runID), "--die-with-parent"] + LogFlags.arguments
        var servers: [Child] = [], psArguments: [String] = []
        for k in 0..<psShards {
            let name = psShards == 1 ? "ps" : "ps-\(k)"
            let ps = try Child.start(Self.executable, ["ps", "--bind", "tcp://127.0.0.1:*"] + role, name: name)
            children.append(ps)
            servers.append(ps)
            psArguments += ["--ps", try ps.readEndpoint(timeoutMs: 30_000)]
        }
        let coordinator = try Child.start(Self.executable, ["coordinator"] + coordinatorArguments() + psArguments
                                          + ["--bind", "tcp://127.0.0.1:*"] + role, name: "coordinator")
        children.append(coordinator)
        let endpoint = try coordinator.readEndpoint(timeoutMs: 120_000)
        for i in 0..<workers {
            let dialed = i == silentWorker ? "tcp://127.0.0.1:1" : endpoint  // nothing listens on port 1
            children.append(try Child.start(Self.executable, ["worker", "--connect", dialed, "--name", "worker-\(i)",
                                                              "--threads", String(options.threads)] + role, name: "worker-\(i)"))
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
            note(LogRecord(.processStopped, "train: \(c.name) was still running \(Self.dismissalGraceMs) ms after the run ended "
                           + "(a worker that never joined is never dismissed); stopping it",
                           [("process", .string(c.name)), ("killed", .bool(false))]))
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
    static func start(_ executable: String, _ arguments: [String], name: String) throws -> Child {
        let p = Process()
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
            note(LogRecord(.processStopped, "train: \(c.name) did not stop within 3 s of SIGTERM; killed",
                           [("process", .string(c.name)), ("killed", .bool(true))]))
            kill(c.process.processIdentifier, SIGKILL)
        }
        waitAll(children, timeoutMs: 2_000)
    }
}
