import Foundation
import Testing
import HotlineCore
import HotlineStore
import HotlineWire
@testable import HotlineNode

/// `hotline-city recover`: a centre restored from a backup takes back from the units what the backup lacks.
@Suite struct RecoverTests {
    /// What `from` queued for `link` is handed to `to` as if it came off that link (from `peer`), then acknowledged.
    @discardableResult
    func pump(_ from: NodeContextAndService, link: String, to: NodeContextAndService, peer: String) throws -> [String] {
        let rows = try from.context.links.pending(link: link, after: 0, limit: 10_000)
        for row in rows {
            let o = row.message
            let m = DataMessage(id: o.id, seq: row.seq, origin: o.origin, dest: o.dest, kind: o.kind, body: o.body, at: o.at)
            _ = try to.context.db.transaction { try to.service.handleIncoming(m, from: peer, now: to.context.clock.now) }
            // What the daemon logs once the round has committed.
            to.service.runAfterCommit()
            try sweep(to)
        }
        if let last = rows.last { try from.context.links.acknowledge(link: link, upTo: last.seq) }
        return rows.map(\.message.kind)
    }

    func command(_ node: NodeContextAndService, _ argv: [String]) throws -> AdminResponse {
        let answer = try node.context.db.transaction {
            try node.service.execute(AdminRequest(argv: argv, user: "operator", uid: 1000), now: node.context.clock.now, links: { [] })
        }
        try sweep(node)
        return answer
    }

    /// The rounds that follow, as the daemon runs them: each a slice of every sweep under way, till none is.
    func sweep(_ node: NodeContextAndService) throws {
        while try node.context.db.transaction({ try node.service.continueSweeps(now: node.context.clock.now) }) {
            node.service.runAfterCommit()
        }
    }

    func perform(_ node: NodeContextAndService, _ c: Command, on id: String?) throws {
        _ = try node.context.db.transaction {
            try node.service.perform(c, on: id.flatMap { try node.service.repository.load($0) }, now: node.context.clock.now)
        }
    }

