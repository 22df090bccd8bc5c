import Foundation
import Testing
import HotlineCore
import HotlineWire
import HotlineStore
@testable import HotlineNode

/// `figures` reads plain figure columns (migration 15) instead of opening and decoding every document of the period;
/// the figures must be exactly those computed from the documents.
struct FigureColumnsTests {
    let march1 = LocalDate(year: 2026, month: 3, day: 1) ?? LocalDate(dayNumber: 0)
    let march31 = LocalDate(year: 2026, month: 3, day: 31) ?? LocalDate(dayNumber: 0)
    let groupings: [FigureGrouping] = [.all, .unit, .county(["s1": "k", "d1": "k"]), .topic, .channel, .day, .month]

    /// Decides a ticket's history with the real lifecycle at the given minutes after 2026-03-02 09:00 and stores it.
    @discardableResult
    func store(_ id: String, _ steps: [(Command, Actor, Int64)], in node: NodeFixture) throws -> Ticket {
        let rules = Rules(profile: node.context.profile, deadlines: node.context.deadlines)
        let start = Timestamp(iso8601: "2026-03-02T09:00:00+08:00")!.millis
        var ticket: Ticket?
        var n = 0
        for (command, actor, minutes) in steps {
            let events = try Lifecycle.decide(command, ticket: ticket, actor: actor, now: Timestamp(millis: start + minutes * 60_000),
                                              rules: rules) { n += 1; return "\(id)-e\(n)" }
            for e in events { ticket = try Lifecycle.apply(e, to: ticket) }
        }
        let done = try #require(ticket)
        try node.context.db.transaction { try node.service.repository.save(done, newEvents: done.events) }
        return done
    }

    func intake(_ id: String, topic: String = "噪声扰民", channel: String = "phone") -> Command {
        .receive(TicketIntake(id: id, channel: channel, kind: "complain", topic: topic, area: Area(district: "历下区", street: "解放路街道"),
                              text: "夜间施工噪音", caller: CallerInfo(name: "张三", phone: "13812345678")))
    }

    /// Four histories that touch every counted field: sign, reply, review, callback; a county forward and an approved
    /// return; a knowledge-base answer; a late sign-for, supervision, a late reply and an unsatisfied caller.
    func varied(_ city: NodeFixture) throws -> [Ticket] {
        let c = Actor(node: "c", role: .city), k = Actor(node: "k", role: .county)
        let w = Actor(node: "w", role: .unit), s1 = Actor(node: "s1", role: .unit)
        let day: Int64 = 24 * 60
        return [
            try store("JN-20260302-000001", [(intake("JN-20260302-000001"), c, 0), (.dispatch(lead: "w", assisting: [], tier: nil), c, 10),
                                             (.sign, w, 30), (.reply(result: "已处理", callerContacted: true), w, day),
                                             (.passReview, c, day + 60),
                                             (.recordCallback(CallbackResult(level: .satisfied, resolved: true)), c, day + 120)], in: city),
            try store("JN-20260302-000002", [(intake("JN-20260302-000002", channel: "web"), c, 0),
                                             (.dispatch(lead: "k", assisting: [], tier: nil), c, 10), (.forward(to: "s1"), k, 20),
                                             (.sign, s1, 40), (.requestReturn(reason: "非本单位职责", basis: nil), s1, 60),
                                             (.approveReturn(note: "同意"), c, 90)], in: city),
            try store("JN-20260302-000003", [(intake("JN-20260302-000003", topic: "政策咨询"), c, 0),
                                             (.answer(note: "已解答", kbEntry: "kb-7@2"), c, 5)], in: city),
            try store("JN-20260302-000004", [(intake("JN-20260302-000004", topic: "供水"), c, 0),
                                             (.dispatch(lead: "w", assisting: [], tier: nil), c, 10), (.sign, w, 3 * day),
                                             (.supervise(form: "phone", reason: "超时未办"), c, 3 * day + 60),
                                             (.reply(result: "已处理", callerContacted: true), w, 20 * day),
                                             (.passReview, c, 20 * day + 60),
                                             (.recordCallback(CallbackResult(level: .unsatisfied, resolved: false)), c, 21 * day)], in: city),
        ]
    }

    @Test func figureColumnsGiveTheSameFiguresAsTheDocumentsForEveryGrouping() throws {
        let city = try NodeFixture(id: "c", role: .city)
        _ = try varied(city)
        let repository = city.service.repository
        let fromColumns = try repository.figureTickets(from: march1, to: march31)
        #expect(fromColumns == (try repository.withEvents(from: march1, to: march31)).map(FigureTicket.init))
        for grouping in groupings {
            let expected = Figures.compute(tickets: try repository.withEvents(from: march1, to: march31), from: march1, to: march31,
                                           by: grouping)
            #expect(Figures.compute(fromColumns, from: march1, to: march31, by: grouping) == expected, "\(grouping)")
        }
        // The fixture is not trivial: every kind of count is there.
        let all = try #require(Figures.compute(fromColumns, from: march1, to: march31, by: .all).first)
        #expect(all.received == 4 && all.dispatched == 3 && all.signed == 3 && all.replied == 2 && all.returns == 1)
        #expect(all.satisfied == 1 && all.evaluated == 2 && all.resolved == 1 && all.supervisions == 1)
        #expect(all.directAnswers == 1 && all.knowledgeAnswers == 1 && all.overdue >= 1 && all.signedOnTime == 2)
    }

