/// Cumulative acknowledgement: every data `seq <= upTo` is durably stored by the receiver.
public struct Ack: Equatable, Sendable {
    public var id: String
    public var upTo: UInt64

    public init(id: String, upTo: UInt64) {
        self.id = id
        self.upTo = upTo
    }
}

/// Keeps an idle link provably alive; carries the sender's clock so children can follow the parent's time.
public struct Heartbeat: Equatable, Sendable {
    public var id: String
    public var clock: Int64?

    public init(id: String, clock: Int64? = nil) {
        self.id = id
        self.clock = clock
    }
}

/// Tells the peer what it did wrong. `code` stays a String so codes added by newer peers still decode.
public struct ErrorMessage: Equatable, Sendable {
    public var id: String
    public var code: String
    public var message: String
    /// True when the sender closes the connection right after this frame.
    public var fatal: Bool?

    public init(id: String, code: String, message: String, fatal: Bool? = nil) {
        self.id = id
        self.code = code
        self.message = message
        self.fatal = fatal
    }

    /// The code as a known enum value, nil for a code this release does not know.
    public var knownCode: WireErrorCode? { WireErrorCode(rawValue: code) }
}
