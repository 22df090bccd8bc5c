import Foundation
import Testing
import HotlineCore
import HotlineStore
@testable import HotlineNode

/// The repository keeps the tickets it stored in memory; what a rollback undid must never be read back from there.
struct TicketCacheTests {
    struct Refused: Error {}

    func fresh(_ node: NodeFixture, _ id: String) throws -> Ticket? {
        try TicketRepository(db: node.context.db, sealer: node.context.keyring, callerTagger: node.context.keyring.callerTagger).load(id)
    }

    @Test func aStepUndoneByItsSavepointIsNotReadBackFromMemory() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        try city.context.db.transaction { () throws -> Void in
            #expect(throws: Refused.self) {
                try city.service.savepoint("step") {
                    try city.service.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: t, now: city.now)
                    #expect(try city.ticket(t.id).status == .dispatched, "read back from memory inside the step")
                    throw Refused()
                }
            }
            let after = try city.ticket(t.id).status
            #expect(after == .received)
        }
        let stored = try fresh(city, t.id)
        #expect(try city.ticket(t.id) == stored)
    }

    @Test func aRoundThatDoesNotCommitIsNotReadBackFromMemory() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        #expect(throws: Refused.self) {
            try city.context.db.transaction {
                try city.service.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: t, now: city.now)
                throw Refused()
            }
        }
        #expect(try city.ticket(t.id).status == .received && city.ticket(t.id).events.count == t.events.count)
    }

    @Test func whatIsReadFromMemoryIsWhatTheDatabaseHolds() throws {
        let (city, t) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: t, for: "s1"), role: "lead"), origin: "c", from: "k")
        try unit.perform(.sign, on: t.id)
        for (node, id) in [(city, t.id), (unit, t.id)] {
            let known = try node.ticket(id)
            let stored = try fresh(node, id)
            #expect(known == stored)
            #expect(!known.events.isEmpty)
        }
        #expect(try unit.ticket(t.id).status == .signed)
    }

    /// Every column of the row but the (sealed, so never equal) document.
    func row(_ node: NodeFixture, _ id: String) throws -> [SQLValue] {
        try #require(try node.context.db.query("""
            SELECT status, holder, topic, area, received, deadline, updated, overdue, centre, channel, district, street,
                   caller_key, dispatched_at, sign_by, paused, erased FROM tickets WHERE id = ?
            """, [.text(id)]).first).values
    }

    /// A step after one this repository wrote names only the columns that change; the row must be exactly what
    /// writing every column gives (another repository, with nothing in memory, writes the same ticket whole).
    @Test func aStepWritingOnlyTheChangedColumnsLeavesTheRowAWholeWriteLeaves() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        let steps: [Command] = [.requestMaterial(note: "请补充施工地点门牌号"),
                                .supplyMaterial(note: "来电人补充：解放路 12 号"),
                                .dispatch(lead: "s1", assisting: [], tier: nil),
                                .supervise(form: "催办", reason: "临近办理时限")]
        var changing = 0
        for step in steps {
            #expect(city.service.repository.cache.written(t.id) != nil, "the last write is remembered: \(step)")
            let before = try row(city, t.id)
            try city.perform(step, on: t.id)
            let changedOnly = try row(city, t.id)
            if changedOnly != before { changing += 1 }
            let whole = try city.context.db.transaction { () throws -> [SQLValue] in
                let other = TicketRepository(db: city.context.db, sealer: city.context.keyring,
                                             callerTagger: city.context.keyring.callerTagger)
                try other.save(try city.ticket(t.id), newEvents: [])
                return try row(city, t.id)
            }
            #expect(changedOnly == whole, "after \(step)")
        }
        #expect(changing >= 3, "the steps changed columns (status, holder, clocks)")
        #expect(try city.ticket(t.id).status == .dispatched)
    }

    /// `replace` deletes a ticket's stored events before writing its new ones only when the row was already there:
    /// a row just added has none. A repository with nothing in memory (a restarted node) replacing a stored ticket
    /// with fewer events goes through the upsert's update, and must leave exactly the new events; a new ticket whose row
    /// gets the rowid an insert into another table last gave (taken for an update) keeps all of its own.
    @Test func replacingAStoredTicketLeavesOnlyItsNewEventsAndANewOneKeepsAllOfItsOwn() throws {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        let view = Privacy.view(of: ticket, for: "s1")
        #expect(view.events.count >= 2)
        func storedEvents(_ id: String) throws -> Int64 {
            try #require(try unit.context.db.query("SELECT count(*) FROM events WHERE ticket = ?", [.text(id)]).first?.int(0))
        }
        _ = try unit.context.db.transaction { try unit.service.repository.replace(view) }
        #expect(try storedEvents(view.id) == Int64(view.events.count))
        var fewer = view
        fewer.events.removeLast()
        _ = try unit.context.db.transaction { () throws -> Void in
            let restarted = TicketRepository(db: unit.context.db, sealer: unit.context.keyring,
                                             callerTagger: unit.context.keyring.callerTagger)
            try restarted.replace(fewer)
        }
        #expect(try storedEvents(view.id) == Int64(fewer.events.count))
        #expect(try fresh(unit, view.id)?.events == fewer.events)
        var other = view
        other.id = "JN-20260302-900001"
        other.events = other.events.map { var e = $0; e.ticket = other.id; e.id = RandomID.uuid(); return e }
        _ = try unit.context.db.transaction { () throws -> Void in
            // Two notices: the last rowid given is now 2, the one the new ticket's row gets (the unit holds one).
            for text in ["甲", "乙"] { try unit.service.repository.addNotice(at: unit.now, from: "c", ticket: nil, text: text) }
            #expect(unit.context.db.lastInsertRowID == 2)
            try unit.service.repository.replace(other)
        }
        #expect(try storedEvents(other.id) == Int64(other.events.count))
        #expect(try fresh(unit, other.id)?.events == other.events)
    }

    /// `save` numbers a step's new events after the stored ones: from the count of the copy it last wrote when it has
    /// one in memory, from the table otherwise (a restarted node). Either way the events read back are the ticket's,
    /// numbered 1… without a gap; a wrong start collides with a stored event's key, or leaves a gap.
    @Test func aSavedStepsEventsFollowTheStoredOnesFromMemoryOrFromTheTable() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        func numbers() throws -> [Int64] {
            try city.context.db.query("SELECT n FROM events WHERE ticket = ? ORDER BY n", [.text(t.id)]).compactMap { $0.int(0) }
        }
        let before = try numbers().count
        #expect(before >= 1)
        // In memory: the repository wrote the ticket at intake.
        try city.context.db.transaction {
            try city.service.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: t, now: city.now)
        }
        let dispatched = try city.ticket(t.id)
        #expect(try numbers() == (1...Int64(dispatched.events.count)).map { $0 })
        #expect(dispatched.events.count > before)
        // A restarted repository, nothing in memory: the count comes from the table.
        let restarted = TicketRepository(db: city.context.db, sealer: city.context.keyring, callerTagger: city.context.keyring.callerTagger)
        #expect(try restarted.storedEventCount(t.id) == Int64(dispatched.events.count))
        var next = dispatched
        var e = dispatched.events.last!
        e.id = RandomID.uuid()
        e.at = Timestamp(millis: e.at.millis + 1000)
        next.events.append(e)
        try city.context.db.transaction { try restarted.save(next, newEvents: [e]) }
        #expect(try numbers() == (1...Int64(next.events.count)).map { $0 })
        #expect(try fresh(city, t.id)?.events == next.events)
        #expect(try restarted.storedEventCount("JN-NONE") == 0)
    }

    /// What the repository takes out before writing a ticket again is the ticket as it last wrote it, from either
    /// generation, and it is gone from both until put again; a ticket only read is taken out too, as not written.
    @Test func aTicketTakenToBeWrittenAgainComesFromEitherGenerationAndIsGoneUntilPutAgain() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let cache = TicketCache(generation: 3)
        var tickets: [Ticket] = []
        for i in 1...5 { tickets.append(try city.intake(String(format: "JN-20260302-%06d", i))) }
        cache.put(tickets[0], written: true)
        cache.put(tickets[1])
        cache.put(tickets[2], written: true)   // the young generation is full: 0-2 are now the old one
        cache.put(tickets[3], written: true)
        #expect(cache.takeWritten(tickets[0].id) == tickets[0], "from the old generation")
        #expect(cache.takeWritten(tickets[3].id) == tickets[3], "from the young generation")
        #expect(cache.takeWritten(tickets[1].id) == nil, "only read")
        #expect(cache.get(tickets[1].id) == nil, "taken out all the same")
        #expect(cache.takeWritten(tickets[4].id) == nil, "never here")
        for t in [tickets[0], tickets[3]] {
            #expect(cache.get(t.id) == nil && cache.written(t.id) == nil)
            #expect(cache.takeWritten(t.id) == nil, "taken once")
        }
        cache.putAgain(tickets[0], written: true)
        #expect(cache.written(tickets[0].id) == tickets[0])
        #expect(cache.count == 2)
    }

    @Test func theCacheHoldsAtMostTwoGenerations() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let cache = TicketCache(generation: 2)
        var tickets: [Ticket] = []
        for i in 1...6 { tickets.append(try city.intake(String(format: "JN-20260302-%06d", i))) }
        for t in tickets { cache.put(t) }
        #expect(cache.count <= 4)
        #expect(cache.get(tickets[5].id) == tickets[5], "the newest is kept")
        #expect(cache.get(tickets[0].id) == nil, "the oldest is gone")
        cache.remove(tickets[5].id)
        #expect(cache.get(tickets[5].id) == nil)
        cache.put(tickets[1])
        cache.clear()
        #expect(cache.count == 0)
    }

    /// A unit's cache hands each generation it drops to its connections' threads to free (`PredecodedBodies`):
    /// every ticket it drops goes there once, and none it still holds.
    @Test func aDroppedGenerationGoesToTheRetireHookWhole() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let cache = TicketCache(generation: 2)
        var dropped: [String] = []
        cache.retire = { generation, count in
            let ids = ((generation as? [String: Any])?.keys).map(Array.init) ?? ["not a generation: \(type(of: generation))"]
            #expect(ids.count == count)
            dropped += ids
        }
        var tickets: [Ticket] = []
        for i in 1...7 { tickets.append(try city.intake(String(format: "JN-20260302-%06d", i))) }
        for t in tickets { cache.put(t) }
        // Generations: [1 2] [3 4] [5 6] [7…]: the first two were dropped when the third and fourth began.
        #expect(dropped.sorted() == tickets[0..<4].map(\.id).sorted())
        #expect(cache.count == 3, "5, 6 and 7 still held")
        for t in tickets[..<4] { #expect(cache.get(t.id) == nil) }
        #expect(cache.get(tickets[6].id) == tickets[6])
    }
}
