import Foundation
import Testing
import HotlineCore
import HotlineStore
@testable import HotlineNode

/// `report`, `figures`, `audit` and the knowledge base's reads are answered on the admin thread from a read-only snapshot,
/// not on the work loop: the same answers, nothing written, and no wait for whatever the loop's connection is doing.
struct SnapshotCommandsTests {
    func request(_ argv: String...) -> AdminRequest { AdminRequest(argv: argv, user: "operator", uid: 1000) }

    func viaLoop(_ city: NodeFixture, _ r: AdminRequest) throws -> AdminResponse {
        try city.context.db.transaction { try city.service.execute(r, now: city.now, links: { [] }) }
    }

    /// Responses compared by content (JSON objects as values: key order is not part of the answer).
    func same(_ a: AdminResponse, _ b: AdminResponse) -> Bool {
        func object(_ bytes: [UInt8]?) -> NSObject? {
            bytes.flatMap { try? JSONSerialization.jsonObject(with: Data($0), options: [.fragmentsAllowed]) as? NSObject }
        }
        return a.exitCode == b.exitCode && a.text == b.text && a.content == b.content && object(a.json) == object(b.json)
            && (a.json == nil) == (b.json == nil)
    }

    @Test func reportFiguresAndAuditFromTheSnapshotAreTheLoopsAnswers() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let tickets = try FigureColumnsTests().varied(city)
        // Reading a ticket's personal data leaves a record for `audit` to list.
        #expect(try viaLoop(city, request("show", tickets[0].id)).exitCode == 0)
        let snapshot = SnapshotCommands(context: city.context)
        // `backup` also runs beside the loop (it reads the whole database); it is tested across processes.
        #expect(Set(snapshot.specs.values.filter(\.readsOnly).map(\.name)) == ["audit", "backup", "figures", "report"])
        for r in [request("figures", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "unit", "--json"),
                  request("report", "--month", "2026-03", "--format", "json"),
                  request("report", "--month", "2026-03", "--public"), request("audit", "--ticket", tickets[0].id, "--json")] {
            let answer = try #require(snapshot.answer(r))
            #expect(answer.exitCode == 0, "\(answer.text)")
            #expect(same(answer, try viaLoop(city, r)), "\(r.argv)")
        }
        // The report is not empty: the four tickets are in it.
        let json = try #require(snapshot.answer(request("report", "--month", "2026-03", "--format", "json"))?.content)
        #expect(json.contains("JN-20260302-000004"))
        // Nor is the audit: the one `show` above.
        let audit = try #require(snapshot.answer(request("audit", "--ticket", tickets[0].id, "--json"))?.json)
        #expect((try JSONSerialization.jsonObject(with: Data(audit)) as? [Any])?.count == 1)
    }

    @Test func kbReadsAreAnsweredBesideTheLoopAsTheLoopWould() throws {
        let city = try NodeFixture(id: "c", role: .city)
        try city.context.db.transaction {
            for id in ["a", "b"] {
                var e = KnowledgeEntry(id: id, title: "停水通知\(id)", body: "正文", topic: "供水", areas: [], owner: "w")
                e.status = .approved
                try city.service.knowledge.store(e)
            }
        }
        let snapshot = SnapshotCommands(context: city.context)
        for r in [request("kb", "list", "--json"), request("kb", "list", "--status", "approved"), request("kb", "show", "b"),
                  request("kb", "supervisions", "--json")] {
            let answer = try #require(snapshot.answer(r))
            let loop = try viaLoop(city, r)
            #expect(answer.exitCode == 0 && same(answer, loop), "\(r.argv)")
        }
        #expect(try #require(snapshot.answer(request("kb", "list"))).text.contains("停水通知b"))
        // A search's text says how long it took; its JSON is the loop's.
        let search = request("kb", "search", "停水", "--json")
        let found = try #require(snapshot.answer(search)), loop = try viaLoop(city, search)
        var foundText = found, loopText = loop
        foundText.text = ""
        loopText.text = ""
        #expect(found.exitCode == 0 && same(foundText, loopText) && found.text.contains("2 entries"))
    }

    @Test func otherCommandsStayOnTheLoop() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let snapshot = SnapshotCommands(context: city.context)
        for argv in [["list"], ["show", "JN-20260302-000001"], ["alerts"], ["status"], ["intake"], [], ["kb", "approve", "x"],
                     ["kb", "reject", "x", "--reason", "r"], ["kb", "report-error", "x", "--text", "t"], ["kb"],
                     ["kb", "--nonsense", "list"]] {
            #expect(snapshot.answer(AdminRequest(argv: argv, user: "operator", uid: 1000)) == nil, "\(argv)")
        }
    }

    @Test func aSnapshotReaderCannotWrite() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let reader = try city.context.snapshotReader()
        #expect(throws: StoreError.self) { try reader.db.run("INSERT INTO meta(key, value) VALUES('x', 'y')") }
        #expect(try city.context.db.meta("x") == nil)
    }

    @Test func theSnapshotAnswersWhileTheLoopHoldsAWriteTransactionAndSeesOnlyCommittedTickets() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let tickets = try FigureColumnsTests().varied(city)
        let snapshot = SnapshotCommands(context: city.context)
        let r = request("figures", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "all", "--json")
        let before = try #require(snapshot.answer(r))
        // The loop in the middle of a round: a write transaction with a fifth ticket not yet committed.
        try city.context.db.execute(sql: "BEGIN IMMEDIATE")
        var extra = tickets[0]
        extra.id = "JN-20260302-000009"
        extra.events = extra.events.map { var e = $0; e.ticket = extra.id; e.id += "-9"; return e }
        try city.service.repository.save(extra, newEvents: extra.events)
        let during = try #require(snapshot.answer(r))
        #expect(during.exitCode == 0 && same(during, before))
        try city.context.db.execute(sql: "COMMIT")
        #expect(!same(try #require(snapshot.answer(r)), before))
    }
}