    /// The centre's backup, written as the daemon writes it (on the admin thread, beside the work loop).
    func backUp(_ city: NodeFixture) throws -> URL {
        let backup = city.dir.appendingPathComponent("backups/c")
        try FileManager.default.createDirectory(at: backup.deletingLastPathComponent(), withIntermediateDirectories: true)
        let written = try #require(SnapshotCommands(context: city.context).answer(
            AdminRequest(argv: ["backup", "--out", backup.path], user: "operator", uid: 1000)))
        #expect(written.exitCode == 0, "\(written.text)")
        return backup
    }

    /// The centre's disk lost: `backup` put back in a new data directory (`restore`) and the node opened on it.
    func restored(_ city: NodeFixture, from backup: URL, log lines: NodeFixture.Sink) throws -> NodeContextAndService {
        let dir = city.dir.appendingPathComponent("restored/c")
        _ = try NodeRestore.run(role: .city, try ArgumentParser.parse(["--from", backup.path, "--data", dir.path], spec: NodeRestore.spec))
        let context = try NodeContext(dir: dir, log: Log(node: "c", sink: { lines.append($0) }))
        return NodeContextAndService(context: context, service: TicketService(context: context))
    }

    @Test func aRestoredCentreTakesBackTicketsAndStepsItsBackupLacksFromTheUnits() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let water = try NodeFixture(id: "w", role: .unit)
        let c = NodeContextAndService(city), w = NodeContextAndService(water)
        let first = try city.intake("JN-20260302-000001")
        try perform(c, .dispatch(lead: "w", assisting: [], tier: nil), on: first.id)
        try pump(c, link: "w", to: w, peer: "c")

        // Not restored, the centre's record is the record: recover refuses.
        #expect(try command(c, ["recover", "--since", "2026-03-02"]).text.contains("never restored"))
        let backup = try backUp(city)   // the evening backup

        // After it: a second ticket dispatched, the first signed for and answered by the unit, all acknowledged.
        let second = try city.intake("JN-20260302-000002")
        try perform(c, .dispatch(lead: "w", assisting: [], tier: nil), on: second.id)
        try pump(c, link: "w", to: w, peer: "c")
        try perform(w, .sign, on: first.id)
        try perform(w, .reply(result: "已恢复供水", callerContacted: true), on: first.id)
        try pump(w, link: "c", to: c, peer: "w")
        let unitFirst = try water.ticket(first.id), unitSecond = try water.ticket(second.id)
        #expect(try city.ticket(first.id).events.map(\.id) == unitFirst.events.map(\.id))

        // The centre's disk is lost; the backup is put back.
        let lines = NodeFixture.Sink()
        let r = try restored(city, from: backup, log: lines)
        let restoredContext = r.context
        #expect(try r.service.repository.load(second.id) == nil)
        #expect(try r.service.repository.load(first.id)?.status == .dispatched)
        let status = try command(r, ["status"])
        #expect(status.text.contains("run `hotline-city recover --since"), "\(status.text)")

        // Before `recover`, the centre's copy is older than the unit's: a unit asking for it does not get it (it
        // would replace the unit's copy, and the steps recover is to take back from there).
        let ask = DataMessage(id: RandomID.uuid(), seq: 1, origin: "w", dest: "c", kind: "notice",
                              body: try TicketService.encode(NoticeBody(ticket: first.id, refusedMessage: "m", text: "behind", wantsSync: true)),
                              at: nil)
        _ = try restoredContext.db.transaction { try r.service.handleIncoming(ask, from: "w", now: restoredContext.clock.now) }
        #expect(lines.all.contains { $0.contains("event=sync-held") && $0.contains(first.id) })

        // Nor can the centre decide on a ticket of the backup before `recover`: its record may be behind.
        let early = try command(r, ["close", first.id])
        #expect(early.exitCode != 0 && early.text.contains("recover --since"), "\(early.text)")
        #expect(try r.service.repository.load(first.id)?.status == .dispatched)

        let answer = try command(r, ["recover", "--since", "2026-03-02", "--node", "w"])
        #expect(answer.exitCode == 0, "\(answer.text)")
        #expect(try pump(r, link: "w", to: w, peer: "c") == ["ticket.recall"], "and no ticket.sync")
        #expect(try command(r, ["status"]).text.contains("recover: waiting for the copies of w"))
        #expect(try pump(w, link: "c", to: r, peer: "w") == ["ticket.copy", "ticket.copy", "ticket.copy"])
        #expect(!(try command(r, ["status"]).text.contains("recover")))

        // Both tickets are back in the record, each event once and in the unit's order.
        let recoveredFirst = try #require(try r.service.repository.load(first.id))
        #expect(recoveredFirst.events.map(\.id) == unitFirst.events.map(\.id))
        #expect(recoveredFirst.status == .replied)
        let recoveredSecond = try #require(try r.service.repository.load(second.id))
        #expect(recoveredSecond.events.map(\.id) == unitSecond.events.map(\.id))
        #expect(recoveredSecond.status == .dispatched)
        #expect(try restoredContext.db.meta(TicketService.recallKey("w")) == nil, "the recall is closed by the unit's last copy")
        // The record goes on from there: the centre reviews the unit's reply.
        try perform(r, .passReview, on: first.id)
        #expect(try r.service.repository.load(first.id)?.status == .reviewed)

        // A copy sent outside an open recall is refused and changes nothing.
        try perform(w, .sign, on: second.id)
        let copy = try water.ticket(second.id)
        let late = DataMessage(id: RandomID.uuid(), seq: 1, origin: "w", dest: "c", kind: "ticket.copy",
                               body: try TicketService.encode(CopyBody(recall: "not-open", ticket: copy)), at: nil)
        let refusal = try restoredContext.db.transaction { try r.service.handleIncoming(late, from: "w", now: restoredContext.clock.now) }
        #expect(refusal?.contains("not open") == true)
        #expect(try r.service.repository.load(second.id)?.events.count == recoveredSecond.events.count)
    }

    @Test func copiesFromTheCountyStationAndItsUnitOfTheSameTicketAddEachEventOnce() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let county = try NodeFixture(id: "k", role: .county)
        let unit = try NodeFixture(id: "s1", role: .unit)
        let c = NodeContextAndService(city), k = NodeContextAndService(county), s = NodeContextAndService(unit)
        let ticket = try city.intake()
        let backup = try backUp(city)
        // After the backup: dispatched through the county station, signed for and answered by the unit.
        try perform(c, .dispatch(lead: "s1", assisting: [], tier: nil), on: ticket.id)
        try pump(c, link: "k", to: k, peer: "c")
        try pump(k, link: "s1", to: s, peer: "k")
        try perform(s, .sign, on: ticket.id)
        try perform(s, .reply(result: "已停工整改", callerContacted: true), on: ticket.id)
        try pump(s, link: "k", to: k, peer: "s1")
        try pump(k, link: "c", to: c, peer: "k")
        let held = try city.ticket(ticket.id)
        #expect(held.status == .replied)

        let lines = NodeFixture.Sink()
        let r = try restored(city, from: backup, log: lines)
        let restoredContext = r.context
        #expect(try r.service.repository.load(ticket.id)?.status == .received)

        // Every county station and unit is asked; the recalls for s1 and d1 pass through k.
        #expect(try command(r, ["recover", "--since", "2026-03-02"]).exitCode == 0)
        // The record shows the ticket as only taken in: dispatching it again would replace the copies below.
        let early = try command(r, ["dispatch", ticket.id, "--to", "w"])
        #expect(early.exitCode != 0 && early.text.contains("waits for the copies of d1, k, s1, w"), "\(early.text)")
        #expect(try pump(r, link: "k", to: k, peer: "c").filter { $0 == "ticket.recall" }.count == 3)
        #expect(try pump(k, link: "s1", to: s, peer: "k") == ["ticket.recall"])
        try pump(s, link: "k", to: k, peer: "s1")
        let copies = try pump(k, link: "c", to: r, peer: "k")
        // k's copy and its last message, then s1's (d1, which holds nothing, is not played here).
        #expect(copies == ["ticket.copy", "ticket.copy", "ticket.copy", "ticket.copy"], "\(copies)")

        let recovered = try #require(try r.service.repository.load(ticket.id))
        #expect(recovered.events.map(\.id) == held.events.map(\.id))
        #expect(recovered.status == .replied && recovered.holder == held.holder)
        #expect(lines.all.filter { $0.contains("event=ticket-recovered") }.count == 1, "the second copy adds nothing")
        #expect(lines.all.filter { $0.contains("event=recall-done") }.count == 2)
        #expect(try restoredContext.db.meta(TicketService.recallKey("k")) == nil)
        #expect(try restoredContext.db.meta(TicketService.recallKey("s1")) == nil)
        #expect(try restoredContext.db.meta(TicketService.recallKey("d1")) != nil, "d1 has not answered yet")
        // d1 and w are not played here: the operator stops waiting for them, and the record is worked on again.
        #expect(try command(r, ["review", ticket.id, "--pass"]).exitCode != 0)
        for node in ["d1", "w"] { #expect(try command(r, ["recover", "--close", node]).exitCode == 0) }
        #expect(try command(r, ["recover", "--close", "w"]).text.contains("not waiting"))
        #expect(!(try command(r, ["status"]).text.contains("recover")))
        #expect(try command(r, ["review", ticket.id, "--pass"]).exitCode == 0)
        #expect(try r.service.repository.load(ticket.id)?.status == .reviewed)
    }

    /// The lost centre's decision reached the assisting unit (as the record) but not the lead (its outbox held it):
    /// `recover` takes it back from the assisting unit's copy, and once everyone asked has answered the centre sends
    /// its decisions since the day to the lead, which had no other way to learn them.
    @Test func aDecisionTheLostCentreSentOnlyToTheAssistingUnitReachesTheLeadWhenRecoveryEnds() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let county = try NodeFixture(id: "k", role: .county)
        let unit = try NodeFixture(id: "s1", role: .unit)
        let water = try NodeFixture(id: "w", role: .unit)
        let c = NodeContextAndService(city), k = NodeContextAndService(county)
        let s = NodeContextAndService(unit), w = NodeContextAndService(water)
        let ticket = try city.intake().id
        try perform(c, .dispatch(lead: "s1", assisting: ["w"], tier: nil), on: ticket)
        try pump(c, link: "k", to: k, peer: "c")
        try pump(k, link: "s1", to: s, peer: "k")
        try pump(c, link: "w", to: w, peer: "c")
        let backup = try backUp(city)
        try perform(s, .sign, on: ticket)
        try perform(s, .reply(result: "已停工整改", callerContacted: true), on: ticket)
        try pump(s, link: "k", to: k, peer: "s1")
        try pump(k, link: "c", to: c, peer: "k")
        try perform(c, .passReview, on: ticket)
        try perform(c, .recordCallback(CallbackResult(level: .satisfied, resolved: true)), on: ticket)
        // The record reaches w; the disk is lost before the link to k carries the events.
        #expect(try pump(c, link: "w", to: w, peer: "c") == ["ticket.sync", "ticket.sync"])
        #expect(try water.ticket(ticket).status == .closed)
        let record = try city.ticket(ticket)

        let lines = NodeFixture.Sink()
        let r = try restored(city, from: backup, log: lines)
        #expect(try command(r, ["recover", "--since", "2026-03-02", "--node", "k", "--node", "s1", "--node", "w"]).exitCode == 0)
        try pump(r, link: "w", to: w, peer: "c")
        try pump(r, link: "k", to: k, peer: "c")
        try pump(k, link: "s1", to: s, peer: "k")
        try pump(s, link: "k", to: k, peer: "s1")
        try pump(k, link: "c", to: r, peer: "k")
        #expect(!lines.all.contains { $0.contains("event=recovery-done") }, "w has not answered yet")
        try pump(w, link: "c", to: r, peer: "w")
        #expect(try r.service.repository.load(ticket)?.events.map(\.id) == record.events.map(\.id))
        #expect(lines.all.contains { $0.contains("event=recovery-done") })

        // The centre's decisions since the day go to the lead (through k); w gets the record again.
        #expect(try pump(r, link: "k", to: k, peer: "c") == ["ticket.events"])
        try pump(k, link: "s1", to: s, peer: "k")
        #expect(try unit.ticket(ticket).status == .closed)
        #expect(try unit.ticket(ticket).events.map(\.id) == record.events.map(\.id))
        #expect(try pump(r, link: "w", to: w, peer: "c") == ["ticket.sync"])
        #expect(!unit.log.contains { $0.contains("level=warn") }, "\(unit.log)")
    }

    /// `resync` is a snapshot of the record: a county station's forward made before it and reaching the centre after
    /// it was not in it, and the unit's copy of that assignment may have been lost with its disk.
    @Test func aForwardThatReachesTheCentreAfterAUnitsResyncIsSentOnToTheUnit() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let county = try NodeFixture(id: "k", role: .county)
        let c = NodeContextAndService(city), k = NodeContextAndService(county)
        let ticket = try city.intake()
        try perform(c, .dispatch(lead: "k", assisting: [], tier: nil), on: ticket.id)
        try pump(c, link: "k", to: k, peer: "c")
        try perform(k, .forward(to: "s1"), on: ticket.id)
        // s1 is restored from a backup older than the assignment; the centre's resync does not know it is s1's yet.
        let resync = try command(c, ["resync", "--node", "s1", "--since", "2026-03-02", "--json"])
        #expect(resync.exitCode == 0, "\(resync.text)")
        #expect(try city.context.links.pending(link: "k", after: 0, limit: 100).allSatisfy { $0.message.kind != "ticket.sync" },
                "the resync found no ticket of s1")
        try pump(k, link: "c", to: c, peer: "k")
        let queued = try city.context.links.pending(link: "k", after: 0, limit: 100).map(\.message)
        let sync = try #require(queued.first { $0.kind == "ticket.sync" && $0.dest == "s1" }, "\(queued.map(\.kind))")
        let body = try JSONStreamDecoder.decode(SyncBody.self, from: sync.body)
        #expect(body.ticket.id == ticket.id && body.ticket.holder == "s1")
        // A forward to a unit that was not resynced is not followed by a copy.
        let other = try city.intake("JN-20260302-000002")
        try perform(c, .dispatch(lead: "k", assisting: [], tier: nil), on: other.id)
        try pump(c, link: "k", to: k, peer: "c")
        try perform(k, .forward(to: "d1"), on: other.id)
        try pump(k, link: "c", to: c, peer: "k")
        // (The first copy went on to k with the second assignment.)
        #expect(try city.context.links.pending(link: "k", after: 0, limit: 100).filter { $0.message.kind == "ticket.sync" }.isEmpty)
    }
}

/// A node's context and service, whether made by `NodeFixture` or opened on a restored data directory.
struct NodeContextAndService {
    let context: NodeContext
    let service: TicketService
    init(context: NodeContext, service: TicketService) {
        self.context = context
        self.service = service
    }
    init(_ f: NodeFixture) { self.init(context: f.context, service: f.service) }
}
