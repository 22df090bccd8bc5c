import Foundation
import HotlineNet

/// A child's link to its parent: dial, and when the connection drops, dial again with capped exponential backoff
/// and jitter, so a restarted city is not hit by every county at the same instant.
final class ParentDialer: @unchecked Sendable {
    // `lock` guards `stopped` and `current`.
    private let lock = NSLock()
    private var stopped = false
    private var current: Connection?
    private let parent: String
    private let endpoint: Endpoint
    private let log: Log
    private let tls: @Sendable () -> TLSContext?
    private let post: @Sendable (NodeInput) -> Void
    private let bodies: PredecodedBodies?
    private let backoff: Backoff
    private let wake = DispatchSemaphore(value: 0)

    init(parent: String, endpoint: Endpoint, log: Log, capSeconds: Int, tls: @escaping @Sendable () -> TLSContext?,
         post: @escaping @Sendable (NodeInput) -> Void, bodies: PredecodedBodies? = nil) {
        self.bodies = bodies
        self.backoff = Backoff(capMilliseconds: Int64(capSeconds) * 1000)
        self.parent = parent
        self.endpoint = endpoint
        self.log = log
        self.tls = tls
        self.post = post
    }

    func start() {
        NamedThread.start("dial-parent") { [self] in run() }
    }

    func stop() {
        lock.withLock {
            stopped = true
            current?.close()
        }
        wake.signal()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func run() {
        var attempt = 0
        while !isStopped {
            let delegate = DialDelegate(parent: parent, post: post, bodies: bodies, closed: { [wake] in wake.signal() })
            do {
                let c = try Dialer.connect(host: endpoint.host, port: endpoint.port, tls: tls(),
                                           expectedPeer: tls() == nil ? nil : parent, delegate: delegate)
                lock.withLock { current = c }
                attempt = 0
                // Wait until this connection closes (or we are stopped), then dial again.
                wake.wait()
                lock.withLock { current = nil }
            } catch {
                let delay = backoff.delay(attempt: attempt, random: Double.random(in: 0..<1))
                if attempt == 0 || attempt % 10 == 0 {
                    log.warn("dial-failed", ["parent": parent, "addr": "\(endpoint.host):\(endpoint.port)",
                                             "error": "\(error)", "retry_ms": "\(delay)"])
                }
                attempt += 1
                _ = wake.wait(timeout: .now() + .milliseconds(Int(delay)))
            }
        }
    }
}

/// Forwards the parent connection's callbacks to the work loop and wakes the dialer when it closes.
private final class DialDelegate: ConnectionDelegate {
    private let inner: LinkConnectionDelegate
    private let closed: @Sendable () -> Void

    init(parent: String, post: @escaping @Sendable (NodeInput) -> Void, bodies: PredecodedBodies?,
         closed: @escaping @Sendable () -> Void) {
        inner = LinkConnectionDelegate(dialledPeer: parent, post: post, bodies: bodies)
        self.closed = closed
    }

    func connectionEstablished(_ connection: Connection) { inner.connectionEstablished(connection) }
    func connection(_ connection: Connection, received bytes: [UInt8]) { inner.connection(connection, received: bytes) }
    func connectionTick(_ connection: Connection, now: Int64) {}
    func connectionClosed(_ connection: Connection, error: NetError?) {
        inner.connectionClosed(connection, error: error)
        closed()
    }
}
