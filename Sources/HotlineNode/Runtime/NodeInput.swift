import Foundation
import HotlineCore
import HotlineNet

/// Everything that can wake a node's work loop. Posted from connection threads, the admin socket, the dial loop
/// and signal handlers; processed only on the loop thread.
enum NodeInput: @unchecked Sendable {
    // @unchecked: transports are Sendable; the admin reply closure is @Sendable; nothing here is mutated.
    case connected(LinkTransport, dialledPeer: String?)
    /// Bytes as they arrived, and the backlog they count in until the loop has processed them (nil in the simulation).
    case received(LinkTransport, [UInt8], InboundBacklog?)
    case closed(LinkTransport, String?)
    case admin(AdminRequest, reply: @Sendable (AdminResponse) -> Void)
    case reloadTLS
    /// The early warnings `AlertScanner` computed beside the loop, to store.
    case alertScan(Result<[Alert], AlertScanner.Failure>, at: Timestamp)
}

/// Forwards a connection's callbacks to the work loop (they arrive on the connection's own thread).
final class LinkConnectionDelegate: ConnectionDelegate {
    private let post: @Sendable (NodeInput) -> Void
    private let dialledPeer: String?
    private let predecoder: BodyPredecoder?
    let backlog: InboundBacklog

    init(dialledPeer: String?, post: @escaping @Sendable (NodeInput) -> Void, bodies: PredecodedBodies? = nil,
         backlogLimit: Int = InboundBacklog.defaultLimit) {
        self.dialledPeer = dialledPeer
        self.post = post
        self.predecoder = bodies.map(BodyPredecoder.init(bodies:))
        backlog = InboundBacklog(limit: backlogLimit)
    }

    func connectionEstablished(_ connection: Connection) { post(.connected(connection, dialledPeer: dialledPeer)) }
    func connection(_ connection: Connection, received bytes: [UInt8]) {
        // Decode first: the loop then finds the bodies ready (it is waiting for its fsync meanwhile).
        predecoder?.feed(bytes, stream: FramePlace.stream(of: connection), now: Net.monotonicMilliseconds())
        backlog.add(bytes.count)
        post(.received(connection, bytes, backlog))
        // A peer that sends faster than this node stores (one that ignores the window) is not read further until
        // the loop catches up: TCP's flow control then slows it, instead of the bytes piling up in memory.
        backlog.waitUntilBelowLimit(while: { !connection.isClosed })
    }
    func connectionTick(_ connection: Connection, now: Int64) {}
    func connectionClosed(_ connection: Connection, error: NetError?) {
        post(.closed(connection, error.map { "\($0)" }))
    }
}

/// Bytes a connection has handed to the work loop that the loop has not processed yet. A peer keeps at most its
/// window of data frames unacknowledged, a few megabytes; one that sends more (a faulty or hostile gateway) would
/// otherwise grow the loop's queue until the node ran out of memory. Past `limit` the connection's thread waits
/// for the loop before it reads again.
final class InboundBacklog: @unchecked Sendable {
    /// Four to eight times a full window (2,048, `NodeConfig.window`) of typical 1–2 KB ticket messages: a peer
    /// that respects the window does not wait (one sending tickets with long histories may, which only slows it).
    static let defaultLimit = 16 << 20
    // `condition` guards `bytes`.
    private let condition = NSCondition()
    private var bytes = 0
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    var outstanding: Int { condition.withLock { bytes } }

    func add(_ n: Int) { condition.withLock { bytes += n } }

    /// The loop processed `n` of the bytes.
    func done(_ n: Int) {
        condition.withLock {
            bytes -= n
            if bytes <= limit { condition.broadcast() }
        }
    }

    /// Returns at once while at most `limit` bytes are outstanding; otherwise waits until the loop has brought
    /// them back under it, or `open` turns false (the connection closed: nothing will be read anyway).
    func waitUntilBelowLimit(while open: () -> Bool) {
        condition.lock()
        defer { condition.unlock() }
        while bytes > limit {
            condition.unlock()
            let stillOpen = open()
            condition.lock()
            guard stillOpen else { return }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.2))
        }
    }
}
