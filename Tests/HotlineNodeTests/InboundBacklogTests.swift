import Foundation
import Testing
import HotlineNet
@testable import HotlineNode

/// A peer that sends faster than the node stores (one that ignores the link window) is not read further until the
/// work loop catches up, so TCP's flow control slows it instead of the bytes piling up in the node's memory.
struct InboundBacklogTests {
    @Test func aWaiterReturnsOnceTheLoopHasProcessedEnough() {
        let backlog = InboundBacklog(limit: 100)
        backlog.add(60)
        backlog.waitUntilBelowLimit(while: { true })            // under the limit: returns at once
        backlog.add(60)
        let returned = Flag()
        let waiter = Thread {
            backlog.waitUntilBelowLimit(while: { true })
            returned.set()
        }
        waiter.start()
        usleep(50_000)
        #expect(!returned.isSet, "120 bytes outstanding, limit 100: the reader waits")
        backlog.done(60)
        #expect(returned.eventually)
        #expect(backlog.outstanding == 60)
    }

    @Test func aWaiterGivesUpWhenItsConnectionCloses() {
        let backlog = InboundBacklog(limit: 10)
        backlog.add(11)
        let open = Flag()
        open.set()
        let returned = Flag()
        let waiter = Thread {
            backlog.waitUntilBelowLimit(while: { open.isSet })
            returned.set()
        }
        waiter.start()
        usleep(50_000)
        #expect(!returned.isSet)
        open.clear()
        #expect(returned.eventually)
        #expect(backlog.outstanding == 11)
    }

    /// Over a real loopback connection: while the "loop" processes nothing, what the connection has handed over
    /// stays within the limit and one read, and the rest waits at the sender; once it processes, every byte arrives
    /// in order.
    @Test func aFastSenderIsHeldAtTheLimitAndLosesNothing() throws {
        Net.ignoreSigpipe()
        let limit = 1 << 20, read = 64 << 10
        let inbox = Inbox()
        let delegate = LinkConnectionDelegate(dialledPeer: nil, post: { inbox.add($0) }, backlogLimit: limit)
        let listener = TCPListener(host: "127.0.0.1", port: 0, tls: nil) { _ in delegate }
        try listener.start()
        defer { listener.stop() }
        let client = try Dialer.connect(host: "127.0.0.1", port: listener.boundPort, tls: nil, delegate: Quiet())
        defer { client.close() }
        let payload = (0..<(32 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
        var offset = 0
        while offset < payload.count {
            let end = min(offset + (1 << 20), payload.count)
            #expect(client.send(Array(payload[offset..<end])))
            offset = end
        }
        // Nothing processed: the connection stops reading once past the limit.
        #expect(Self.eventually { delegate.backlog.outstanding > limit })
        usleep(200_000)
        #expect(delegate.backlog.outstanding <= limit + read)
        #expect(inbox.bytes.count <= limit + read)
        #expect(client.outgoingBytes > 0, "the rest waits at the sender")
        // The loop catches up: everything arrives, in order.
        let drained = Flag()
        let loop = Thread {
            while !drained.isSet {
                for case .received(_, let bytes, let backlog?) in inbox.take() { backlog.done(bytes.count) }
                usleep(1_000)
            }
        }
        loop.start()
        defer { drained.set() }
        #expect(Self.eventually { inbox.bytes.count == payload.count })
        #expect(inbox.bytes == payload)
    }

    static func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }

    /// What the delegate posted: the bytes received, in order, and the inputs not yet "processed".
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var received: [UInt8] = []
        private var pending: [NodeInput] = []
        func add(_ input: NodeInput) {
            lock.withLock {
                if case .received(_, let bytes, _) = input { received += bytes }
                pending.append(input)
            }
        }
        func take() -> [NodeInput] { lock.withLock { defer { pending = [] }; return pending } }
        var bytes: [UInt8] { lock.withLock { received } }
    }

    final class Quiet: ConnectionDelegate, @unchecked Sendable {
        func connectionEstablished(_ connection: Connection) {}
        func connection(_ connection: Connection, received bytes: [UInt8]) {}
        func connectionTick(_ connection: Connection, now: Int64) {}
        func connectionClosed(_ connection: Connection, error: NetError?) {}
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        func clear() { lock.withLock { value = false } }
        var isSet: Bool { lock.withLock { value } }
        var eventually: Bool { InboundBacklogTests.eventually { self.isSet } }
    }
}
