import Foundation
import HotlineCore
import HotlineNet
import HotlineStore
import HotlineWire

/// One link to a neighbour in the tree (the parent, or one child): the current connection, if any, and the pure
/// link-protocol session running on it. Owned by the node's work loop; every method runs on that thread.
///
/// Frames the session produces are held until `flush`, which the loop calls after its commit: nothing read from
/// an uncommitted transaction can reach the wire, and a transport ack always follows the commit it reports.
final class LinkDriver {
    let peer: String
    private(set) var connection: LinkTransport?
    private(set) var session: LinkSession?
    /// Highest inbound seq delivered in the current transaction, acknowledged after commit.
    var deliveredUpTo: UInt64?
    /// This node's database was restored from a backup and nothing has come in on this link since
    /// (`NodeRestore.marker`): the session is told, so that the link resumes (`LinkSession.init`).
    var restored = false
    private(set) var establishedAt: Int64?
    private(set) var lastError: String?
    /// How far the neighbour's clock is from this node's, on this connection (`status`, `clock-skew`).
    var clockSkew = ClockSkew()
    /// The profile the neighbour said in its last hello it decides by, when not this node's (`ProfileStamp`); kept
    /// while the link is down.
    var otherProfile: String?
    /// Since when the link has been down (the first round that found it so: at start, or after it dropped), on the
    /// loop's monotonic clock and the node's; nil while it is up (`NodeDaemon.watchOutage`).
    var downSince: (mono: Int64, at: Timestamp)?
    /// When `link-still-down` was last logged for this outage (monotonic ms).
    var lastDownWarning: Int64?
    /// How far the queue to the neighbour was acknowledged when it last moved (an acknowledgement, or nothing
    /// waiting); the time the link has been up since with messages waiting and none acknowledged; when the queue was
    /// last looked at; when `link-stalled` was last logged (monotonic ms). `NodeDaemon.watchQueue`.
    var queueAcknowledged: UInt64?
    var stalledUpMillis: Int64 = 0
    var lastQueueLook: Int64?
    var lastStallWarning: Int64?
    private var held: [[UInt8]] = []
    /// Since the last `flush` the session has moved on by what only the round's commit makes true: it delivered
    /// messages (and now expects the ones after them) or offered queued rows it read (which the rollback may have
    /// removed). When the round fails, the connection is dropped, and the link starts again from what is stored.
    var needsCommit = false

    init(peer: String) { self.peer = peer }

    var isEstablished: Bool { establishedAt != nil && session != nil }

    func attach(connection: LinkTransport, session: LinkSession) {
        self.connection = connection
        self.session = session
        deliveredUpTo = nil
        establishedAt = nil
        clockSkew = ClockSkew()
        held.removeAll()
    }

    func markEstablished(now: Int64) {
        establishedAt = now
        lastError = nil
    }

    /// Runs one input through the session; no session (link down) means nothing to do.
    ///
    /// The session is moved out while it runs, not copied: with a second reference left in `session`, every
    /// change to its arrays (the frame buffer, the windows) copied them first (6 % of a unit's loop in a durable hop).
    func run(clock: Timestamp, _ input: (inout LinkSession) -> [LinkAction]) -> [LinkAction] {
        guard var s = session.take() else { return [] }
        s.advertisedClock = clock.millis
        let actions = input(&s)
        session = s
        return actions
    }

    func hold(_ frame: [UInt8]) { held.append(frame) }

    /// Writes the held frames. A connection whose buffer is over its cap is closed: the peer resends after reconnect.
    func flush() {
        needsCommit = false
        guard let c = connection else {
            held.removeAll()
            return
        }
        for frame in held where !c.send(frame) {
            detach(reason: "peer is not reading (send buffer full)")
            break
        }
        held.removeAll()
    }

    /// Forgets the connection (closed by either side, or dropped by us). Unacknowledged rows stay in the outbox.
    func detach(reason: String?) {
        connection?.close()
        connection = nil
        session = nil
        establishedAt = nil
        deliveredUpTo = nil
        needsCommit = false
        held.removeAll()
        if let reason { lastError = reason }
    }

    func owns(_ c: LinkTransport) -> Bool { connection === c }
}
