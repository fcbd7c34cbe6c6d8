// Deadlines: a point on the monotonic clock, and Duration → whole milliseconds for libzmq.

/// A moment on the monotonic clock after which a wait gives up.
struct ZDeadline {
    /// When the wait ends.
    let end: ContinuousClock.Instant

    /// The deadline `timeout` from now (a negative timeout is already expired).
    init(after timeout: Duration) {
        end = ContinuousClock.now.advanced(by: timeout)
    }

    /// Whole milliseconds left, rounded up so a poll never wakes before the deadline; 0 once expired.
    var remainingMilliseconds: Int {
        let left = end - ContinuousClock.now
        return left <= .zero ? 0 : left.millisecondsRoundedUp
    }

    /// True once the deadline has passed.
    var expired: Bool { ContinuousClock.now >= end }
}

extension Duration {
    /// The duration in whole milliseconds, rounded up, clamped to 0…Int32.max (libzmq's range).
    var millisecondsRoundedUp: Int {
        if self <= .zero { return 0 }
        let (seconds, attoseconds) = components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = (attoseconds + perMillisecond - 1) / perMillisecond
        let (wholeMs, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow || wholeMs > Int64(Int32.max) - fraction { return Int(Int32.max) }
        return Int(wholeMs + fraction)
    }
}
