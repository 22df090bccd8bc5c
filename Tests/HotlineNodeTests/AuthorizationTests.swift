import Foundation
import Testing
import HotlineCore
import HotlineStore
import HotlineWire
@testable import HotlineNode

/// A node's ticket service in a temporary data directory, fed messages as if they came off its links.
final class NodeFixture {
    let dir: URL
    let context: NodeContext
    let service: TicketService
    private let lock = NSLock()
    private var lines: [String] = []
    var logLines: [String] { lock.withLock { lines } }

    /// `systemClock`: the machine's clock instead of a manual one starting 2026-03-02 09:00 (+08:00).
    init(id: String, role: NodeKind, topology: String = TopologyTests.valid, extra: [String] = [],
         systemClock: Bool = false) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("node-\(id)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = dir.appendingPathComponent(id)
        let box = Sink()
        do {
            let topologyFile = dir.appendingPathComponent("topology-source.json")
            try Data(topology.utf8).write(to: topologyFile)
            let clock = systemClock ? ["--clock", "system"] : ["--clock", "manual", "--clock-start", "2026-03-02T09:00:00+08:00"]
            let args = try ArgumentParser.parse(["--topology", topologyFile.path, "--id", id, "--data", data.path, "--insecure"]
                                                + clock + extra,
                                                spec: InitCommand.spec)
            _ = try InitCommand.run(role: role, args)
            context = try NodeContext(dir: data, log: Log(node: id, sink: { box.append($0) }))
        } catch {
            // deinit does not run for an object whose init failed: a refused init must not leave its directory behind.
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        service = TicketService(context: context)
        sink = box
    }

    private let sink: Sink
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ s: String) { lock.withLock { lines.append(s) } }
        var all: [String] { lock.withLock { lines } }
    }
    var log: [String] { sink.all }

    deinit { try? FileManager.default.removeItem(at: dir) }

    var now: Timestamp { context.clock.now }

    /// Runs `body` in one transaction, then what waits for the commit (the log lines of stored facts), as a round
    /// of the work loop does.
    @discardableResult
    func round<T>(_ body: () throws -> T) throws -> T {
        let result = try context.db.transaction(body)
        service.runAfterCommit()
        return result
    }

    /// Runs an operator-level lifecycle command here, in a round of its own.
    @discardableResult
    func perform(_ command: Command, on id: String?) throws -> Ticket {
        try round {
            try service.perform(command, on: id.flatMap { try service.repository.load($0) }, now: now).0
        }
    }

    func intake(_ id: String = "JN-20260302-000001", subject: String? = nil, confidential: Bool = false) throws -> Ticket {
        try perform(.receive(TicketIntake(id: id, channel: "phone", kind: "complain", topic: "噪声扰民",
                                          area: Area(district: "历下区", street: "解放路街道"), text: "夜间施工噪音",
                                          caller: CallerInfo(name: "张三", phone: "13812345678", confidential: confidential),
                                          subject: subject)), on: nil)
    }

    /// Delivers a data message as if it arrived from `peer`, in a round of its own like the work loop does.
    func deliver(_ kind: AppMessageKind, body: some Encodable, origin: String, from peer: String, dest: String? = nil) throws {
        let m = DataMessage(id: UUID().uuidString, seq: 1, origin: origin, dest: dest ?? context.nodeId, kind: kind.rawValue,
                            body: try service.encode(body), at: now.millis)
        _ = try round { try service.handleIncoming(m, from: peer, now: now) }
    }

    func event(_ type: EventType, ticket: String, node: String, role: Role, to: String? = nil) -> TicketEvent {
        var e = TicketEvent(id: UUID().uuidString.lowercased(), ticket: ticket, type: type, at: now, node: node, role: role)
        e.to = to
        return e
    }

    func ticket(_ id: String) throws -> Ticket { try #require(try service.repository.load(id)) }

    /// Notices queued on the link to `hop`, decoded.
    func notices(on hop: String) throws -> [String] {
        try context.links.pending(link: hop, after: 0, limit: 1000).filter { $0.message.kind == "notice" }
            .map { String(decoding: $0.message.body, as: UTF8.self) }
    }
}

extension TicketService {
    /// What the work loop does once a round has committed: the log lines of the facts it stored, in order.
    func runAfterCommit() {
        for action in afterCommit { action() }
        afterCommit.removeAll()
    }
}

