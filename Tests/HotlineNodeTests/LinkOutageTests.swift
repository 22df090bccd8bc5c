import Foundation
import HotlineWire
import Testing
@testable import HotlineNode

/// `link-down` is one line that scrolls away; a unit's gateway that stays off means tickets waiting unseen. A link
/// down for ten minutes is logged with what waits for it, again every hour, and `status` says since when.
struct LinkOutageTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int64 = 1_000_000
        var now: Int64 { lock.withLock { value } }
        func advance(minutes: Int64) { lock.withLock { value += minutes * 60_000 } }
    }

    @Test func aLinkDownTenMinutesIsLoggedThenHourlyAndItsReturnToo() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let daemon = try NodeDaemon(context: unit.context)
        let clock = Clock()
        daemon.monotonic = { clock.now }
        func stillDown() -> [String] { unit.log.filter { $0.contains("event=link-still-down") } }

        _ = daemon.drain([])  // the first round finds the link to the parent down
        clock.advance(minutes: 9)
        _ = daemon.drain([])
        #expect(stillDown().isEmpty)
        clock.advance(minutes: 1)
        _ = daemon.drain([])
        #expect(stillDown().count == 1)
        let line = try #require(stillDown().first)
        #expect(line.contains("peer=k") && line.contains("down_minutes=10") && line.contains("queued=0"))
        #expect(line.contains("this node dials its parent k"))

        let answers = RoundTakenBackTests.Answers()
        _ = daemon.drain([.admin(AdminRequest(argv: ["status"], user: "operator", uid: 1000), reply: { answers.add($0) })])
        let status = try #require(answers.all.first?.text)
        #expect(status.contains("link k: down since ") && status.contains("(10 min)"), "\(status)")

        clock.advance(minutes: 59)
        _ = daemon.drain([])
        #expect(stillDown().count == 1, "hourly, not every round")
        clock.advance(minutes: 1)
        _ = daemon.drain([])
        #expect(stillDown().count == 2)

        // The parent is reachable again: its hello brings the link up.
        let wire = RoundTakenBackTests.Wire()
        _ = daemon.drain([.connected(wire, dialledPeer: "k")])
        let hello = WireMessage.hello(Hello(id: "h1", node: "k", versions: WireProtocol.supportedVersions, lastReceived: 0,
                                            role: "county"))
        _ = daemon.drain([.received(wire, hello.encodeFrame(), nil)])
        let back = try #require(unit.log.first { $0.contains("event=link-back") })
        #expect(back.contains("peer=k") && back.contains("down_minutes=70"))
        #expect(daemon.linkStatus().first { $0.peer == "k" }?.downSince == nil)
    }

    @Test func aShortOutageSaysNothingMore() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let daemon = try NodeDaemon(context: unit.context)
        let clock = Clock()
        daemon.monotonic = { clock.now }
        _ = daemon.drain([])
        clock.advance(minutes: 3)
        let wire = RoundTakenBackTests.Wire()
        _ = daemon.drain([.connected(wire, dialledPeer: "k")])
        let hello = WireMessage.hello(Hello(id: "h1", node: "k", versions: WireProtocol.supportedVersions, lastReceived: 0))
        _ = daemon.drain([.received(wire, hello.encodeFrame(), nil)])
        clock.advance(minutes: 30)
        _ = daemon.drain([])
        #expect(!unit.log.contains { $0.contains("event=link-still-down") || $0.contains("event=link-back") })
    }

    @Test func durationsAreWrittenForOperators() {
        #expect(CommonCommands.duration(45_000) == "45 s")
        #expect(CommonCommands.duration(10 * 60_000) == "10 min")
        #expect(CommonCommands.duration(192 * 60_000) == "3 h 12 min")
        #expect(CommonCommands.duration(50 * 3_600_000) == "2 d 2 h")
    }
}
