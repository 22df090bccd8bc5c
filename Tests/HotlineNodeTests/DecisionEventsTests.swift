import Foundation
import Testing
import HotlineCore
import HotlineStore
import HotlineWire
@testable import HotlineNode

/// `ticket.events`: a decision of the centre that makes several events reaches each node as one message
/// (protocols/README.md §8), so a node holds all of them or none.
@Suite struct DecisionEventsTests {
    let links = RecoverTests()

    /// The centre, county station k and its units s1 and d1, each as a fixture and as the service the tests drive.
    struct Nodes {
        let city: NodeFixture, county: NodeFixture, s1: NodeFixture, d1: NodeFixture
        var c: NodeContextAndService { NodeContextAndService(city) }
        var k: NodeContextAndService { NodeContextAndService(county) }
        var s: NodeContextAndService { NodeContextAndService(s1) }
        var d: NodeContextAndService { NodeContextAndService(d1) }

        init() throws {
            city = try NodeFixture(id: "c", role: .city)
            county = try NodeFixture(id: "k", role: .county)
            s1 = try NodeFixture(id: "s1", role: .unit)
            d1 = try NodeFixture(id: "d1", role: .unit)
        }
    }

    /// s1 signs for the ticket and answers the caller; both steps reach the centre through k.
    func answer(_ n: Nodes, _ ticket: String, _ result: String) throws {
        try links.perform(n.s, .sign, on: ticket)
        try links.perform(n.s, .reply(result: result, callerContacted: true), on: ticket)
        try links.pump(n.s, link: "k", to: n.k, peer: "s1")
        try links.pump(n.k, link: "c", to: n.c, peer: "k")
    }

    /// A ticket of s1 (under county station k) answered by s1 and passed in review by the centre; every message
    /// delivered.
    func reviewed() throws -> (c: NodeFixture, k: NodeFixture, s1: NodeFixture, ticket: String) {
        let n = try Nodes()
        let ticket = try n.city.intake().id
        try links.perform(n.c, .dispatch(lead: "s1", assisting: [], tier: nil), on: ticket)
        try links.pump(n.c, link: "k", to: n.k, peer: "c")
        try links.pump(n.k, link: "s1", to: n.s, peer: "k")
        try answer(n, ticket, "已协调施工方停止夜间作业")
        try links.perform(n.c, .passReview, on: ticket)
        #expect(try links.pump(n.c, link: "k", to: n.k, peer: "c") == ["ticket.event"], "one decision, one event")
        try links.pump(n.k, link: "s1", to: n.s, peer: "k")
        return (n.city, n.county, n.s1, ticket)
    }

    func message(_ kind: AppMessageKind, _ body: some Encodable, origin: String, dest: String) throws -> DataMessage {
        DataMessage(id: RandomID.uuid(), seq: 1, origin: origin, dest: dest, kind: kind.rawValue,
                    body: try TicketService.encode(body), at: nil)
    }

    func handle(_ node: NodeFixture, _ m: DataMessage, from peer: String) throws -> String? {
        try node.context.db.transaction { try node.service.handleIncoming(m, from: peer, now: node.now) }
    }

    @Test func aSatisfiedCallbackTravelsWithTheClosureItBringsAsOneMessage() throws {
        let (city, county, unit, ticket) = try reviewed()
        try links.perform(NodeContextAndService(city), .recordCallback(CallbackResult(level: .satisfied, resolved: true)), on: ticket)
        let record = try city.ticket(ticket)
        #expect(Array(record.events.suffix(2).map(\.type)) == [.callback, .closed])

        #expect(try links.pump(NodeContextAndService(city), link: "k", to: NodeContextAndService(county), peer: "c") == ["ticket.events"])
        #expect(try county.ticket(ticket).status == .closed, "the relaying station observes both events")
        #expect(try links.pump(NodeContextAndService(county), link: "s1", to: NodeContextAndService(unit), peer: "k") == ["ticket.events"])
        let copy = try unit.ticket(ticket)
        #expect(copy.status == .closed)
        #expect(copy.events.map(\.id) == record.events.map(\.id))
    }