    @Test func everyFigureFieldOfAnEventIsReadBackFromItsColumns() throws {
        let city = try NodeFixture(id: "c", role: .city)
        var ticket = try #require(try varied(city).first)
        // Hand-set values (false, nil and the rarer fields included) on the events of one stored ticket.
        ticket.events[1].onTime = false
        ticket.events[1].countsAsOverdue = true
        ticket.events[2].resolved = false
        ticket.events[2].stars = 3
        ticket.events[2].level = .basicallySatisfied
        ticket.events[3].kbEntry = "kb-1@1"
        ticket.events[3].to = nil
        try city.context.db.transaction { try city.service.repository.replace(ticket) }
        let read = try city.service.repository.figureTickets(from: march1, to: march31)
        #expect(read.first { $0.id == ticket.id } == FigureTicket(ticket))
    }

    @Test func figureColumnsOfRowsStoredBeforeMigration15AreFilledOnceAtStart() throws {
        let city = try NodeFixture(id: "c", role: .city)
        _ = try varied(city)
        let repository = city.service.repository
        let expected = try repository.withEvents(from: march1, to: march31).map(FigureTicket.init)
        // As an upgraded node's database looks: the new columns at their defaults, the fill not yet done.
        try city.context.db.execute(sql: """
            UPDATE tickets SET centre = '', channel = '';
            UPDATE events SET to_node = NULL, on_time = NULL, late_return = NULL, resolved = NULL, level = NULL, stars = NULL, kb = 0;
            DELETE FROM meta WHERE key = 'figures.columns-filled';
            """)
        #expect(try repository.figureTickets(from: march1, to: march31) != expected)
        let filled = try #require(try repository.fillFigureColumns())
        #expect(filled.tickets == 4 && filled.events == expected.map(\.events.count).reduce(0, +))
        #expect(try repository.fillFigureColumns() == nil)
        #expect(try repository.figureTickets(from: march1, to: march31) == expected)
        #expect(try city.context.db.meta("figures.columns-filled") == "1")
    }

    @Test func anUnknownEventTypeInTheFigureColumnsIsAClearErrorNotACrash() throws {
        let city = try NodeFixture(id: "c", role: .city)
        _ = try varied(city)
        try city.context.db.execute(sql: "UPDATE events SET type = 'teleported' WHERE event_id = 'JN-20260302-000001-e2'")
        #expect(throws: StoreError.self) { try city.service.repository.figureTickets(from: march1, to: march31) }
    }
}

/// Stored documents are written by `JSONStreamEncoder` and read by `JSONStreamDecoder`: every field comes back.
struct StoredDocumentTests {
    /// Wire bodies are written by `JSONEncoder` (sorted keys) and read by `JSONStreamDecoder`: the same tickets as
    /// `JSONDecoder` reads from them, and as were sent.
    @Test func assignmentBodiesDecodeToTheTicketsThatWereSent() throws {
        let city = try NodeFixture(id: "c", role: .city)
        for ticket in try FigureColumnsTests().varied(city) {
            let body = Data(try city.service.encode(AssignBody(ticket: ticket, role: "lead")))
            let ours = try JSONStreamDecoder.decode(AssignBody.self, from: [UInt8](body))
            #expect(ours.ticket == ticket && ours.role == "lead")
            #expect(ours.ticket == (try JSONDecoder().decode(AssignBody.self, from: body)).ticket)
            // The node's sorted stream encoder writes exactly JSONEncoder's bytes, for the ticket and each event.
            let sorted = JSONEncoder()
            sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            #expect(body == (try sorted.encode(AssignBody(ticket: ticket, role: "lead"))))
            for event in ticket.events {
                #expect(try JSONStreamEncoder.encode(event, sortedKeys: true) == [UInt8](sorted.encode(event)))
            }
        }
    }

    @Test func ticketsAndEventsComeBackFromStorageFieldForField() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let tickets = try FigureColumnsTests().varied(city)
        var t = try #require(tickets.last)
        // Rarely set fields too, with text that needs escaping.
        t.events[0].note = "引号\" 反斜杠\\ 换行\n"
        t.events[0].period = .workingDays(3)
        t.events[0].extensionNumber = 2
        t.events[0].pauses = .material
        t.events[0].supervisionLevel = .county
        t.events[0].granted = false
        t.events[0].assisting = ["s1", "d1"]
        try city.context.db.transaction { try city.service.repository.replace(t) }
        for expected in tickets.dropLast() + [t] {
            #expect(try city.service.repository.load(expected.id) == expected)
        }
    }
}
