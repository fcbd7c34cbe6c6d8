// The ZAP decision (RFC 27) as a pure state machine: request frames in, reply frames and a notice out.

/// What a ZAP handler has to say: a line for people and, for a refused client, who and why, so a
/// role can log the refusal as an event with fields rather than only as words.
public struct ZAPNotice: Sendable, Equatable {
    /// A refused handshake.
    public struct Refusal: Sendable, Equatable {
        /// The peer's address as libzmq reports it (its IP address).
        public let address: String
        /// The security mechanism the client asked for (`CURVE`, `NULL` or `PLAIN`).
        public let mechanism: String
        /// The client's public key in Z85 (CURVE only).
        public let key: String?
        /// Why it was refused.
        public let reason: String
    }
    /// The sentence to log.
    public let line: String
    /// Who was refused and why; nil for a malformed request or the handler's own trouble.
    public let refusal: Refusal?

    /// A notice saying `line`, about `refusal` if any.
    init(_ line: String, refusal: Refusal? = nil) { self.line = line; self.refusal = refusal }
}

/// A per-address sliding-window limit on handshakes: at most `limit` in any `window`. Refused
/// handshakes count too, so a flooding address stays refused while it keeps trying.
struct HandshakeRateLimiter {
    /// Handshakes allowed per address within `window`.
    let limit: Int
    /// The sliding window.
    let window: Duration
    /// Addresses remembered at most; beyond it idle entries, then the least recently seen, are dropped.
    let maxAddresses: Int

    /// What is remembered of one address.
    struct Entry {
        /// Times of its most recent handshakes (at most `limit`), oldest first.
        var times: [ContinuousClock.Instant] = []
        /// When a rate-limit refusal of this address was last logged.
        var lastLogged: ContinuousClock.Instant?
    }
    /// Per-address state, at most `maxAddresses` entries.
    private(set) var entries: [String: Entry] = [:]

    /// Records a handshake from `address` at `now`.
    /// - Returns: `allowed` false when `address` already had `limit` handshakes within `window`;
    ///   `log` true when a refusal should be logged (the first for this address in a window).
    mutating func record(_ address: String, at now: ContinuousClock.Instant) -> (allowed: Bool, log: Bool) {
        if entries[address] == nil && entries.count >= maxAddresses { evict(now: now) }
        var entry = entries[address] ?? Entry()
        entry.times.removeAll { now - $0 >= window }
        let allowed = entry.times.count < limit
        entry.times.append(now)
        if entry.times.count > limit { entry.times.removeFirst(entry.times.count - limit) }
        var log = false
        if !allowed, entry.lastLogged.map({ now - $0 >= window }) ?? true {
            entry.lastLogged = now
            log = true
        }
        entries[address] = entry
        return (allowed, log)
    }

    /// Frees room: drops entries idle for a whole window, or else the least recently seen one.
    private mutating func evict(now: ContinuousClock.Instant) {
        entries = entries.filter { _, entry in entry.times.last.map { now - $0 < window } ?? false }
        if entries.count >= maxAddresses,
           let oldest = entries.min(by: { ($0.value.times.last ?? now) < ($1.value.times.last ?? now) }) {
            entries[oldest.key] = nil
        }
    }
}

/// Decides ZAP requests for CURVE servers: admits a client iff its public key is allowed and its
/// address is within the handshake rate limit; refuses every other mechanism.
struct ZAPPolicy {
    /// The outcome of one request, for the counters.
    enum Outcome: Equatable { case admitted, refused, rateLimited, malformed }

    /// Client public keys admitted.
    let allowedKeys: Set<[UInt8]>
    /// The per-address handshake limit.
    var limiter: HandshakeRateLimiter

    /// The reply to the ZAP request `frames` (without the routing envelope), the outcome, and the
    /// notice to log (nil when nothing needs saying).
    mutating func decide(_ frames: [[UInt8]], now: ContinuousClock.Instant)
        -> (reply: [[UInt8]], outcome: Outcome, log: ZAPNotice?) {
        let requestID = frames.count > 1 ? frames[1] : []
        func reply(_ status: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        func malformed(_ why: String) -> (reply: [[UInt8]], outcome: Outcome, log: ZAPNotice?) {
            (reply("500", "malformed ZAP request: \(why)"), .malformed, ZAPNotice("ZAP: malformed request: \(why)"))
        }
        guard frames.count >= 6 else { return malformed("\(frames.count) frames, expected at least 6") }
        guard frames[0] == Array("1.0".utf8) else {
            return malformed("version \(String(reflecting: printable(frames[0]))), expected \"1.0\"")
        }
        let address = printable(frames[3])
        let mechanism = printable(frames[5])
        guard mechanism == "CURVE" else {
            let text = "mechanism \(mechanism) refused: this server accepts CURVE only"
            return (reply("400", text), .refused, ZAPNotice("refused \(mechanism) client from \(address): this server accepts CURVE only",
                refusal: .init(address: address, mechanism: mechanism, key: nil, reason: "this server accepts CURVE only")))
        }
        guard frames.count == 7, frames[6].count == 32, let z85 = Z85.encode(frames[6]) else {
            return malformed("CURVE credentials must be one 32-byte public key")
        }
        let client = "refused CURVE client \(z85.prefix(8))… from \(address)"
        func refused(_ reason: String, _ line: String) -> ZAPNotice {
            ZAPNotice(line, refusal: .init(address: address, mechanism: mechanism, key: z85, reason: reason))
        }
        let (allowed, logRate) = limiter.record(address, at: now)
        guard allowed else {
            let text = "more than \(limiter.limit) handshakes a minute from this address"
            return (reply("400", text), .rateLimited,
                    logRate ? refused(text, "\(client): \(text) (further refusals of this address are not logged for a minute)") : nil)
        }
        guard allowedKeys.contains(frames[6]) else {
            return (reply("400", "key not in the run's key file"), .refused,
                    refused("key not in the run's key file", "\(client): key not in the run's key file"))
        }
        return (reply("200", "OK", user: z85), .admitted, nil)
    }

    /// `bytes` as text for a log line: UTF-8 with control characters replaced, at most 64 characters.
    private func printable(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(64), as: UTF8.self)
        return String(text.map { $0.isASCII && ($0.asciiValue! < 0x20 || $0.asciiValue! == 0x7F) ? "?" : $0 })
    }
}
