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
        func advance(seconds: Int64) { lock.withLock { value += seconds * 1000 } }
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

/// A link that stays up while the neighbour acknowledges nothing (its storage failing, say) never logs `link-down`;
/// ten minutes of it up with messages waiting is `link-stalled`, and the first acknowledgement `link-moving`.
struct LinkStallTests {
    @Test func aNeighbourThatTakesNothingForTenMinutesOfUpTimeIsLoggedAndShown() throws {
        let county = try RestoredNeighbourTests.countyHolding(4, assignmentsFor: "s1").0
        let daemon = try NodeDaemon(context: county.context)
        let clock = LinkOutageTests.Clock()
        daemon.monotonic = { clock.now }
        let wire = RoundTakenBackTests.Wire()
        _ = daemon.drain([.connected(wire, dialledPeer: nil)])
        let hello = WireMessage.hello(Hello(id: "h1", node: "s1", versions: WireProtocol.supportedVersions, lastReceived: 0))
        _ = daemon.drain([.received(wire, hello.encodeFrame(), nil)])
        #expect(daemon.linkStatus().first { $0.peer == "s1" }?.up == true)
        func stalled() -> [String] { county.log.filter { $0.contains("event=link-stalled") } }

        // The unit answers heartbeats (the link stays up) and takes nothing.
        for step in 1...61 {
            clock.advance(seconds: 10)
            _ = daemon.drain([.received(wire, WireMessage.heartbeat(Heartbeat(id: "b\(step)")).encodeFrame(), nil)])
            if step == 59 { #expect(stalled().isEmpty, "under ten minutes") }
        }
        #expect(!county.log.contains { $0.contains("event=link-down") })
        let line = try #require(stalled().first)
        #expect(stalled().count == 1 && line.contains("peer=s1") && line.contains("queued=4") && line.contains("minutes=10"),
                "\(line)")
        let answers = RoundTakenBackTests.Answers()
        _ = daemon.drain([.admin(AdminRequest(argv: ["status", "--check"], user: "operator", uid: 1000), reply: { answers.add($0) })])
        let check = try #require(answers.all.first)
        #expect(check.exitCode == 1 && check.text.contains("link s1 stalled: none of the 4 queued acknowledged in 10 min up"),
                "\(check.text)")

        // It takes all four: the queue moves.
        clock.advance(seconds: 10)
        _ = daemon.drain([.received(wire, WireMessage.ack(Ack(id: "a1", upTo: 4)).encodeFrame(), nil)])
        clock.advance(seconds: 10)
        _ = daemon.drain([])
        #expect(county.log.contains { $0.contains("event=link-moving") && $0.contains("peer=s1") })
        #expect(daemon.linkStatus().first { $0.peer == "s1" }?.stalledForMillis == nil)
    }
}