    @Test func anAssistingUnitGetsTheCentresRecordWithEachDecisionAndRefusesNothing() throws {
        let n = try Nodes()
        let (city, lead, assist) = (n.city, n.s1, n.d1)
        let (c, k, s, d) = (n.c, n.k, n.s, n.d)
        let ticket = try city.intake().id
        try links.perform(c, .dispatch(lead: "s1", assisting: ["d1"], tier: nil), on: ticket)
        try links.pump(c, link: "k", to: k, peer: "c")
        try links.pump(k, link: "s1", to: s, peer: "k")
        try links.pump(k, link: "d1", to: d, peer: "k")
        // The assisting unit reports to the lead (through the centre), and the lead answers the caller.
        try links.perform(d, .reportAssist(note: "已核查管网，配合抢修"), on: ticket)
        try links.pump(d, link: "k", to: k, peer: "d1")
        try links.pump(k, link: "c", to: c, peer: "k")
        try links.pump(c, link: "k", to: k, peer: "c")
        try links.pump(k, link: "s1", to: s, peer: "k")
        try answer(n, ticket, "已恢复供水并告知来电人")

        // The review: the lead gets the event; the assisting unit, whose copy never saw the lead's sign-for and reply,
        // gets the record (before, the event was refused there, and a request for the record healed it).
        try links.perform(c, .passReview, on: ticket)
        #expect(try links.pump(c, link: "k", to: k, peer: "c").sorted() == ["ticket.event", "ticket.sync"])
        try links.pump(k, link: "s1", to: s, peer: "k")
        try links.pump(k, link: "d1", to: d, peer: "k")
        #expect(try assist.ticket(ticket).status == .reviewed)
        #expect(try assist.context.links.pending(link: "k", after: 0, limit: 100).isEmpty, "no request for the record")
        // The callback and its closure: one record, however many events.
        try links.perform(c, .recordCallback(CallbackResult(level: .satisfied, resolved: true)), on: ticket)
        #expect(try links.pump(c, link: "k", to: k, peer: "c").sorted() == ["ticket.events", "ticket.sync"])
        try links.pump(k, link: "s1", to: s, peer: "k")
        try links.pump(k, link: "d1", to: d, peer: "k")
        let record = try city.ticket(ticket)
        #expect(try assist.ticket(ticket).status == .closed)
        #expect(try assist.ticket(ticket).events.map(\.id) == record.events.map(\.id))
        let leadCopy = try lead.ticket(ticket)
        #expect(leadCopy.events.map(\.id) == record.events.map(\.id))
        #expect(!assist.log.contains { $0.contains("event-refused") || $0.contains("level=warn") }, "\(assist.log)")
        #expect(!city.log.contains { $0.contains("event=notice") })
    }

    @Test func aStationRelayingToTheUnitComplainedAboutKeepsItsOwnView() throws {
        let n = try Nodes()
        let (city, county, subject) = (n.city, n.county, n.d1)
        let (c, k, s, d) = (n.c, n.k, n.s, n.d)
        // The station leads; the unit complained about assists and sees neither the text nor the caller (§8.2).
        let ticket = try city.intake(subject: "d1").id
        try links.perform(c, .dispatch(lead: "k", assisting: ["d1"], tier: nil), on: ticket)
        try links.pump(c, link: "k", to: k, peer: "c")
        try links.pump(k, link: "d1", to: d, peer: "k")
        #expect(try subject.ticket(ticket).text != "夜间施工噪音", "the view of the unit complained about")
        #expect(try county.ticket(ticket).text == "夜间施工噪音", "the station keeps its own view")
        try links.perform(k, .forward(to: "s1"), on: ticket)
        try links.pump(k, link: "s1", to: s, peer: "k")
        try answer(n, ticket, "已责令停止夜间施工")
        // The review reaches d1 as the record, through the station.
        try links.perform(c, .passReview, on: ticket)
        #expect(try links.pump(c, link: "k", to: k, peer: "c").contains("ticket.sync"))
        let copy = try county.ticket(ticket)
        #expect(copy.status == .reviewed)
        #expect(copy.text == "夜间施工噪音" && copy.caller.name == "张三")
        #expect(Set(copy.events.map(\.id)) == Set(try city.ticket(ticket).events.map(\.id)))
    }

