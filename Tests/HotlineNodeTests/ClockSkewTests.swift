import Foundation
import HotlineWire
import Testing
@testable import HotlineNode

/// Deadline verdicts are taken on the clock of the node that acts (a unit's sign-for is `onTime` by the unit's
/// clock), so a node on the system clock says when a neighbour's hello or heartbeat shows a clock far from its own.
struct ClockSkewTests {
    typealias Wire = RoundTakenBackTests.Wire

    @Test func aSampleWarnsOnceWhenItCrossesTheBoundAndOnceWhenItComesBack() {
        var skew = ClockSkew()
        #expect(skew.observe(peerClock: 1_000_000 + 29_999, now: 1_000_000) == nil)
        #expect(skew.observe(peerClock: 1_000_000 - 30_000, now: 1_000_000) == .beyond(-30_000))
        #expect(skew.observe(peerClock: 1_000_000 - 90_000, now: 1_000_000) == nil, "still beyond: no second warning")
        #expect(skew.millis == -90_000)
        #expect(skew.observe(peerClock: 1_000_000 - 2_000, now: 1_000_000) == .within(-2_000))
        #expect(skew.observe(peerClock: Int64.max, now: -5) == .beyond(Int64.max), "a clock at the edge of Int64 saturates")
    }

    @Test func theDifferenceIsWrittenForOperators() {
        #expect(ClockSkew.describe(125_000) == "2 min 5 s ahead of")
        #expect(ClockSkew.describe(-41_500) == "41 s behind")
        #expect(ClockSkew.describe(-3_600_000 * 3 - 60_000) == "3 h 1 min behind")
        #expect(ClockSkew.describe(86_400_000 * 2 + 5_000) == "2 d ahead of")
        #expect(ClockSkew.describe(Int64.min) == "106751991167 d 7 h behind", "the extreme does not trap")
    }

    /// A unit whose clock runs two minutes fast connects; its hello says so. Later heartbeats at the right time
    /// clear it.
    @Test func aNeighboursClockFarFromThisNodesIsLoggedAndShownInStatus() throws {
        let county = try NodeFixture(id: "k", role: .county, systemClock: true)
        let daemon = try NodeDaemon(context: county.context)
        let wire = Wire()
        _ = daemon.drain([.connected(wire, dialledPeer: nil)])
        let ahead = county.now.millis + 125_000
        let hello = WireMessage.hello(Hello(id: "h1", node: "s1", versions: WireProtocol.supportedVersions,
                                            lastReceived: 0, clock: ahead, role: "unit"))
        _ = daemon.drain([.received(wire, hello.encodeFrame(), nil)])

        let warning = county.log.filter { $0.contains("event=clock-skew ") }
        #expect(warning.count == 1)
        #expect(warning.first?.contains("peer=s1") == true)
        #expect(warning.first?.contains("2 min 4 s ahead of") == true || warning.first?.contains("2 min 5 s ahead of") == true)
        let link = try #require(daemon.linkStatus().first { $0.peer == "s1" })
        #expect(link.up)
        #expect((120_000...125_000).contains(link.clockSkewMillis ?? 0))
        let answers = RoundTakenBackTests.Answers()
        _ = daemon.drain([.admin(AdminRequest(argv: ["status"], user: "operator", uid: 1000), reply: { answers.add($0) })])
        let status = try #require(answers.all.first).text
        #expect(status.contains("link s1: up — its clock is 2 min"), "\(status)")
        #expect(status.contains("ahead of this node's: synchronise the clocks (NTP)"))

        let heartbeat = WireMessage.heartbeat(Heartbeat(id: "b1", clock: county.now.millis))
        _ = daemon.drain([.received(wire, heartbeat.encodeFrame(), nil)])
        #expect(county.log.contains { $0.contains("event=clock-skew-ok") && $0.contains("peer=s1") })
        #expect(county.log.filter { $0.contains("event=clock-skew ") }.count == 1)
        #expect(abs(daemon.linkStatus().first { $0.peer == "s1" }?.clockSkewMillis ?? .max) < 30_000)
    }

    /// A node on a manual clock (training) follows its parent's instead: no warning however far apart.
    @Test func aNodeOnAManualClockFollowsItsParentWithoutWarning() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let daemon = try NodeDaemon(context: unit.context)
        let wire = Wire()
        _ = daemon.drain([.connected(wire, dialledPeer: "k")])
        let later = unit.now.millis + 3_600_000
        let hello = WireMessage.hello(Hello(id: "h1", node: "k", versions: WireProtocol.supportedVersions,
                                            lastReceived: 0, clock: later, role: "county"))
        _ = daemon.drain([.received(wire, hello.encodeFrame(), nil)])
        #expect(unit.now.millis == later)
        #expect(!unit.log.contains { $0.contains("event=clock-skew") })
    }
}
