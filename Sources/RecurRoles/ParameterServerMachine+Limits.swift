// ParameterServerMachine+Limits: the largest message the server reads, by what it knows — a
// control message's size until a Welcome has told it the parameter layout, the layout's after.
import RecurWire

extension ParameterServerMachine {
    /// What any message may hold besides tensors (an envelope, a Hello, a heartbeat, a Leave):
    /// the coordinator's limit for its worker socket, `RoleSupport.controlMessageBytes`.
    public static let controlBytes = Int(RoleSupport.controlMessageBytes)

    /// The largest message with `body` the server reads now, in bytes, frames and shared payloads
    /// included; the decoder drops a larger one before reading its payload frames.
    ///
    /// ZeroMQ's own limit (`ZMQ_MAXMSGSIZE`, 1 GiB) is fixed when the socket binds — libzmq
    /// copies it into the listener, so setting it later reaches no connection — and the server
    /// binds before it knows the run. So the bound is applied here, where the layout is known:
    /// - before a configuration, `controlBytes`, except for a Welcome, which may carry a resumed
    ///   run's weights and Adam moments for the slice its own configuration lays out;
    /// - once configured, `controlBytes` plus three slices of floats: a worker's gradient is at
    ///   most one slice, and a restarted coordinator's Welcome three (its own configuration's,
    ///   when larger).
    public func inboundLimit(for body: WireBody) -> Int {
        var floats = 3 * slice.range.count
        if case .welcome(let w) = body, let c = try? RunConfig.parse(w.configJSON), let shards = try? c.parameterShards,
           Int(w.psShard) < shards.shards {
            floats = max(floats, 3 * shards.ranges[Int(w.psShard)].count)
        }
        return Self.controlBytes + floats * MemoryLayout<Float>.size
    }
}
