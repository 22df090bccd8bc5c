import Foundation
import HotlineNet
import HotlineWire

/// The bench's end of one link, speaking the real link protocol (`LinkSession` over a `Connection`) with its
/// outbox in memory: the load generator in front of a real node, or the storage-off receiver of the limits
/// scenario. Nothing here is durable and nothing here is measured as the node's work; the node at the other end is.
///
/// One connection at a time; every callback runs on that connection's thread, under `lock`.
final class BenchLink: ConnectionDelegate, @unchecked Sendable {
    struct Options {
        var localNode: String
        /// The peer a dialling side expects; nil when this side listens (it approves whoever says hello).
        var expectedPeer: String?
        var window = 256
        /// Acknowledge every delivered message at once, with no storage (the limits scenario's receiver).
        var acknowledgeAtOnce = false
    }

    // `lock` guards everything below.
    private let lock = NSLock()
    private let options: Options
    private var session: LinkSession?
    private var connection: Connection?
    private var outbox: [DataMessage] = []
    private var inboundCommitted: UInt64 = 0
    private(set) var acknowledgedUpTo: UInt64 = 0
    /// Called (on the connection's thread, under the lock) with messages delivered in order, and with each ack.
    var onDeliver: (([DataMessage]) -> Void)?
    var onAcknowledged: ((UInt64) -> Void)?
    var onClose: ((String) -> Void)?
    private var ackWaiters: [(UInt64, DispatchSemaphore)] = []
    private let establishedSignal = DispatchSemaphore(value: 0)

    init(_ options: Options) { self.options = options }

    var outboxCount: Int { lock.withLock { outbox.count } }
    var acknowledged: UInt64 { lock.withLock { acknowledgedUpTo } }

    /// Queues messages (their `seq` is assigned here) and offers them when the window allows.
    func enqueue(_ messages: [DataMessage]) {
        lock.withLock {
            for var m in messages {
                m.seq = UInt64(outbox.count + 1)
                outbox.append(m)
            }
            guard let actions = withSession({ $0.outboxAppended(now: Net.monotonicMilliseconds()) }) else { return }
            perform(actions)
        }
    }

    /// Waits until the peer has acknowledged `seq` (true) or the timeout passed (false).
    func waitAcknowledged(_ seq: UInt64, timeout: TimeInterval) -> Bool {
        let signal = DispatchSemaphore(value: 0)
        let done = lock.withLock { () -> Bool in
            if acknowledgedUpTo >= seq { return true }
            ackWaiters.append((seq, signal))
            return false
        }
        return done || signal.wait(timeout: .now() + timeout) == .success
    }

    /// Waits until a session is established (the peer's hello accepted).
    func waitEstablished(timeout: TimeInterval) -> Bool { establishedSignal.wait(timeout: .now() + timeout) == .success }

    func close() {
        lock.withLock {
            connection?.close()
            connection = nil
            session = nil
        }
    }

    // MARK: - ConnectionDelegate

    func connectionEstablished(_ c: Connection) {
        lock.withLock {
            connection?.close()
            connection = c
            let config = LinkConfig(localNode: options.localNode, expectedPeer: options.expectedPeer,
                                    connectionID: UUID().uuidString, knownKinds: Bench.appKinds, role: "bench",
                                    window: options.window, heartbeatInterval: 1000, deadAfter: 10_000,
                                    maxFrame: 4 << 20)
            var s = LinkSession(config: config, lastReceived: inboundCommitted, lastAssigned: UInt64(outbox.count))
            let actions = s.start(now: Net.monotonicMilliseconds())
            session = s
            perform(actions)
        }
    }

    func connection(_ c: Connection, received bytes: [UInt8]) {
        lock.withLock {
            guard c === connection, let actions = withSession({ $0.receive(bytes: bytes, now: Net.monotonicMilliseconds()) })
            else { return }
            perform(actions)
        }
    }

    func connectionTick(_ c: Connection, now: Int64) {
        lock.withLock {
            guard c === connection, let actions = withSession({ $0.tick(now: now) }) else { return }
            perform(actions)
        }
    }

    func connectionClosed(_ c: Connection, error: NetError?) {
        lock.withLock {
            guard c === connection else { return }
            connection = nil
            session = nil
            onClose?(error.map { "\($0)" } ?? "closed")
        }
    }

    // MARK: - Private (under the lock)

    /// Runs `body` on the session moved out of `session` (a copy left there would make every change to the
    /// session's arrays copy them first); nil when there is no session.
    private func withSession(_ body: (inout LinkSession) -> [LinkAction]) -> [LinkAction]? {
        guard var s = session.take() else { return nil }
        let actions = body(&s)
        session = s
        return actions
    }

    private func perform(_ actions: [LinkAction]) {
        var pending = actions
        while !pending.isEmpty {
            let action = pending.removeFirst()
            guard session != nil else { return }
            let now = Net.monotonicMilliseconds()
            switch action {
            case .send(let frame):
                if connection?.send(frame) == false { connection?.close() }
            case .established:
                if session?.phase == .awaitingApproval {
                    pending += withSession { $0.approve(now: now) } ?? []
                }
                establishedSignal.signal()
            case .deliver(let messages):
                onDeliver?(messages)
                if options.acknowledgeAtOnce, let last = messages.last {
                    inboundCommitted = last.seq
                    pending += withSession { $0.committed(upTo: last.seq, now: now) } ?? []
                }
            case .acknowledged(let upTo):
                acknowledgedUpTo = max(acknowledgedUpTo, upTo)
                onAcknowledged?(upTo)
                ackWaiters.removeAll { waiter in
                    guard waiter.0 <= acknowledgedUpTo else { return false }
                    waiter.1.signal()
                    return true
                }
            case .wantOutbound(let after, let limit):
                let start = Int(min(after, UInt64(outbox.count)))
                let end = min(outbox.count, start + limit)
                pending += withSession { $0.offer(Array(outbox[start..<end]), now: now) } ?? []
            case .close(let reason):
                onClose?(reason.description)
                connection?.close()
                connection = nil
                session = nil
                return
            case .peerClock, .log, .reseated, .gapAccepted, .gapSkipped:   // the bench never restores a backup
                break
            }
        }
    }
}
