import Testing
@testable import HotlineNode

/// Acknowledged outbox rows are deleted with the next round that writes anyway, or after a second.
struct DeferredAcksTests {
    @Test func anAcknowledgementAloneWaitsForAWritingRoundOrASecond() {
        var acks = DeferredAcks()
        #expect(!acks.due(now: 0, roundWrites: true), "nothing to delete")
        acks.add(link: "k", upTo: 5, now: 1_000)
        #expect(!acks.due(now: 1_500, roundWrites: false), "a round of acknowledgements alone writes nothing")
        #expect(acks.due(now: 1_500, roundWrites: true), "a round that writes deletes them in the same commit")
        #expect(acks.due(now: 2_000, roundWrites: false), "a second at most")
    }

    @Test func acknowledgementsAreCumulativeAndOnlyTheCommittedOnesAreForgotten() {
        var acks = DeferredAcks()
        acks.add(link: "k", upTo: 5, now: 0)
        acks.add(link: "k", upTo: 3, now: 10)
        acks.add(link: "s1", upTo: 2, now: 10)
        #expect(acks.upTo == ["k": 5, "s1": 2])
        let applied = acks.upTo
        acks.add(link: "s1", upTo: 4, now: 20)
        acks.committed(applied)
        #expect(acks.upTo == ["s1": 4], "a later acknowledgement arrived after the delete: it stays")
        acks.committed(["s1": 4])
        #expect(acks.upTo.isEmpty)
        #expect(!acks.due(now: 10_000, roundWrites: true))
    }

    @Test func aNeighbourRestoredFromABackupKeepsTheRowsItsLostDatabaseAcknowledged() {
        var acks = DeferredAcks()
        acks.add(link: "s2", upTo: 4, now: 0)
        acks.add(link: "s1", upTo: 2, now: 0)
        acks.peerHolds(link: "s2", upTo: 6)
        #expect(acks.upTo == ["s2": 4, "s1": 2], "a neighbour holding more than it acknowledged changes nothing")
        acks.peerHolds(link: "s2", upTo: 2)
        #expect(acks.upTo == ["s2": 2, "s1": 2], "rows 3-4 stay to be sent again")
        acks.peerHolds(link: "s2", upTo: 0)
        acks.peerHolds(link: "s1", upTo: 0)
        #expect(acks.upTo.isEmpty)
        #expect(!acks.due(now: 10_000, roundWrites: true), "nothing left to delete")
    }
}
