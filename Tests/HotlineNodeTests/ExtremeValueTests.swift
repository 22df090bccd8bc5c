import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// A neighbour's body with one number or one time pushed to an extreme, then every command that computes from
/// it: the node refuses the body or stores it, and then either acts or refuses the command, but never stops (an
/// arithmetic overflow traps) and never stores a ticket it cannot read back. Found by this very walk: a unit's
/// extension of `Int.max` days stopped the city when approved; `ticket.extensions` of `Int.max` stopped the unit
/// at its next extension; a time of 0000-01-01T00:00:00+14:00, or 9999-12-31 plus an extension, was stored as
/// text the reader refused, and the ticket could not be loaded again.
struct ExtremeValueTests {
    /// Copies of `value`, each with one leaf (a number, or a string that reads as a time) replaced; with the path.
    static func variants(_ value: Any) -> [(String, Any)] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { key in
                variants(object[key]!).map { (p, v) -> (String, Any) in var c = object; c[key] = v; return ("\(key)\(p)", c) }
            }
        case let array as [Any]:
            return array.indices.flatMap { i in
                variants(array[i]).map { (p, v) -> (String, Any) in var c = array; c[i] = v; return ("[\(i)]\(p)", c) }
            }
        case let text as String where Timestamp(iso8601: text) != nil:
            return ["9999-12-31T23:59:59+08:00", "0000-01-01T00:00:00+14:00"].map { (" = \($0)", $0) }
        case let text as String where LocalDate(iso: text) != nil:
            return ["9999-12-31", "0000-01-01"].map { (" = \($0)", $0) }
        case is NSNumber:
            return [Int64.max, Int64.min, -1].map { (" = \($0)", NSNumber(value: $0)) }
        default:
            return []
        }
    }

    /// Each command in its own transaction, as an operator's would be; a refusal is fine, the ticket must still load.
    static func perform(_ commands: [Command], at node: NodeFixture, on id: String, _ what: String) {
        for c in commands {
            _ = try? node.context.db.transaction { try node.service.perform(c, on: try node.service.repository.load(id), now: node.now) }
            do { _ = try node.service.repository.load(id) } catch { Issue.record("\(what), then \(c): the ticket no longer loads: \(error)") }
        }
        do { try node.context.db.transaction { try node.service.runTimers(now: node.now) } } catch {
            Issue.record("\(what): the timers failed: \(error)")
        }
    }

    @Test func extremeValuesInAnAssignmentNeverStopTheUnitOrSpoilItsCopy() throws {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let assign = try TicketService.encode(AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"))
        let found = Self.variants(try JSONSerialization.jsonObject(with: Data(assign)))
        #expect(found.count > 40, "an assignment carries many numbers and times")
        for (path, variant) in found {
            let unit = try NodeFixture(id: "s1", role: .unit)
            try MangledBodyTests().deliver(unit, .ticketAssign, [UInt8](try JSONSerialization.data(withJSONObject: variant)),
                                           origin: "c", from: "k", n: 1)
            Self.perform([.sign, .requestExtension(period: .workingDays(5), reason: "x", leaderSignOff: true),
                          .requestExtension(period: nil, reason: "x", leaderSignOff: true), .reportProgress(note: "p"),
                          .requestReturn(reason: "r", basis: nil), .suspend(reason: "s"), .resume,
                          .reply(result: "done", callerContacted: true)], at: unit, on: ticket.id, "assign with \(path)")
        }
    }

    /// The same walk at a county station, which forwards what it is assigned.
    @Test func extremeValuesInAnAssignmentNeverStopTheCountyStation() throws {
        let (city, _) = try DataAtRestTests().assigned(to: "k")
        let ticket = try city.ticket("JN-20260302-000001")
        let assign = try TicketService.encode(AssignBody(ticket: Privacy.view(of: ticket, for: "k"), role: "lead"))
        for (path, variant) in Self.variants(try JSONSerialization.jsonObject(with: Data(assign))) {
            let county = try NodeFixture(id: "k", role: .county)
            try MangledBodyTests().deliver(county, .ticketAssign, [UInt8](try JSONSerialization.data(withJSONObject: variant)),
                                           origin: "c", from: "c", n: 1)
            Self.perform([.forward(to: "s1"), .sign, .requestExtension(period: .workingDays(5), reason: "x", leaderSignOff: true),
                          .requestReturn(reason: "r", basis: nil), .reply(result: "done", callerContacted: true)],
                         at: county, on: ticket.id, "assign at the county with \(path)")
        }
    }

    @Test func extremeValuesInAUnitsEventsNeverStopTheCityOrSpoilItsTicket() throws {
        let (template, ticket) = try DataAtRestTests().assigned(to: "s1")
        let signed = template.event(.signed, ticket: ticket.id, node: "s1", role: .unit)
        var events = [signed]
        for type in [EventType.extensionRequested, .returnRequested, .progress, .replied, .suspended] {
            var e = template.event(type, ticket: ticket.id, node: "s1", role: .unit)
            e.period = type == .extensionRequested ? .workingDays(5) : nil
            e.extensionNumber = type == .extensionRequested ? 1 : nil
            e.handleBy = type == .extensionRequested ? template.now.adding(hours: 400) : nil
            e.reason = "r"
            e.callerContacted = type == .replied ? true : nil
            e.onTime = type == .replied || type == .returnRequested ? true : nil
            events.append(e)
        }
        var tried = 0
        for e in events {
            for (path, variant) in Self.variants(try JSONSerialization.jsonObject(with: Data(try TicketService.encode(EventBody(event: e))))) {
                let (city, _) = try DataAtRestTests().assigned(to: "s1")
                if e.type != .signed {
                    try MangledBodyTests().deliver(city, .ticketEvent, try TicketService.encode(EventBody(event: signed)), origin: "s1", from: "k", n: 1)
                }
                try MangledBodyTests().deliver(city, .ticketEvent, [UInt8](try JSONSerialization.data(withJSONObject: variant)),
                                               origin: "s1", from: "k", n: 2)
                Self.perform([.approveExtension, .refuseExtension(reason: "n"), .approveReturn(note: "a"), .refuseReturn(reason: "n"),
                              .passReview, .sendBack(reason: "b"), .recordCallback(CallbackResult(level: .satisfied, resolved: true)),
                              .supervise(form: "phone", reason: "s"), .close(note: "c"), .reopen(reason: "r")],
                             at: city, on: ticket.id, "\(e.type.rawValue) with \(path)")
                tried += 1
            }
        }
        #expect(tried > 20)
    }

    /// The same events passing through the county station on their way up (it keeps a copy of every ticket of its
    /// county and relays), then what a county operator may do with the ticket.
    @Test func extremeValuesInAUnitsEventsNeverStopTheCountyStationTheyPassThrough() throws {
        let (template, ticket) = try DataAtRestTests().assigned(to: "s1")
        let assign = try TicketService.encode(AssignBody(ticket: Privacy.view(of: ticket, for: "k"), role: "lead"))
        var extend = template.event(.extensionRequested, ticket: ticket.id, node: "s1", role: .unit)
        extend.period = .workingDays(5)
        extend.extensionNumber = 1
        extend.handleBy = template.now.adding(hours: 400)
        extend.reason = "r"
        var tried = 0, applied = 0
        for e in [template.event(.signed, ticket: ticket.id, node: "s1", role: .unit), extend] {
            for (path, variant) in Self.variants(try JSONSerialization.jsonObject(with: Data(try TicketService.encode(EventBody(event: e))))) {
                let county = try NodeFixture(id: "k", role: .county)
                for (n, (body, origin, dest, peer)) in [(assign, "c", "s1", "c"),
                                                        ([UInt8](try JSONSerialization.data(withJSONObject: variant)), "s1", "c", "s1")].enumerated() {
                    let m = DataMessage(id: "through-k-\(tried)-\(n)", seq: UInt64(n + 1), origin: origin, dest: dest,
                                        kind: n == 0 ? AppMessageKind.ticketAssign.rawValue : AppMessageKind.ticketEvent.rawValue,
                                        body: body, at: county.now.millis)
                    do { _ = try county.context.db.transaction { try county.service.handleIncoming(m, from: peer, now: county.now) } } catch {
                        Issue.record("\(e.type.rawValue) with \(path) through the county failed the round: \(error)")
                    }
                }
                let copy = try #require(try county.service.repository.load(ticket.id), "the county keeps its copy")
                if copy.events.count > ticket.events.count { applied += 1 }
                Self.perform([.supervise(form: "phone", reason: "s"), .approveExtension, .forward(to: "s1")],
                             at: county, on: ticket.id, "\(e.type.rawValue) with \(path) through the county")
                tried += 1
            }
        }
        #expect(tried > 10)
        #expect(applied > 0, "some of the variants are events the county takes into its copy")
    }

    @Test func anExtensionOfTenYearsOrMoreIsRefusedWhereItIsRead() throws {
        let (city, ticket) = try DataAtRestTests().assigned(to: "s1")
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.signed, ticket: ticket.id, node: "s1", role: .unit)),
                         origin: "s1", from: "k")
        var e = city.event(.extensionRequested, ticket: ticket.id, node: "s1", role: .unit)
        e.period = .days(Int.max)
        e.reason = "x"
        e.extensionNumber = 1
        try city.deliver(.ticketEvent, body: EventBody(event: e), origin: "s1", from: "k")
        #expect(try city.ticket(ticket.id).pending == nil, "the request was not recorded")
        #expect(try city.notices(on: "k").contains { $0.contains("outside 0 to 3660 days") }, "the unit is told why")
        for p in [Period.hours(87_601), .days(3_661), .workingDays(2_501), .months(121), .days(-1)] {
            #expect(throws: DecodingError.self, "\(p)") { try JSONDecoder().decode(Period.self, from: try JSONEncoder().encode(p)) }
        }
        for p in [Period.hours(87_600), .days(0), .workingDays(2_500), .months(120)] {
            #expect(try JSONDecoder().decode(Period.self, from: try JSONEncoder().encode(p)) == p)
        }
    }

    /// `extend --days` walked the calendar one working day at a time up to the number given: 9223372036854775807
    /// held the unit's work loop for ever.
    @Test func anOperatorsExtensionBeyondTenYearsIsAUsageError() throws {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"), origin: "c", from: "k")
        try unit.perform(.sign, on: ticket.id)
        for days in ["9223372036854775807", "2501", "0", "-3"] {
            let response = try unit.context.db.transaction {
                try unit.service.execute(AdminRequest(argv: ["extend", ticket.id, "--days", days, "--reason", "x"], user: "op", uid: 1000),
                                     now: unit.now, links: { [] })
            }
            #expect(response.exitCode != 0 && response.text.contains("from 1 to 2500"), "\(days): \(response.text)")
        }
        #expect(try unit.ticket(ticket.id).pending == nil)
    }

    /// Each knowledge-base message with one number, time or date pushed to an extreme (and the envelope's own time
    /// at both ends), then what the receiving node does with entries: list, show, approve, export, the checks its
    /// timers run. Nothing may fail the round or stop the node.
    @Test func extremeValuesInKnowledgeMessagesNeverStopANode() throws {
        let source = KnowledgeSource(document: "济南市供水条例", published: LocalDate(year: 2026, month: 2, day: 27))
        var entry = KnowledgeEntry(id: "noise", title: "夜间施工", body: "22时后禁止施工", topic: "噪声扰民", owner: "s1",
                                   effective: LocalDate(year: 2026, month: 3, day: 1), reviewBy: LocalDate(year: 2026, month: 9, day: 1),
                                   source: source)
        entry.submittedAt = try #require(Timestamp(iso8601: "2026-03-02T09:00:00+08:00"))
        var approved = entry
        approved.status = .approved
        approved.decidedAt = entry.submittedAt
        let report = KnowledgeReport(id: "r1", entry: "noise", text: "电话错了", at: entry.submittedAt!, by: "s1")
        let cases: [(NodeKind, String, AppMessageKind, [UInt8], String)] = [
            (.city, "c", .kbSubmit, try TicketService.encode(KnowledgeEntryBody(entry: entry)), "s1"),
            (.unit, "s1", .kbEntry, try TicketService.encode(KnowledgeEntryBody(entry: approved)), "c"),
            (.city, "c", .kbReport, try TicketService.encode(KnowledgeReportBody(report: report)), "s1"),
        ]
        var tried = 0
        for (role, id, kind, body, origin) in cases {
            var bodies = Self.variants(try JSONSerialization.jsonObject(with: Data(body))).map {
                ($0.0, [UInt8](try! JSONSerialization.data(withJSONObject: $0.1)), Optional<Int64>.none)
            }
            bodies += [Int64.max, Int64.min].map { ("envelope at = \($0)", body, Optional($0)) }
            for (path, variant, at) in bodies {
                let node = try NodeFixture(id: id, role: role)
                if kind == .kbReport {
                    try node.context.db.transaction { try node.service.knowledge.store(approved) }
                }
                let m = DataMessage(id: "kb-\(tried)", seq: 1, origin: origin, dest: id, kind: kind.rawValue, body: variant,
                                    at: at ?? node.now.millis)
                do {
                    _ = try node.context.db.transaction { try node.service.handleIncoming(m, from: "k", now: node.now) }
                } catch {
                    Issue.record("\(kind.rawValue) with \(path) failed the round: \(error)")
                }
                for argv in [["kb", "list"], ["kb", "show", "noise"], ["kb", "approve", "noise"], ["kb", "search", "施工"],
                             ["kb", "export", "--public", "site"]] {
                    _ = try node.context.db.transaction {
                        try node.service.execute(AdminRequest(argv: argv, user: "op", uid: 1000), now: node.now, links: { [] })
                    }
                }
                do { try node.context.db.transaction { try node.service.runTimers(now: node.now) } } catch {
                    Issue.record("\(kind.rawValue) with \(path): the timers failed: \(error)")
                }
                do { _ = try node.service.knowledge.versions("noise") } catch {
                    Issue.record("\(kind.rawValue) with \(path): the entry no longer loads: \(error)")
                }
                tried += 1
            }
        }
        #expect(tried > 20)
    }

    /// A manual clock follows its parent's `clock` (hello and heartbeat frames) forward, but not to a time no
    /// deadline can be computed from: `Int64.max` there made every later `now + period` overflow.
    @Test func aManualClockDoesNotFollowItsParentBeyondTheYear9999() throws {
        let clock = NodeClock(mode: .manual, manualStart: 1_772_413_200_000)
        #expect(!clock.follow(.max))
        #expect(!clock.follow(Timestamp.readable.upperBound + 1))
        #expect(clock.now.millis == 1_772_413_200_000)
        #expect(clock.follow(1_772_413_260_000))
        #expect(clock.now.millis == 1_772_413_260_000)
    }
}
