/// What a connection tells its owner (the node's link). Every method is called on the connection's own thread,
/// one call at a time, so an implementation may keep per-link state without a lock as long as only these
/// callbacks touch it. Calling `send` or `close` on the connection from inside a callback is fine.
public protocol ConnectionDelegate: AnyObject, Sendable {
    /// TCP is connected and, with TLS, the handshake is done: `connection.peerIdentity` is known.
    func connectionEstablished(_ connection: Connection)
    /// Bytes as they arrived: frames may be split or glued; the wire decoder reassembles them.
    func connection(_ connection: Connection, received bytes: [UInt8])
    /// Called at least every `ConnectionOptions.tickIntervalMilliseconds` while established, with the
    /// monotonic clock in milliseconds (`Net.monotonicMilliseconds()`), so the link protocol runs its heartbeats.
    func connectionTick(_ connection: Connection, now: Int64)
    /// Called exactly once per connection, last. `error` is nil for an orderly close by either side; a TLS
    /// handshake that failed on a listener is reported here too (without `connectionEstablished` before it).
    func connectionClosed(_ connection: Connection, error: NetError?)
}

/// Tunables of one connection.
public struct ConnectionOptions: Sendable, Equatable {
    /// `send` refuses bytes beyond this many queued and unwritten bytes, so a slow peer applies back-pressure.
    public var outgoingCapBytes: Int
    public var tickIntervalMilliseconds: Int64
    /// A peer that does not finish the TLS handshake in this time is dropped (plaintext or silent clients).
    public var handshakeTimeoutMilliseconds: Int64
    /// How long `close()` keeps trying to flush queued bytes to a peer that does not read.
    public var closeFlushMilliseconds: Int64

    public init(outgoingCapBytes: Int = 32 << 20, tickIntervalMilliseconds: Int64 = 200,
                handshakeTimeoutMilliseconds: Int64 = 10_000, closeFlushMilliseconds: Int64 = 2_000) {
        self.outgoingCapBytes = outgoingCapBytes
        self.tickIntervalMilliseconds = max(1, tickIntervalMilliseconds)
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        self.closeFlushMilliseconds = closeFlushMilliseconds
    }
}
