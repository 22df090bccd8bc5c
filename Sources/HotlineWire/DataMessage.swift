/// An application message on a link. `seq` is per link (1, 2, 3 … on each direction of each link) and is
/// re-assigned at every hop; `id`, `origin`, `dest`, `kind`, `body` and `at` travel unchanged end to end.
public struct DataMessage: Equatable, Sendable {
    public var id: String
    public var seq: UInt64
    /// The node that created the message.
    public var origin: String
    /// The node the message is finally for; intermediate nodes store and forward it.
    public var dest: String
    /// Application message kind, e.g. "ticket.event"; must be in both sides' registry.
    public var kind: String
    /// The body as the exact JSON bytes of one object, spliced verbatim into the frame so forwarding never
    /// re-serialises it.
    public var body: [UInt8]
    /// The origin's time in ms since the Unix epoch when the message was created.
    public var at: Int64?

    public init(id: String, seq: UInt64, origin: String, dest: String, kind: String, body: [UInt8],
                at: Int64? = nil) {
        self.id = id
        self.seq = seq
        self.origin = origin
        self.dest = dest
        self.kind = kind
        self.body = body
        self.at = at
    }
}
