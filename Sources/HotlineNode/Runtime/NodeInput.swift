import Foundation
import HotlineNet

/// Everything that can wake a node's work loop. Posted from connection threads, the admin socket, the dial loop
/// and signal handlers; processed only on the loop thread.
enum NodeInput: @unchecked Sendable {
    // @unchecked: transports are Sendable; the admin reply closure is @Sendable; nothing here is mutated.
    case connected(LinkTransport, dialledPeer: String?)
    case received(LinkTransport, [UInt8])
    case closed(LinkTransport, String?)
    case admin(AdminRequest, reply: @Sendable (AdminResponse) -> Void)
    case reloadTLS
}

/// Forwards a connection's callbacks to the work loop (they arrive on the connection's own thread).
final class LinkConnectionDelegate: ConnectionDelegate {
    private let post: @Sendable (NodeInput) -> Void
    private let dialledPeer: String?
    private let predecoder: BodyPredecoder?

    init(dialledPeer: String?, post: @escaping @Sendable (NodeInput) -> Void, bodies: PredecodedBodies? = nil) {
        self.dialledPeer = dialledPeer
        self.post = post
        self.predecoder = bodies.map(BodyPredecoder.init(bodies:))
    }

    func connectionEstablished(_ connection: Connection) { post(.connected(connection, dialledPeer: dialledPeer)) }
    func connection(_ connection: Connection, received bytes: [UInt8]) {
        // Decode first: the loop then finds the bodies ready (it is waiting for its fsync meanwhile).
        predecoder?.feed(bytes, now: Net.monotonicMilliseconds())
        post(.received(connection, bytes))
    }
    func connectionTick(_ connection: Connection, now: Int64) {}
    func connectionClosed(_ connection: Connection, error: NetError?) {
        post(.closed(connection, error.map { "\($0)" }))
    }
}
