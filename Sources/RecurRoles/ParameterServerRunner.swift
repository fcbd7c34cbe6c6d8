// ParameterServerRunner: the parameter server's run loop — one ROUTER socket that the
// coordinator and every worker connect to; it only performs the machine's actions.
import Foundation
import RecurTransport
import RecurWire

/// Runs a parameter server until the coordinator says the run is over or a stop is requested.
public final class ParameterServerRunner {
    let machine: ParameterServerMachine
    let bindEndpoint: String
    let runID: UInt64
    let peerTimeoutMs: Int

    /// Prepares a server that will bind `bind` (e.g. `tcp://127.0.0.1:5555`, or port `*`).
    /// - Parameter peerTimeoutMs: exit with an error after this long without hearing from the
    ///   coordinator once configured.
    public init(bind: String, runID: UInt64, peerTimeoutMs: Int = 120_000) {
        machine = ParameterServerMachine(runID: runID)
        bindEndpoint = bind
        self.runID = runID
        self.peerTimeoutMs = peerTimeoutMs
    }

    /// Binds, prints `endpoint <address>` on standard output, and serves.
    /// - Throws: `TransportError` (a port in use, a bad endpoint) or `RoleError.peerTimeout`.
    public func run() throws {
        let context = try ZContext()
        let router = try RoleSupport.socket(context, .router)
        try router.setRouterMandatory(false)
        let endpoint = try router.bind(bindEndpoint)
        print("endpoint \(endpoint)")
        fflush(stdout)
        RoleSupport.log("ps", "listening on \(endpoint)")
        var lastCoordinatorMs = RoleSupport.nowMs()
        while !RoleSupport.stopRequested {
            guard let frames = try router.receive(deadline: .milliseconds(RoleSupport.pollIntervalMs)), frames.count >= 2 else {
                if machine.config != nil, RoleSupport.nowMs() - lastCoordinatorMs > peerTimeoutMs {
                    throw RoleError.peerTimeout("ps: no word from the coordinator for \(peerTimeoutMs) ms; giving up")
                }
                continue
            }
            let peer = String(decoding: frames[0], as: UTF8.self)
            guard let m = RoleSupport.decode(Array(frames.dropFirst()), run: runID, role: "ps", from: peer) else { continue }
            if peer == "coordinator" {
                lastCoordinatorMs = RoleSupport.nowMs()
                if case .leave = m.body {
                    RoleSupport.log("ps", "run over at version \(machine.version); \(machine.counters)")
                    return
                }
            }
            for action in machine.handle(.message(from: peer, m)) {
                switch action {
                case .send(let to, let message):
                    do { try router.send([Array(to.utf8)] + WireCodec.encode(message), deadline: RoleSupport.sendDeadline) } catch {
                        RoleSupport.log("ps", "could not send \(message.body.kind) to \(to): \(error)")
                    }
                case .log(let line): RoleSupport.log("ps", line)
                }
            }
        }
        RoleSupport.log("ps", "stopped by signal at version \(machine.version)")
    }
}
