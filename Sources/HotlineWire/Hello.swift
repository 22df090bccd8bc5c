/// The first message on every connection, sent by both sides at once: who I am, which protocol versions I
/// speak, and the highest data `seq` I have durably received from you on this link (so you resume after it).
public struct Hello: Equatable, Sendable {
    public var id: String
    /// The sender's node id from the topology.
    public var node: String
    public var versions: [Int]
    public var lastReceived: UInt64
    /// The sender's current time in ms since the Unix epoch; nodes on a manual clock follow their parent's.
    public var clock: Int64?
    /// The sender's role ("city", "county", "unit"), informative only.
    public var role: String?
    /// True while the sender's database on this link is a restored backup (protocols/README.md §4, "Resuming
    /// after a restore"): its `lastReceived` may be older than what this side last had acknowledged, and this side
    /// skips the outbox rows it no longer holds instead of closing the link.
    public var restored: Bool?
    /// The policy profile the sender decides by: its id and a fingerprint of its rules ("jinan-2018@f97b16ccd6fd"),
    /// so that two neighbours initialised with different profiles, or different versions of one, find out (§3, hello).
    public var profile: String?

    public init(id: String, node: String, versions: [Int], lastReceived: UInt64, clock: Int64? = nil,
                role: String? = nil, restored: Bool? = nil, profile: String? = nil) {
        self.id = id
        self.node = node
        self.versions = versions
        self.lastReceived = lastReceived
        self.clock = clock
        self.role = role
        self.restored = restored
        self.profile = profile
    }
}
