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

extension DataMessage {
    /// The most bytes the frame payload of a message with these fields can take (`WireMessage.encode`: the envelope
    /// with any `seq` and `at`, every string escaped at its worst, six bytes a byte, and the body as given). A sender
    /// checks it against the links' `maxFrame` before it stores a message: a peer closes the link on a frame over
    /// its limit, and a message in an outbox is offered again at every reconnection, so one that can never be
    /// accepted would hold up everything queued behind it.
    public static func payloadBound(id: String, origin: String, dest: String, kind: String, bodyBytes: Int) -> Int {
        let strings = id.utf8.count + origin.utf8.count + dest.utf8.count + kind.utf8.count
        // {"v":N,"type":"data","id":"","seq":N,"origin":"","dest":"","kind":"","at":N,"body":} is 81 bytes without
        // its three numbers, each at most 20 characters (UInt64.max, or Int64.min with its sign).
        return 81 + 3 * 20 + 6 * strings + bodyBytes
    }
}
