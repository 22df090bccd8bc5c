/// The settings of one side of one link. Durations are milliseconds.
public struct LinkConfig: Sendable {
    /// This node's id from the topology, sent in hello.
    public var localNode: String
    /// The node expected at the other end (a dialling child knows its parent). Nil on a listener: the session
    /// then stops after the peer's hello and waits for `approve` or `reject` from the application.
    public var expectedPeer: String?
    /// This node's role, sent in hello for the peer's logs.
    public var role: String?
    /// Unique per connection (a UUID string); ids of the control messages this session writes are
    /// "<connectionID>-<counter>", which keeps them globally unique without randomness here.
    public var connectionID: String
    /// The application's registry of data kinds; a message of any other kind is still delivered (in sequence, to be
    /// acknowledged), for the application to refuse with a non-fatal `unknown-kind`.
    public var knownKinds: Set<String>
    public var versions: [Int]
    /// Maximum data frames sent and not yet acknowledged.
    public var window: Int
    /// Send a heartbeat after this long without sending anything.
    public var heartbeatInterval: Int64
    /// Close the link after this long without hearing anything.
    public var deadAfter: Int64
    public var maxFrame: Int
    /// The policy profile this node decides by, sent in hello (`Hello.profile`); nil sends none.
    public var profile: String?

    public init(localNode: String, expectedPeer: String?, connectionID: String, knownKinds: Set<String>,
                role: String? = nil, versions: [Int] = WireProtocol.supportedVersions, window: Int = 256,
                heartbeatInterval: Int64 = 5_000, deadAfter: Int64 = 15_000,
                maxFrame: Int = FrameEncoder.defaultMaxFrame, profile: String? = nil) {
        self.localNode = localNode
        self.expectedPeer = expectedPeer
        self.connectionID = connectionID
        self.knownKinds = knownKinds
        self.role = role
        self.versions = versions
        self.window = max(1, window)
        self.heartbeatInterval = heartbeatInterval
        self.deadAfter = deadAfter
        self.maxFrame = maxFrame
        self.profile = profile
    }
}