    @Test func aStationRelayingATicketItHasNoPartInToTheUnitComplainedAboutGetsItsOwnView() throws {
        let n = try Nodes()
        // The centre dispatches straight to d1, the unit complained about: the station only relays it.
        let ticket = try n.city.intake(subject: "d1").id
        try links.perform(n.c, .dispatch(lead: "d1", assisting: [], tier: nil), on: ticket)
        #expect(try links.pump(n.c, link: "k", to: n.k, peer: "c") == ["ticket.assign", "ticket.sync"])
        try links.pump(n.k, link: "d1", to: n.d, peer: "k")
        #expect(try n.d1.ticket(ticket).text != "夜间施工噪音" && n.d1.ticket(ticket).caller.name == nil, "the view of the unit complained about")
        let copy = try n.county.ticket(ticket)
        #expect(copy.text == "夜间施工噪音" && copy.caller.name == "张三", "the station's own view")
        #expect(copy.status == .dispatched && copy.holder == "d1")
        #expect(n.county.log.contains { $0.contains("level=info") && $0.contains("event=ticket-synced") })
        #expect(!n.county.log.contains { $0.contains("level=warn") })
        // The unit's steps go on as before; the station's copy follows them.
        try links.perform(n.d, .sign, on: ticket)
        try links.pump(n.d, link: "k", to: n.k, peer: "d1")
        #expect(try n.county.ticket(ticket).status == .signed && n.county.ticket(ticket).text == "夜间施工噪音")
        // A ticket of d1 that is not about d1 sends the station nothing more than the relayed assignment.
        let other = try n.city.intake("JN-20260302-000002").id
        try links.perform(n.c, .dispatch(lead: "d1", assisting: [], tier: nil), on: other)
        #expect(try links.pump(n.c, link: "k", to: n.k, peer: "c") == ["ticket.assign"])
    }

    @Test func anEventThatDoesNotFitStopsTheRestAndAsksForTheCentresCopy() throws {
        let (city, _, unit, ticket) = try reviewed()
        // The centre's callback and closure, as they would reach a unit whose copy lost the review.
        var callback = unit.event(.callback, ticket: ticket, node: "c", role: .city)
        callback.level = .satisfied
        let closed = unit.event(.closed, ticket: ticket, node: "c", role: .city)
        let fresh = try NodeFixture(id: "s1", role: .unit)
        let behind = try city.ticket(ticket)
        var dispatched = behind
        dispatched.events = Array(behind.events.prefix { $0.type != .signed })
        dispatched.status = .dispatched
        try fresh.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: dispatched, for: "s1"), role: "lead"), origin: "c", from: "k")
        let before = try fresh.ticket(ticket).events.count

        let refusal = try handle(fresh, try message(.ticketEvents, EventsBody(events: [callback, closed]), origin: "c", dest: "s1"), from: "k")
        #expect(refusal != nil, "told on the link at once, as for one event")
        #expect(try fresh.ticket(ticket).events.count == before, "neither the callback nor the closure after it")
        let asked = try fresh.context.links.pending(link: "k", after: 0, limit: 100).filter { $0.message.kind == "notice" }
        #expect(asked.count == 1, "one request for the centre's copy, not one per event")
        #expect(String(decoding: try #require(asked.first).message.body, as: UTF8.self).contains("\"wantsSync\":true"))
    }

    @Test func onlyTheCentreSendsADecisionsEventsAndOnlyOfOneTicketEachOnce() throws {
        let (city, _, unit, ticket) = try reviewed()
        let before = try unit.ticket(ticket).events.count
        var callback = unit.event(.callback, ticket: ticket, node: "c", role: .city)
        callback.level = .satisfied
        let closed = unit.event(.closed, ticket: ticket, node: "c", role: .city)
        let other = unit.event(.closed, ticket: "JN-20260302-000099", node: "c", role: .city)

        let cases: [(DataMessage, String)] = [
            (try message(.ticketEvents, EventsBody(events: [callback, closed]), origin: "k", dest: "s1"), "only the centre"),
            (try message(.ticketEvents, EventsBody(events: [callback, other]), origin: "c", dest: "s1"), "events of tickets"),
            (try message(.ticketEvents, EventsBody(events: [callback, callback]), origin: "c", dest: "s1"), "twice"),
            (try message(.ticketEvents, EventsBody(events: []), origin: "c", dest: "s1"), "without an event"),
            (try message(.ticketEvents, EventsBody(events: Array(repeating: closed, count: EventsBody.maxEvents + 1)), origin: "c", dest: "s1"),
             "at most"),
        ]
        for (m, rule) in cases {
            let refusal = try handle(unit, m, from: "k")
            #expect(refusal?.contains(rule) == true, "\(refusal ?? "applied")")
            #expect(try unit.ticket(ticket).events.count == before)
        }
        // A unit's own events go up one by one; the centre refuses them sent together.
        let up = try message(.ticketEvents, EventsBody(events: [unit.event(.progress, ticket: ticket, node: "s1", role: .unit)]),
                             origin: "s1", dest: "c")
        #expect(try handle(city, up, from: "k")?.contains("only the centre") == true)
    }
}