/// Issue 5, point 3: every message is authorised; a refused one changes nothing, is logged and answered.
struct AuthorizationTests {
    func cityWithTicketAt(_ lead: String) throws -> (NodeFixture, String) {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        try city.perform(.dispatch(lead: lead, assisting: [], tier: nil), on: t.id)
        return (city, t.id)
    }

    @Test func aUnitCannotPassReviewOrCloseATicket() throws {
        let (city, id) = try cityWithTicketAt("s1")
        let before = try city.ticket(id)
        for type in [EventType.reviewPassed, .closed] {
            try city.deliver(.ticketEvent, body: EventBody(event: city.event(type, ticket: id, node: "s1", role: .unit)),
                             origin: "s1", from: "k")
        }
        // Claiming the city's role does not help: the role must be the sender's role in the topology.
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.closed, ticket: id, node: "s1", role: .city)),
                         origin: "s1", from: "k")
        #expect(try city.ticket(id) == before)
        #expect(try city.notices(on: "k").count == 3)
        #expect(city.log.filter { $0.contains("event=message-refused") || $0.contains("event=event-refused") }.count == 3)
    }

    @Test func aUnitCannotReportAnotherUnitsEvent() throws {
        let (city, id) = try cityWithTicketAt("s1")
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.signed, ticket: id, node: "s1", role: .unit)),
                         origin: "d1", from: "k")
        #expect(try city.ticket(id).status == .dispatched)
        let notices = try city.notices(on: "k")
        #expect(notices.count == 1 && notices[0].contains("only its own events"))
    }

    @Test func aForgedOriginIsRefusedByTheTreeCheck() throws {
        let (city, id) = try cityWithTicketAt("s1")
        // s1 sits below k; a message "from s1" arriving on the link from w is forged.
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.signed, ticket: id, node: "s1", role: .unit)),
                         origin: "s1", from: "w")
        #expect(try city.ticket(id).status == .dispatched)
        #expect(city.log.contains { $0.contains("event=message-refused") && $0.contains("may only relay") })
    }

    @Test func aCountyCannotActOnATicketOutsideItsCounty() throws {
        let (city, id) = try cityWithTicketAt("w")
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.supervised, ticket: id, node: "k", role: .county)),
                         origin: "k", from: "k")
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.forwarded, ticket: id, node: "k", role: .county, to: "s1")),
                         origin: "k", from: "k")
        #expect(try city.ticket(id).status == .dispatched)
        #expect(try city.ticket(id).holder == "w")
        #expect(try city.notices(on: "k").allSatisfy { $0.contains("tickets of its county") || $0.contains("responsible") || $0.contains("holding") })
        #expect(try city.notices(on: "k").count == 2)
    }

    @Test func onlyTheCityOrTheReceiversCountyAssignsTickets() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        let assigned = try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: t.id)
        // From a sibling unit (relayed by the county): refused.
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: assigned, role: "lead"), origin: "d1", from: "k")
        #expect(try unit.service.repository.load(t.id) == nil)
        // From the city: accepted.
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: assigned, for: "s1"), role: "lead"), origin: "c", from: "k")
        #expect(try unit.ticket(t.id).status == .dispatched)
    }

    /// A ticket sent whole replaces the receiver's copy, events and all, and the store files each event under the
    /// ticket it names: an event of another ticket in the history would be written into that ticket's history, and
    /// since migration 19 no index of event ids stops an event stored twice. Both are refused; nothing changes.
    @Test func aTicketSentWholeMustCarryOnlyItsOwnEventsEachOnce() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let city = try NodeFixture(id: "c", role: .city)
        func dispatched(_ id: String) throws -> Ticket {
            _ = try city.intake(id)
            return Privacy.view(of: try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: id), for: "s1")
        }
        func storedEvents(_ id: String) throws -> Int64? {
            try unit.context.db.query("SELECT count(*) FROM events WHERE ticket = ?", [.text(id)]).first?.int(0)
        }
        let first = try dispatched("JN-20260302-000001")
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: first, role: "lead"), origin: "c", from: "k")
        let firstEvents = try storedEvents(first.id)
        #expect(firstEvents == Int64(first.events.count))
        let second = try dispatched("JN-20260302-000002")
        var foreign = second
        var stray = first.events[0]
        stray.id = "0192aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"
        foreign.events.append(stray)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: foreign, role: "lead"), origin: "c", from: "k")
        var twice = second
        twice.events.append(second.events[0])
        try unit.deliver(.ticketSync, body: SyncBody(ticket: twice, reason: "test"), origin: "c", from: "k")
        #expect(try storedEvents(first.id) == firstEvents)
        #expect(try storedEvents(second.id) == 0)
        #expect(try unit.service.repository.load(second.id) == nil)
        let refused = unit.log.filter { $0.contains("event=message-refused") }
        #expect(refused.count == 2)
        #expect(refused.contains { $0.contains("with an event of ticket \(first.id)") })
        #expect(refused.contains { $0.contains("twice in its history") })
        // The same ticket as the city holds it is taken.
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: second, role: "lead"), origin: "c", from: "k")
        #expect(try storedEvents(second.id) == Int64(second.events.count))
        #expect(try unit.ticket(second.id).events.map(\.id) == second.events.map(\.id))
    }

    /// A history is checked pairwise up to `pairwiseUpTo` events and through a set of ids beyond: either way a
    /// repeated event is refused wherever it stands, and distinct events are taken.
    @Test func aRepeatedEventIsFoundInShortAndLongHistoriesAlike() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let city = try NodeFixture(id: "c", role: .city)
        _ = try city.intake("JN-20260302-000001")
        let t = try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: "JN-20260302-000001")
        for count in [3, TicketService.pairwiseUpTo, TicketService.pairwiseUpTo + 1, 200] {
            var long = t
            long.events = (0..<count).map { i in
                var e = t.events[i % t.events.count]
                e.id = String(format: "0192aaaa-bbbb-7ccc-8ddd-%012d", i)
                return e
            }
            #expect(throws: Never.self, "\(count) distinct events") { try unit.service.checkEvents(of: long, from: "c") }
            for (at, copyOf) in [(1, 0), (count - 1, 0), (count - 1, count - 2)] {
                var twice = long
                twice.events[at].id = twice.events[copyOf].id
                #expect(throws: ServiceError.self, "\(count) events, #\(at) repeats #\(copyOf)") {
                    try unit.service.checkEvents(of: twice, from: "c")
                }
            }
        }
    }

    /// A centre restored from a backup could give a number out again (it is prevented there: intake numbers
    /// restart above the restores' floor); a unit holding the number for another request keeps its ticket.
    @Test func aTicketNumberGivenToAnotherRequestDoesNotOverwriteTheTicketHeld() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        let assigned = Privacy.view(of: try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: t.id), for: "s1")
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: assigned, role: "lead"), origin: "c", from: "k")
        let held = try unit.ticket(t.id)
        // Another request under the same number, received an hour later.
        var other = assigned
        other.receivedAt = Timestamp(millis: assigned.receivedAt.millis + 3_600_000)
        other.topic = "占道经营"
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: other, role: "lead"), origin: "c", from: "k")
        try unit.deliver(.ticketSync, body: SyncBody(ticket: other, reason: "test"), origin: "c", from: "k")
        #expect(try unit.ticket(t.id) == held)
        let notices = try unit.notices(on: "k")
        #expect(notices.count == 2 && notices.allSatisfy { $0.contains("the same number for another request") })
        // Also when the copy here is not in memory (after a restart): the check is in the store's upsert.
        let fresh = TicketService(context: unit.context)
        #expect(throws: ServiceError.self) { try unit.context.db.transaction { try fresh.repository.replace(other) } }
        #expect(try TicketService(context: unit.context).repository.load(t.id) == held)
        // The ticket itself, sent again (a re-dispatch, a sync), is still taken.
        try unit.deliver(.ticketSync, body: SyncBody(ticket: assigned, reason: "test"), origin: "c", from: "k")
        #expect(try unit.notices(on: "k").count == 2)
    }

    @Test func aLegitimateSignForIsApplied() throws {
        let (city, id) = try cityWithTicketAt("s1")
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.signed, ticket: id, node: "s1", role: .unit)),
                         origin: "s1", from: "k")
        #expect(try city.ticket(id).status == .signed)
        #expect(try city.notices(on: "k").isEmpty)
    }

    @Test func anUnreadableBodyIsRefusedWithoutStoppingTheNode() throws {
        let (city, id) = try cityWithTicketAt("s1")
        let m = DataMessage(id: "bad-1", seq: 1, origin: "s1", dest: "c", kind: "ticket.event", body: Array(#"{"event": 42}"#.utf8))
        _ = try city.context.db.transaction { try city.service.handleIncoming(m, from: "k", now: city.now) }
        #expect(try city.ticket(id).status == .dispatched)
        #expect(try city.notices(on: "k").first?.contains("invalid body") == true)
    }
}
