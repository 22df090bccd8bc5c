import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// `list` and `inbox` run on the work loop: on a city of a million tickets, `list` read every one (77 s, then an
/// answer of 567 MB that no client takes) and `inbox` decoded every one to keep the open few (13 s).
struct ListBoundsTests {
    /// A centre with one real ticket (received) and `closed` finished rows whose stored copies do not read back:
    /// a command that decodes any of them fails.
    func cityWithFinishedRows(_ count: Int) throws -> NodeFixture {
        let city = try NodeFixture(id: "c", role: .city)
        _ = try city.intake()
        try city.context.db.run("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc)
            SELECT printf('JN-20250101-%06d', i), 'closed', 'w', '供水', '历下区/解放路街道', i, i, x'00' FROM n
            """, [.int(Int64(count))])
        return city
    }

    func run(_ city: NodeFixture, _ argv: String...) throws -> AdminResponse {
        try city.context.db.transaction {
            try city.service.execute(AdminRequest(argv: argv, user: "operator", uid: 1000), now: city.now, links: { [] })
        }
    }

    @Test func listRefusesMoreTicketsThanItAnswersAtOnceAndSaysHowToNarrowIt() throws {
        let city = try cityWithFinishedRows(CommonCommands.listMost)
        let all = try run(city, "list")
        #expect(all.exitCode != 0)
        #expect(all.text.contains("\(CommonCommands.listMost + 1) tickets match") && all.text.contains("--status"), "\(all.text)")
        #expect(try run(city, "list", "--status", "closed").exitCode != 0, "as many closed")
        let tooMany = try run(city, "list", "--limit", "\(CommonCommands.listMost + 1)")
        #expect(tooMany.exitCode != 0 && tooMany.text.contains("report --month"), "\(tooMany.text)")
        #expect(try run(city, "list", "--limit", "\(CommonCommands.listMost)").exitCode != 0, "the newest 20,000 include rows that do not read")
        // Narrowed, it answers as before.
        let received = try run(city, "list", "--status", "received", "--json")
        #expect(received.exitCode == 0, "\(received.text)")
        #expect((try JSONSerialization.jsonObject(with: Data(received.json ?? [])) as? [[String: Any]])?.map { $0["id"] as? String } == ["JN-20260302-000001"])
        #expect(try run(city, "list", "--limit", "1").exitCode == 0, "the newest one is the real ticket")
    }

    @Test func aLimitLargerThanTheBoundStillListsAFewTickets() throws {
        // Scripts ask for "all" with a large limit (the demo: --limit 100000).
        let city = try NodeFixture(id: "c", role: .city)
        _ = try city.intake()
        let all = try run(city, "list", "--limit", "100000", "--json")
        #expect(all.exitCode == 0, "\(all.text)")
        #expect((try JSONSerialization.jsonObject(with: Data(all.json ?? [])) as? [Any])?.count == 1)
    }

    @Test func inboxReadsOnlyUnfinishedTickets() throws {
        let city = try cityWithFinishedRows(500)
        let inbox = try run(city, "inbox", "--json")
        #expect(inbox.exitCode == 0, "\(inbox.text)")
        #expect((try JSONSerialization.jsonObject(with: Data(inbox.json ?? [])) as? [[String: Any]])?.map { $0["id"] as? String } == ["JN-20260302-000001"])
    }
}
