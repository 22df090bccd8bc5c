/// Protocol-wide constants.
public enum WireProtocol {
    /// The version this release writes into `v` and prefers in hello negotiation.
    public static let currentVersion = 1
    /// Every version this release can speak.
    public static let supportedVersions = [1]
    /// Largest integer a field may carry (2^53 − 1), so peers whose JSON numbers are doubles stay exact.
    public static let maxSafeInteger: UInt64 = 9_007_199_254_740_991
}

/// One frame's meaning: the envelope (`v`, `type`, `id`) plus the fields of its type.
public enum WireMessage: Equatable, Sendable {
    case hello(Hello)
    case ack(Ack)
    case heartbeat(Heartbeat)
    case error(ErrorMessage)
    case data(DataMessage)

    /// The wire name of the message type.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .ack: "ack"
        case .heartbeat: "heartbeat"
        case .error: "error"
        case .data: "data"
        }
    }

    public var id: String {
        switch self {
        case let .hello(m): m.id
        case let .ack(m): m.id
        case let .heartbeat(m): m.id
        case let .error(m): m.id
        case let .data(m): m.id
        }
    }

    /// The JSON payload, without the length prefix.
    public func encode() -> [UInt8] {
        write(framed: false)
    }

    /// The complete frame (length prefix included), built in one buffer.
    public func encodeFrame() -> [UInt8] {
        write(framed: true)
    }

    private func write(framed: Bool) -> [UInt8] {
        var capacity = 128
        if case let .data(m) = self { capacity += m.body.count + m.id.count + m.kind.count }
        var w = JSONWriter(capacity: capacity, framed: framed)
        w.field("v", WireProtocol.currentVersion)
        w.field("type", type)
        w.field("id", id)
        switch self {
        case let .hello(m):
            w.field("node", m.node)
            w.field("versions", m.versions)
            w.field("lastReceived", m.lastReceived)
            if let clock = m.clock { w.field("clock", clock) }
            if let role = m.role { w.field("role", role) }
            if let restored = m.restored { w.field("restored", restored) }
            if let profile = m.profile { w.field("profile", profile) }
        case let .ack(m):
            w.field("upTo", m.upTo)
        case let .heartbeat(m):
            if let clock = m.clock { w.field("clock", clock) }
        case let .error(m):
            w.field("code", m.code)
            w.field("message", m.message)
            if let fatal = m.fatal { w.field("fatal", fatal) }
        case let .data(m):
            w.field("seq", m.seq)
            w.field("origin", m.origin)
            w.field("dest", m.dest)
            w.field("kind", m.kind)
            if let at = m.at { w.field("at", at) }
            w.rawField("body", m.body)
        }
        return w.finish()
    }
}
