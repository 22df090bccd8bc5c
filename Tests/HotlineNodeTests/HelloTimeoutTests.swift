import Foundation
import Testing
import HotlineNet
@testable import HotlineNode

/// protocols/README.md §7, AWAIT_HELLO: an accepted connection whose peer has not said hello within `deadAfter`
/// is closed (handshake timeout); a silent client does not hold a connection, and its thread, for ever.
struct HelloTimeoutTests {
    final class Silent: LinkTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var isClosed = false
        var closed: Bool { lock.withLock { isClosed } }
        var remoteAddress: String { "127.0.0.1:40000" }
        var peerIdentity: PeerIdentity? { nil }
        func send(_ bytes: [UInt8]) -> Bool { true }
        func close() { lock.withLock { isClosed = true } }
    }

    @Test func anAcceptedConnectionWithoutHelloIsClosedAfterDeadAfter() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--dead-after-seconds", "15"])
        let daemon = try NodeDaemon(context: city.context)
        var now: Int64 = 1_000
        daemon.monotonic = { now }
        let silent = Silent()
        _ = daemon.drain([.connected(silent, dialledPeer: nil)])
        now += 14_999
        _ = daemon.drain([])
        #expect(!silent.closed, "still within deadAfter")
        #expect(daemon.unidentified.count == 1)
        now += 1
        _ = daemon.drain([])
        #expect(silent.closed)
        #expect(daemon.unidentified.isEmpty)
        let line = try #require(city.log.first { $0.contains("event=link-handshake-timeout") })
        #expect(line.contains("127.0.0.1:40000") && line.contains("no hello within 15 s"))
    }

    @Test func bytesThatAreNotYetAHelloDoNotExtendTheTime() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--dead-after-seconds", "15"])
        let daemon = try NodeDaemon(context: city.context)
        var now: Int64 = 0
        daemon.monotonic = { now }
        let slow = Silent()
        _ = daemon.drain([.connected(slow, dialledPeer: nil)])
        // A frame's first bytes, a byte every few seconds: never a whole hello.
        for byte: UInt8 in [0, 0, 1] {
            now += 5_000
            _ = daemon.drain([.received(slow, [byte], nil)])
        }
        #expect(slow.closed)
    }
}
