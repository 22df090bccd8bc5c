import Foundation
import HotlineCore
import HotlineStore
import Testing
@testable import HotlineNode

/// A neighbour whose database was put back from a backup has lost what it had acknowledged. A sender deletes
/// acknowledged rows only with a round that writes anyway (`DeferredAcks`), so rows the lost database acknowledged
/// can still be in the sender's outbox when the restored neighbour connects: they go to it again, and must stay
/// until the restored database has them.
struct RestoredNeighbourTests {
    typealias Wire = RoundTakenBackTests.Wire

    /// The whole frames in `bytes` (each with its 4-byte length).
    static func frames(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = [], i = 0
        while i + 4 <= bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard i + 4 + length <= bytes.count else { break }
            out.append(Array(bytes[i..<(i + 4 + length)]))
            i += 4 + length
        }
        return out
    }

    /// County station k with `count` copies of the centre's assignment of one ticket queued for `unit`, as if it had
    /// relayed them.
    static func countyHolding(_ count: Int, assignmentsFor unit: String) throws -> (NodeFixture, Ticket) {
        let ticket = try DataAtRestTests().assigned(to: unit).1
        let county = try NodeFixture(id: "k", role: .county)
        let body = try county.service.encode(AssignBody(ticket: Privacy.view(of: ticket, for: unit), role: "lead"))
        try county.context.db.transaction {
            for _ in 0..<count { try county.service.send(.ticketAssign, body: body, to: unit, now: county.now, origin: "c") }
        }
        return (county, ticket)
    }

    /// Found by `HOTLINE_SIM_FIRST=4501 HOTLINE_SIM_SEEDS=1500 HOTLINE_SIM_TICKETS=5`: seed 5,687 of
    /// `aNodeRestoredFromABackup`. The county station's deferred deletion of rows 1-4, acknowledged by the unit's
    /// lost database, ran after the restored unit had taken only row 3 of them: the link then stopped for good
    /// ("the sender's outbox has no seq 4"). Here the restored unit takes row 1 and loses the rest (the
    /// connection drops); before the fix the county deleted rows 1-4 on the old acknowledgement and row 2 never
    /// came.
    @Test func rowsAcknowledgedByALostDatabaseAreSentAgainUntilTheRestoredOneHasThem() throws {
        let (county, ticket) = try Self.countyHolding(4, assignmentsFor: "s1")
        let atCounty = try NodeDaemon(context: county.context)

        /// Connects `unit` to the county and carries bytes both ways; `upTo` data frames at most reach the unit
        /// (the hello first), then the connection drops on both sides.
        func connect(_ atUnit: NodeDaemon, upTo limit: Int = .max) {
            let unitEnd = Wire(), countyEnd = Wire()
            _ = atUnit.drain([.connected(unitEnd, dialledPeer: "k")])
            _ = atCounty.drain([.connected(countyEnd, dialledPeer: nil)])
            var passed = 0
            for _ in 0..<20 {
                let up = unitEnd.take()
                var down = countyEnd.take()
                if up.isEmpty && down.isEmpty { break }
                if !up.isEmpty { _ = atCounty.drain([.received(countyEnd, up, nil)]) }
                if limit != .max {
                    down = Self.frames(down).filter { frame in
                        guard String(decoding: frame, as: UTF8.self).contains("ticket.assign") else { return true }
                        passed += 1
                        return passed <= limit
                    }.flatMap { $0 }
                }
                if !down.isEmpty { _ = atUnit.drain([.received(unitEnd, down, nil)]) }
            }
            _ = atUnit.drain([.closed(unitEnd, "reset")])
            _ = atCounty.drain([.closed(countyEnd, "reset")])
        }

        // The unit takes all four and acknowledges them; the county's rounds wrote nothing else, so the rows wait.
        let lost = try NodeFixture(id: "s1", role: .unit)
        connect(try NodeDaemon(context: lost.context))
        #expect(try lost.context.links.lastReceived(link: "k") == 4)
        #expect(atCounty.deferredAcks.upTo["s1"] == 4)
        #expect(try county.context.links.pendingCount(link: "s1") == 4, "acknowledged, not yet deleted")

        // Its disk is lost; a backup from before the four is put back (`restore` marks its links).
        let restored = try NodeFixture(id: "s1", role: .unit)
        try restored.context.db.transaction {
            try restored.context.db.setMeta(NodeRestore.marker("k"), "2026-03-02T00:00:00Z")
            try restored.context.db.setMeta(NodeRestore.numberingMarker("k"), "0")
        }
        let atRestored = try NodeDaemon(context: restored.context)
        connect(atRestored, upTo: 1)
        #expect(try restored.context.links.lastReceived(link: "k") == 1)
        #expect(atCounty.deferredAcks.upTo["s1"] == 1, "the restored unit's acknowledgement, not the lost one's")
        // The county deletes what is acknowledged (a second at most); then the unit comes back for the rest.
        Thread.sleep(forTimeInterval: 1.05)
        _ = atCounty.drain([])
        #expect(try county.context.links.pendingCount(link: "s1") == 3)
        connect(atRestored)
        #expect(try restored.context.links.lastReceived(link: "k") == 4, "rows 2-4 came again")
        #expect(!county.log.contains { $0.contains("event=link-closed") && $0.contains("has no seq") })
        #expect(try restored.ticket(ticket.id).status == .dispatched)
    }
}
