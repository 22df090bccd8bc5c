import Foundation
import Testing
import HotlineCore
import HotlineStore
@testable import HotlineNode

/// Migrations 17 and 18: the city keeps the indexes its early warnings and figures read; counties and units, which
/// never run those, stop writing them with every ticket and event. Only counties and units erase personal data, and
/// their erasure index holds finished tickets only.
struct RoleSchemaTests {
    static let scanIndexes: Set<String> = ["tickets_alert_scan", "events_at"]

    func indexes(_ db: Database) throws -> Set<String> {
        Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").compactMap { $0.string(0) })
    }

    func plan(_ db: Database, _ sql: String) throws -> String {
        try db.query("EXPLAIN QUERY PLAN " + sql, [.int(0), .int(1)]).compactMap { $0.string(3) }.joined(separator: "; ")
    }

    @Test func cityKeepsTheScanIndexesCountiesAndUnitsDoNot() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let county = try NodeFixture(id: "k", role: .county)
        let unit = try NodeFixture(id: "w", role: .unit)
        let atCity = try indexes(city.context.db)
        #expect(Self.scanIndexes.isSubset(of: atCity))
        for node in [county, unit] {
            let here = try indexes(node.context.db)
            #expect(here.isDisjoint(with: Self.scanIndexes), "\(node.context.nodeId): \(here)")
            // Everything else is the same (lists, overdue), and retention is theirs alone.
            #expect(here == atCity.subtracting(Self.scanIndexes).union(["tickets_erasable"]))
            #expect(try node.context.db.query("PRAGMA user_version").first?.int(0) == 18)
        }
        #expect(!atCity.contains("tickets_erasable"))
    }

    @Test func theErasureIndexHoldsOnlyFinishedTicketsNotYetErased() throws {
        #expect(NodeSchema.finishedStatuses
                    == TicketStatus.allCases.filter(\.isFinished).map { "'\($0.rawValue)'" }.joined(separator: ","),
                "a status was added or removed: migration 18's condition is frozen, a new migration must rewrite it")
        let unit = try NodeFixture(id: "w", role: .unit)
        let db = unit.context.db
        func entries() throws -> Int64? {
            try db.query("SELECT count(*) FROM tickets INDEXED BY tickets_erasable WHERE erased = 0 AND status IN (\(NodeSchema.finishedStatuses))").first?.int(0)
        }
        try db.execute(sql: """
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES('t1', 'signed', 'w', '供水', '', 1, 1, x'00');
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES('t2', 'closed', 'c', '供水', '', 1, 1, x'00');
            """)
        #expect(try entries() == 1)
        try db.execute(sql: "UPDATE tickets SET updated = 2 WHERE id = 't1'; UPDATE tickets SET erased = 1 WHERE id = 't2'")
        #expect(try entries() == 0)
        // The repository's query reads that index, and finds the finished ticket not yet erased, and only it.
        #expect(try plan(db, "SELECT id FROM tickets INDEXED BY tickets_erasable WHERE erased = 0 AND updated < ?1 AND status IN (\(NodeSchema.finishedStatuses)) LIMIT ?2")
            .contains("tickets_erasable"))
        try db.execute(sql: "UPDATE tickets SET erased = 0 WHERE id = 't2'")
        #expect(try unit.service.repository.erasable(before: Timestamp(millis: 5), limit: 10) == ["t2"])
        #expect(try unit.service.repository.erasable(before: Timestamp(millis: 1), limit: 10) == [])
    }

    @Test func cityScansStillReadTheirIndexes() throws {
        let city = try NodeFixture(id: "c", role: .city)
        #expect(try plan(city.context.db, "SELECT id, topic, caller_key FROM tickets WHERE received >= ?1 AND ?2")
            .contains("COVERING INDEX tickets_alert_scan"))
        #expect(try plan(city.context.db, "SELECT DISTINCT ticket FROM events WHERE at >= ? AND at < ?")
            .contains("COVERING INDEX events_at"))
    }

    /// A unit's database written before migration 17 loses the two indexes when the node next opens it; its
    /// tickets stay.
    @Test func anOlderUnitDatabaseDropsTheIndexesWhenOpened() throws {
        let unit = try NodeFixture(id: "w", role: .unit)
        let db = unit.context.db
        try db.execute(sql: """
            CREATE INDEX tickets_alert_scan ON tickets(received, topic, district, street, caller_key, status, holder, id,
                                                       dispatched_at, sign_by, deadline, paused);
            CREATE INDEX events_at ON events(at, ticket);
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES('t1', 'dispatched', 'w', '供水', '', 1, 1, x'00');
            PRAGMA user_version = 16;
            """)
        #expect(Self.scanIndexes.isSubset(of: try indexes(db)))
        let reopened = try NodeContext(dir: unit.context.dir, log: Log(node: "w", sink: { _ in }))
        #expect(try indexes(reopened.db).isDisjoint(with: Self.scanIndexes))
        #expect(try reopened.db.query("SELECT count(*) FROM tickets").first?.int(0) == 1)
        #expect(try reopened.db.query("PRAGMA user_version").first?.int(0) == 18)
    }

    /// A unit's database written before migration 18 gets the narrower erasure index when the node next opens it;
    /// a city's loses it.
    @Test func anOlderDatabaseGetsTheErasureIndexOfItsRoleWhenOpened() throws {
        for (id, role) in [("w", NodeKind.unit), ("c", .city)] {
            let node = try NodeFixture(id: id, role: role)
            try node.context.db.execute(sql: """
                DROP INDEX IF EXISTS tickets_erasable;
                CREATE INDEX tickets_erasable ON tickets(erased, updated);
                PRAGMA user_version = 17;
                """)
            let reopened = try NodeContext(dir: node.context.dir, log: Log(node: id, sink: { _ in }))
            let sql = try reopened.db.query("SELECT sql FROM sqlite_master WHERE name = 'tickets_erasable'").first?.string(0)
            if role == .city { #expect(sql == nil) } else { #expect(sql?.contains("WHERE erased = 0 AND status IN") == true) }
        }
    }
}
