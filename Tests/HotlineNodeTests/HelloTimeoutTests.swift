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

    /// A centre with deadAfter 15 s, its link clock set by the test, and one accepted connection that said nothing.
    final class Accepted {
        let city: NodeFixture
        let daemon: NodeDaemon
        let client = Silent()
        private let clock = NSLock()
        private var millis: Int64 = 1_000
        var now: Int64 {
            get { clock.withLock { millis } }
            set { clock.withLock { millis = newValue } }
        }
        init() throws {
            city = try NodeFixture(id: "c", role: .city, extra: ["--dead-after-seconds", "15"])
            daemon = try NodeDaemon(context: city.context)
            daemon.monotonic = { [unowned self] in now }
            _ = daemon.drain([.connected(client, dialledPeer: nil)])
        }
    }

    @Test func anAcceptedConnectionWithoutHelloIsClosedAfterDeadAfter() throws {
        let a = try Accepted()
        let (city, daemon, silent) = (a.city, a.daemon, a.client)
        a.now += 14_999
        _ = daemon.drain([])
        #expect(!silent.closed, "still within deadAfter")
        #expect(daemon.unidentified.count == 1)
        a.now += 1
        _ = daemon.drain([])
        #expect(silent.closed)
        #expect(daemon.unidentified.isEmpty)
        let line = try #require(city.log.first { $0.contains("event=link-handshake-timeout") })
        #expect(line.contains("127.0.0.1:40000") && line.contains("no hello within 15 s"))
    }

    @Test func bytesThatAreNotYetAHelloDoNotExtendTheTime() throws {
        let a = try Accepted()
        // A frame's first bytes, a byte every few seconds: never a whole hello.
        for byte: UInt8 in [0, 0, 1] {
            a.now += 5_000
            _ = a.daemon.drain([.received(a.client, [byte], nil)])
        }
        #expect(a.client.closed)
    }
}
