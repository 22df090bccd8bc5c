/// What the I/O adapter and the application must do after feeding an input to a `LinkSession`, in order.
public enum LinkAction: Equatable, Sendable {
    /// Write these bytes (one complete frame, length prefix included) to the connection.
    case send([UInt8])
    /// The peer's hello was accepted and a common version found. When `LinkConfig.expectedPeer` is nil the
    /// session now waits: check `peer.node` against the topology, then call `approve` or `reject`.
    case established(peer: Hello, version: Int)
    /// New data in sequence order (each seq one above the previous). Apply them in ONE transaction that also
    /// records the last seq as the link's durable lastReceived, then call `committed(upTo:)`.
    case deliver([DataMessage])
    /// The peer durably holds every data seq <= upTo: the outbox rows up to it may be deleted.
    case acknowledged(upTo: UInt64)
    /// Read up to `limit` outbox rows of this link with seq > `after`, in seq order, and pass them to `offer`
    /// (fewer than `limit`, possibly none, means the outbox is drained).
    case wantOutbound(after: UInt64, limit: Int)
    /// The peer's clock (ms since the epoch) from its hello or heartbeat.
    case peerClock(Int64)
    /// The session is over: close the connection. Reconnect with a new session built from durable state.
    case close(reason: LinkCloseReason)
    /// Something worth a log line that needs no action.
    case log(String)
    /// This side's database was restored from a backup (`reseatAbove` in `init`) and the peer's hello has told
    /// where it stands: everything this side numbered after `above` (its counter when the backup was put back) must
    /// come after `upTo` instead, since the peer already holds seqs up to `upTo` from the database that was lost
    /// (reused, they would be skipped there as duplicates). In the round's transaction: renumber the outbox rows
    /// above `above` by `upTo - above` (nothing when they are equal), raise the counter by as much, and forget the
    /// mark: from now on the numbering agrees with the peer's.
    case reseated(above: UInt64, upTo: UInt64)
    /// This restored side accepted the peer's first data after a gap: seqs `from...to` were delivered to the
    /// database that was lost and the peer no longer holds them. What they carried must come back another way
    /// (the centre's `resync`).
    case gapAccepted(from: UInt64, to: UInt64)
    /// The peer says it was restored and lacks seqs `from...to`, which this side's outbox no longer holds (they
    /// were acknowledged before the peer's database was lost): they are skipped, not resent.
    case gapSkipped(from: UInt64, to: UInt64)
}

/// Why a link session ended.
public enum LinkCloseReason: Equatable, Sendable, CustomStringConvertible {
    /// This side sent a fatal error frame with this code.
    case localError(code: WireErrorCode, message: String)
    /// The peer sent a fatal error frame.
    case peerError(code: String, message: String)
    /// Nothing was heard from the peer for `silentFor` ms.
    case peerSilent(silentFor: Int64)
    /// The hello exchange (and approval) did not finish within `deadAfter` ms.
    case handshakeTimeout(waited: Int64)
    /// The application asked for the close.
    case local

    public var description: String {
        switch self {
        case let .localError(code, message): "closed after sending error \(code): \(message)"
        case let .peerError(code, message): "peer closed the link with error \(code): \(message)"
        case let .peerSilent(ms): "peer silent for \(ms) ms: presumed dead; the link will be re-dialled"
        case let .handshakeTimeout(ms): "no completed hello exchange after \(ms) ms: the link will be re-dialled"
        case .local: "closed by this node"
        }
    }
}
