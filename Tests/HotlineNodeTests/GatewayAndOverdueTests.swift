import Foundation
import Testing
import HotlineCore
import HotlineStore
import HotlineWire
@testable import HotlineNode

/// `init --auto-sign`: a unit whose own system takes tickets in signs for each ticket it leads as it stores it.
struct AutoSignTests {
    /// The city's assignment of a new ticket to the water company (w), as it sits in the city's outbox.
    func assignment() throws -> (NodeFixture, DataMessage) {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.perform(.receive(TicketIntake(id: "JN-20260302-000001", channel: "phone", kind: "complain", topic: "供水",
                                                       area: Area(district: "历下区", street: "解放路街道"), text: "停水三天",
                                                       caller: CallerInfo(name: "张三", phone: "13812345678"))), on: nil)
        try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: t.id)
        let row = try #require(try city.context.links.pending(link: "w", after: 0, limit: 10).first)
        return (city, DataMessage(id: row.message.id, seq: 1, origin: row.message.origin, dest: row.message.dest,
                                  kind: row.message.kind, body: row.message.body, at: row.message.at))
    }

    @Test func unitWithAutoSignSignsForAnAssignedTicketInTheSameTransactionAndTellsTheCentre() throws {
        let (_, message) = try assignment()
        let unit = try NodeFixture(id: "w", role: .unit, extra: ["--auto-sign"])
        _ = try unit.context.db.transaction { try unit.service.handleIncoming(message, from: "c", now: unit.now) }
        let ticket = try unit.ticket("JN-20260302-000001")
        #expect(ticket.status == .signed)
        #expect(ticket.events.last?.type == .signed && ticket.events.last?.node == "w")
        let up = try unit.context.links.pending(link: "c", after: 0, limit: 10)
        #expect(up.count == 1 && up[0].message.kind == "ticket.event")
        #expect(String(decoding: up[0].message.body, as: UTF8.self).contains("\"type\":\"signed\""))
    }

    @Test func unitWithoutAutoSignLeavesTheTicketForItsOperator() throws {
        let (_, message) = try assignment()
        let unit = try NodeFixture(id: "w", role: .unit)
        _ = try unit.context.db.transaction { try unit.service.handleIncoming(message, from: "c", now: unit.now) }
        #expect(try unit.ticket("JN-20260302-000001").status == .dispatched)
        #expect(try unit.context.links.pending(link: "c", after: 0, limit: 10).isEmpty)
    }

    @Test func autoSignIsRefusedForACountyStation() throws {
        #expect(throws: (any Error).self) { try NodeFixture(id: "k", role: .county, extra: ["--auto-sign"]) }
    }
}

/// `list --overdue` selects its candidates in SQL (open past the deadline, or a stored late verdict) instead of
/// decoding every ticket; rows stored before the `overdue` column existed are filled once at start.
struct OverdueListTests {
    @Test func overdueListFindsOpenTicketsPastTheDeadlineAndClosedTicketsWithALateVerdict() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let open = try city.intake("JN-20260302-000001")
        try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: open.id)
        var late = try city.intake("JN-20260302-000002")
        late.status = .closed
        late.verdicts.overdue = true
        try city.context.db.transaction { try city.service.repository.save(late, newEvents: []) }
        _ = try city.intake("JN-20260302-000003")
        let repository = city.service.repository
        #expect(try repository.list(status: nil, holder: nil, overdueAt: city.now, limit: 0).map(\.id) == [late.id])
        let later = Timestamp(millis: city.now.millis + 90 * 86_400_000)
        #expect(Set(try repository.list(status: nil, holder: nil, overdueAt: later, limit: 0).map(\.id)) == [open.id, late.id])
    }

    @Test func lateVerdictsStoredBeforeTheOverdueColumnAreFoundAfterTheOneTimeFill() throws {
        let city = try NodeFixture(id: "c", role: .city)
        var late = try city.intake("JN-20260302-000001")
        late.status = .closed
        late.verdicts.overdue = true
        let db = city.context.db
        try db.transaction { try city.service.repository.save(late, newEvents: []) }
        // As an upgraded node's database looks: the column at its default, the fill not yet done.
        try db.execute(sql: "UPDATE tickets SET overdue = 0; DELETE FROM meta WHERE key = 'tickets.overdue-filled'")
        #expect(try city.service.repository.list(status: nil, holder: nil, overdueAt: city.now, limit: 0).isEmpty)
        try city.service.repository.fillOverdueColumn()
        #expect(try city.service.repository.list(status: nil, holder: nil, overdueAt: city.now, limit: 0).map(\.id) == [late.id])
        #expect(try db.meta("tickets.overdue-filled") == "1")
    }
}
