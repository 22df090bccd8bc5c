import Testing
import HotlineCore
@testable import HotlineStore
@testable import HotlineNode

/// What every message and every step runs, at every node, builds no temporary B-tree each time it runs
/// (`OpenEphemeral`): SQLite builds one for an IN list of more than two values and for `RETURNING`, and making,
/// filling and dropping it was 14 % of a unit's work loop's instructions in a durable hop (the erasure index's
/// `status IN (…)`, checked at every write of a ticket's row) and a quarter of queueing a message (the outbox's
/// seq taken with `RETURNING`).
struct TemporaryTableTests {
    /// Intake, dispatch, the county's relay, sign, reply, review, the callback and the closure it brings, at the
    /// centre, the county station and the unit.
    @Test func aTicketsWholePathRunsNoStatementThatBuildsATemporaryTable() throws {
        let links = RecoverTests()
        let (city, county, unit, ticket) = try DecisionEventsTests().reviewed()
        let (c, k, s) = (NodeContextAndService(city), NodeContextAndService(county), NodeContextAndService(unit))
        try links.perform(c, .recordCallback(CallbackResult(level: .satisfied, resolved: true)), on: ticket)
        try links.pump(c, link: "k", to: k, peer: "c")
        try links.pump(k, link: "s1", to: s, peer: "k")
        #expect(try unit.ticket(ticket).status == .closed)
        for node in [city, county, unit] {
            #expect(try node.context.db.statementsBuildingTemporaryTables() == [], "at \(node.context.nodeId)")
        }
    }
}
