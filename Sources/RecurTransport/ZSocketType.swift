// The ZeroMQ socket types RecurTransport can create.
import CZeroMQ

/// A ZeroMQ socket pattern (`ZMQ_ROUTER`, `ZMQ_DEALER`, …).
public enum ZSocketType: Sendable, CustomStringConvertible {
    /// Exclusive pair.
    case pair
    /// Publisher: fans out to subscribers.
    case pub
    /// Subscriber: receives published messages matching its subscriptions.
    case sub
    /// Strict request side of request–reply.
    case req
    /// Strict reply side of request–reply.
    case rep
    /// Asynchronous client: load-balances sends, fair-queues receives.
    case dealer
    /// Asynchronous server: frame 0 of every message is the peer's routing id.
    case router
    /// Pipeline receiver.
    case pull
    /// Pipeline sender.
    case push

    /// The libzmq constant.
    var rawValue: Int32 {
        switch self {
        case .pair: return ZMQ_PAIR
        case .pub: return ZMQ_PUB
        case .sub: return ZMQ_SUB
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .dealer: return ZMQ_DEALER
        case .router: return ZMQ_ROUTER
        case .pull: return ZMQ_PULL
        case .push: return ZMQ_PUSH
        }
    }

    /// The pattern's name in capitals, e.g. "ROUTER".
    public var description: String {
        switch self {
        case .pair: return "PAIR"
        case .pub: return "PUB"
        case .sub: return "SUB"
        case .req: return "REQ"
        case .rep: return "REP"
        case .dealer: return "DEALER"
        case .router: return "ROUTER"
        case .pull: return "PULL"
        case .push: return "PUSH"
        }
    }
}
