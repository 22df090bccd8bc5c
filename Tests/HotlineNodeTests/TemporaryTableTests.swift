import Testing
@testable import HotlineStore
@testable import HotlineNode

/// What every message and every step runs, at every node, builds no temporary B-tree each time it runs
/// (`OpenEphemeral`): SQLite builds one for an IN list of more than two values and for `RETURNING`, and making,
/// filling and dropping it was 14 % of a unit's work loop's instructions in a durable hop (the erasure index's
/// `status IN (…)`, checked at every write of a ticket's row) and again at every message queued (the outbox's
/// seq taken with `RETURNING`).
struct TemporaryTableTests {
    @Test func aTicketsWholePathRunsNoStatementThatBuildsATemporaryTable() throws {
        let (city, county, unit, _) = try DecisionEventsTests().reviewed()
        for node in [city, county, unit] {
            #expect(try node.context.db.statementsBuildingTemporaryTables() == [], "at \(node.context.nodeId)")
        }
    }
}
