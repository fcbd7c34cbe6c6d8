// ParameterServerMachine+Registration: the server's clock — the registration Hello it repeats
// while registering with a coordinator, and when the coordinator's silence ends the server.
import RecurWire

extension ParameterServerMachine {
    /// How often a registering server repeats its Hello: until it is configured, and after.
    static let announceUnconfiguredMs = 1_000
    static let announceConfiguredMs = 5_000

    /// Announces the server when it is time (the first tick, then once a second until configured
    /// and every five seconds after: a restarted coordinator finds it), and gives up after
    /// `peerTimeoutMs` without a word from the coordinator — once configured, or while
    /// registering (a coordinator that never comes).
    func tick(_ now: Int) -> [Action] {
        if nowMs == nil { heardMs = now }  // the silence is counted from the first tick
        nowMs = now
        if now - heardMs > peerTimeoutMs, config != nil || announcement != nil {
            return [.fail("\(name): no word from the coordinator for \(peerTimeoutMs) ms; giving up")]
        }
        guard let hello = announcement else { return [] }
        let interval = config == nil ? Self.announceUnconfiguredMs : Self.announceConfiguredMs
        if let last = announcedMs, now - last < interval { return [] }
        announcedMs = now
        return [.announce(WireMessage(runID: runID, sender: name, sequence: 0, body: .hello(hello)))]
    }
}
