import Foundation
import Testing
import HotlineStore
@testable import HotlineNode

/// Migration 17: the city keeps the indexes its early warnings and figures read; counties and units, which never run
/// those, stop writing them with every ticket and event.
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
            // Everything else is the same: lists, overdue, retention.
            #expect(here == atCity.subtracting(Self.scanIndexes))
            #expect(try node.context.db.query("PRAGMA user_version").first?.int(0) == 17)
        }
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
        #expect(try reopened.db.query("PRAGMA user_version").first?.int(0) == 17)
    }
}
