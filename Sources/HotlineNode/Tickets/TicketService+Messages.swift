import Foundation
import HotlineCore
import HotlineStore
import HotlineWire

/// Bodies of the application messages (protocols/README.md §8).
struct AssignBody: Codable {
    /// The ticket as the recipient may see it (personal data minimised for it by the sender).
    var ticket: Ticket
    /// "lead" or "assist".
    var role: String
}

struct EventBody: Codable {
    var event: TicketEvent
}

/// `ticket.events`: the events of one decision of the city, in the order they happened (protocols/README.md §8).
struct EventsBody: Codable {
    var events: [TicketEvent]
    /// More than any decision makes; a longer list is refused before anything is applied.
    static let maxEvents = 16
}

struct SyncBody: Codable {
    var ticket: Ticket
    var reason: String
}

struct NoticeBody: Codable {
    var ticket: String?
    var refusedMessage: String
    var text: String
    /// Sent to the centre by a node whose copy of `ticket` is behind (it could not apply the centre's event): the
    /// centre answers with its copy (`ticket.sync`), so the copy converges without an operator.
    var wantsSync: Bool?
}

extension TicketService {
    /// A message body: sorted keys, the bytes `JSONEncoder` writes with `.sortedKeys` (protocols/README §8), in a
    /// fifth of its time (a ticket.assign body: 45 µs there).
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] { try JSONStreamEncoder.encode(value, sortedKeys: true) }

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] { try Self.encode(value) }

    func decode<T: Decodable>(_ type: T.Type, _ m: DataMessage) throws -> T {
        do { return try JSONStreamDecoder.decode(type, from: m.body) } catch {
            throw ServiceError.badBody(kind: m.kind, detail: "\(error)")
        }
    }

    /// An assignment's body and, when a connection thread decoded it ahead (`PredecodedBodies`), its stored
    /// documents written there.
    func assignment(_ m: DataMessage) throws -> PreparedAssign {
        if let ready = predecoded?.take(m.body) { return ready }
        return PreparedAssign(body: try decode(AssignBody.self, m), documents: nil)
    }

    /// Who may send what (protocols/README.md §8.1), beyond the tree check of `authorize`: tickets are assigned
    /// and synced only by the city or by a county station above the receiver; an event must be recorded by the
    /// node that sent it, in that node's role (only the city relays other nodes' events). The lifecycle core then
    /// checks the event itself: role, responsibility for the ticket, status. A ticket sent whole must carry only
    /// its own events, each once (`checkEvents`).
    func checkSender(_ kind: AppMessageKind, _ m: DataMessage, event: TicketEvent? = nil, ticket: Ticket? = nil,
                     events: [TicketEvent] = []) throws {
        let topology = context.topology
        guard let origin = topology.node(m.origin) else { throw ServiceError.refused("origin \(m.origin) is not in the topology") }
        if let why = ticket?.implausibility ?? event?.implausibility ?? events.lazy.compactMap(\.implausibility).first {
            throw ServiceError.refused(why)
        }
        switch kind {
        case .ticketAssign, .ticketSync:
            guard origin.kind == .city
                    || (origin.kind == .county && origin.id != m.dest && topology.isInSubtree(m.dest, of: origin.id)) else {
                throw ServiceError.refused("only the city or the receiver's county station assigns tickets; \(m.origin) (\(origin.kind.rawValue)) may not send \(kind.rawValue) to \(m.dest)")
            }
        case .ticketEvent:
            guard let event else { return }
            if origin.kind == .city { return }
            guard event.node == m.origin else {
                throw ServiceError.refused("\(m.origin) sent an event recorded by \(event.node): a node reports only its own events")
            }
            guard event.role == origin.kind.coreRole else {
                throw ServiceError.refused("\(m.origin) is a \(origin.kind.rawValue) in the topology but its event claims the role \(event.role.rawValue)")
            }
        case .ticketEvents:
            guard origin.kind == .city else {
                throw ServiceError.refused("only the centre sends a decision's events together (ticket.events), not \(m.origin)")
            }
            try checkDecision(events, from: m.origin)
        case .ticketRecall:
            guard origin.kind == .city else { throw ServiceError.refused("only the centre recalls tickets, not \(m.origin)") }
        case .ticketCopy:
            guard topology.node(m.dest)?.kind == .city, origin.kind != .city else {
                throw ServiceError.refused("ticket.copy goes from a county station or unit to the centre, not from \(m.origin) to \(m.dest)")
            }
        case .notice:
            return
        case .kbSubmit, .kbEntry, .kbReport:
            try checkKnowledgeSender(kind, m, origin: origin)
        case .pkiCRL:
            guard origin.kind == .city else { throw ServiceError.refused("only the centre sends the revocation list, not \(m.origin)") }
            guard context.role != .city else { throw ServiceError.refused("the centre keeps its own revocation list") }
        case .calendarYear:
            guard origin.kind == .city else { throw ServiceError.refused("only the centre sends holiday notices, not \(m.origin)") }
            guard context.role != .city else { throw ServiceError.refused("the centre installs its own holiday notices (calendar --install)") }
        }
        // A ticket sent whole (assign, sync, copy) is stored or merged history and all.
        if let ticket { try checkEvents(of: ticket, from: m.origin) }
    }

    /// A ticket sent whole replaces this node's copy, events and all (`TicketRepository.replace`): each of its
    /// events must be of that ticket, and none may appear twice. The store files an event under the ticket it
    /// names, so an event naming another ticket would be written into that ticket's history.
    ///
    /// The events' fields are read in place (iterating copied every event, and looking back for a repeat copied
    /// every earlier one again); past `pairwiseUpTo` events the ids go into a set, so a peer sending a history of
    /// thousands of events costs a pass, not its square.
    func checkEvents(of ticket: Ticket, from origin: String) throws {
        let events = ticket.events
        var seen: Set<String>? = events.count > Self.pairwiseUpTo ? Set(minimumCapacity: events.count) : nil
        for i in events.indices {
            guard events[i].ticket == ticket.id else {
                throw ServiceError.refused("\(origin) sent ticket \(ticket.id) with an event of ticket \(events[i].ticket) (\(events[i].id)) in its history")
            }
            let repeated: Bool
            if seen != nil {
                repeated = !seen!.insert(events[i].id).inserted
            } else {
                repeated = events.indices[..<i].contains { events[$0].id == events[i].id }
            }
            if repeated {
                throw ServiceError.refused("\(origin) sent ticket \(ticket.id) with event \(events[i].id) twice in its history")
            }
        }
    }

    static let pairwiseUpTo = 32

    /// The events of one decision (`ticket.events`): at least one, at most `EventsBody.maxEvents`, all of one
    /// ticket, none twice.
    func checkDecision(_ events: [TicketEvent], from origin: String) throws {
        guard let first = events.first else { throw ServiceError.refused("\(origin) sent ticket.events without an event") }
        guard events.count <= EventsBody.maxEvents else {
            throw ServiceError.refused("\(origin) sent \(events.count) events in one ticket.events; a decision makes at most \(EventsBody.maxEvents)")
        }
        for (i, e) in events.enumerated() {
            guard e.ticket == first.ticket else {
                throw ServiceError.refused("\(origin) sent events of tickets \(first.ticket) and \(e.ticket) in one ticket.events")
            }
            if events[..<i].contains(where: { $0.id == e.id }) {
                throw ServiceError.refused("\(origin) sent event \(e.id) twice in one ticket.events")
            }
        }
    }

    /// A message addressed to this node.
    func apply(_ m: DataMessage, now: Timestamp) throws {
        guard let kind = AppMessageKind(rawValue: m.kind) else {
            // Sent by a node of a later release (the link layer hands it on instead of dropping the link).
            throw ServiceError.refused("\(context.nodeId) does not know the message kind \(m.kind): it runs an earlier release than \(m.origin); upgrade it (README, Upgrades)")
        }
        switch kind {
        case .ticketAssign:
            let assign = try assignment(m)
            let body = assign.body
            try checkSender(kind, m, ticket: body.ticket)
            try repository.replace(body.ticket, documents: assign.documents)
            predecoded?.retire(assign.documents)
            logAfterCommit("ticket-assigned", ["ticket": body.ticket.id, "from": m.origin, "role": body.role,
                                               "status": body.ticket.status.rawValue])
            if context.config.autoSign, body.role == "lead", body.ticket.holder == context.nodeId,
               body.ticket.status == .dispatched {
                try perform(.sign, on: body.ticket, now: now)
                logAfterCommit("ticket-auto-signed", ["ticket": body.ticket.id])
            }
        case .ticketEvent:
            let body = try decode(EventBody.self, m)
            try checkSender(kind, m, event: body.event)
            try applyRemote(body.event, origin: m.origin, message: m, now: now)
        case .ticketEvents:
            let body = try decode(EventsBody.self, m)
            try checkSender(kind, m, events: body.events)
            // An event that does not fit asks for the centre's copy (which holds the rest too): stop there.
            for event in body.events { guard try applyRemote(event, origin: m.origin, message: m, now: now) else { break } }
        case .ticketSync:
            let body = try decode(SyncBody.self, m)
            try checkSender(kind, m, ticket: body.ticket)
            try repository.replace(body.ticket)
            // For a unit that only assists, the centre's record is how its decisions arrive, and a county station
            // gets its own view of a ticket it only relays (`sendRelayingStationItsView`): not a divergence.
            let fields = [("ticket", body.ticket.id), ("reason", body.reason)]
            logAfterCommit("ticket-synced", fields,
                           warn: !assistsOnly(context.nodeId, body.ticket) && body.ticket.concerns(any: [context.nodeId]))
        case .notice:
            let body = try decode(NoticeBody.self, m)
            logAfterCommit("notice", ["from": m.origin, "ticket": body.ticket ?? "-", "text": body.text], warn: true)
            try repository.addNotice(at: now, from: m.origin, ticket: body.ticket, text: body.text)
            if body.wantsSync == true, context.role == .city, let id = body.ticket { try answerSyncRequest(id, from: m.origin, now: now) }
        case .ticketRecall:
            try checkSender(kind, m)
            guard context.role != .city else { throw ServiceError.refused("the centre answers no recall") }
            try answerRecall(try decode(RecallBody.self, m), message: m, now: now)
        case .ticketCopy:
            let body = try decode(CopyBody.self, m)
            try checkSender(kind, m, ticket: body.ticket)
            try takeCopy(body, message: m, now: now)
        case .kbSubmit, .kbEntry, .kbReport:
            try checkSender(kind, m)
            try applyKnowledge(kind, m, now: now)
        case .pkiCRL:
            try checkSender(kind, m)
            try installRevocationList(try decode(RevocationListBody.self, m), from: m.origin)
        case .calendarYear:
            try checkSender(kind, m)
            try installCalendar(try decode(CalendarYearBody.self, m), from: m.origin, now: now)
        }
    }

    /// A log line that states a stored fact is written once the round's transaction has committed it (nothing is
    /// logged for a round whose commit failed); tools that follow the log, such as hotline-bench, rely on this.
    func logAfterCommit(_ event: String, _ fields: KeyValuePairs<String, String>, warn: Bool = false) {
        logAfterCommit(event, fields.map { ($0.key, $0.value) }, warn: warn)
    }

    func logAfterCommit(_ event: String, _ pairs: [(String, String)], warn: Bool = false) {
        afterCommit.append { [log = context.log] in warn ? log.warn(event, pairs) : log.info(event, pairs) }
    }

    /// A message passing through this node (a county station relaying between the city and its units): the
    /// station keeps its copy of the tickets of its county current.
    func observe(_ m: DataMessage, from peer: String, now: Timestamp) throws {
        guard let kind = AppMessageKind(rawValue: m.kind) else { return }
        do {
            try observeUnchecked(kind, m, from: peer, now: now)
        } catch let error as any FailsTheRound {
            throw error
        } catch {
            // The destination judges the message; the relay only declines to update its own copy.
            context.log.warn("relay-copy-not-updated", ["origin": m.origin, "kind": m.kind, "id": m.id, "rule": "\(error)"])
        }
    }

    private func observeUnchecked(_ kind: AppMessageKind, _ m: DataMessage, from peer: String, now: Timestamp) throws {
        try atomically("observe", m, from: peer) {
            switch kind {
            case .ticketAssign:
                let assign = try assignment(m)
                try checkSender(kind, m, ticket: assign.body.ticket)
                try keepRelayed(assign.body.ticket, documents: assign.documents)
            case .ticketSync:
                let body = try decode(SyncBody.self, m)
                try checkSender(kind, m, ticket: body.ticket)
                try keepRelayed(body.ticket)
            case .ticketEvent:
                let body = try decode(EventBody.self, m)
                try checkSender(kind, m, event: body.event)
                try observe(body.event, in: m, now: now)
            case .ticketEvents:
                let body = try decode(EventsBody.self, m)
                try checkSender(kind, m, events: body.events)
                for event in body.events { guard try observe(event, in: m, now: now) else { break } }
            case .notice, .kbSubmit, .kbEntry, .kbReport, .ticketRecall, .ticketCopy, .pkiCRL, .calendarYear:
                return
            }
            try afterApply?(m)
        }
    }

    /// A ticket relayed whole to one of this station's units (an assignment, or the centre's record) is that unit's
    /// view of it: an assisting unit or the one complained about sees less than the station. A copy the station holds
    /// whose events the relayed ticket all has takes the ones it lacks (`Lifecycle.merge`, as `recover` does) and keeps
    /// its own view. A ticket the station does not hold, a copy with events the relayed one lacks (the record resets
    /// it: an event the station observed on its way up and the centre refused), or one that cannot take the events,
    /// is replaced by the relayed ticket.
    private func keepRelayed(_ relayed: Ticket, documents: TicketDocuments? = nil) throws {
        guard let held = try repository.load(relayed.id),
              Set(held.events.map(\.id)).isSubset(of: relayed.events.map(\.id)) else {
            return try repository.replace(relayed, documents: documents)
        }
        if held.receivedAt != relayed.receivedAt { throw TicketRepository.numberReused(relayed, receivedHere: held.receivedAt.millis) }
        let merge = Lifecycle.merge(copy: relayed, into: held)
        guard merge.stoppedAt == nil, let merged = merge.ticket else { return try repository.replace(relayed, documents: documents) }
        if !merge.added.isEmpty { try repository.save(merged, newEvents: merge.added) }
    }

    /// One event of a relayed message, applied to this station's copy; false when it does not fit the copy (or
    /// there is none), which asks the centre for its copy when the event is the centre's.
    @discardableResult
    private func observe(_ event: TicketEvent, in m: DataMessage, now: Timestamp) throws -> Bool {
        guard let ticket = try repository.load(event.ticket) else {
            // Only the centre's events are the record (a unit's may concern a ticket the station never kept).
            if context.topology.node(event.node)?.kind == .city {
                try requestSync(event.ticket, after: m, error: ServiceError.unknownTicket(event.ticket), now: now)
            }
            return false
        }
        guard !ticket.contains(eventId: event.id) else { return true }
        let updated: Ticket
        do { updated = try Lifecycle.apply(event, to: ticket) } catch {
            // The centre's event does not fit this station's copy: the copy is behind the record. (Not thrown: the
            // savepoint would take the request back with it.)
            try requestSync(ticket.id, after: m, error: error, now: now)
            return false
        }
        try repository.save(updated, newEvents: [event])
        return true
    }

    /// An event that happened at another node. The city is the system of record: what it refuses is answered
    /// with a notice and its own copy of the ticket, so the sender's copy converges. True when the event is in this
    /// node's copy now (applied, or held already); false when it did not fit or there is no copy.
    @discardableResult
    private func applyRemote(_ event: TicketEvent, origin: String, message: DataMessage, now: Timestamp) throws -> Bool {
        guard let ticket = try repository.load(event.ticket) else {
            if context.role == .city {
                try sendNotice(to: origin, about: message, text: "no ticket \(event.ticket) at the city", now: now)
            }
            context.log.warn("event-for-unknown-ticket", ["ticket": event.ticket, "event": event.id])
            // The centre's event for a ticket this node never got (its assignment was lost with a restored disk).
            try requestSync(event.ticket, after: message, error: ServiceError.unknownTicket(event.ticket), now: now)
            return false
        }
        if ticket.contains(eventId: event.id) { return true }
        if let origin = context.topology.node(origin), origin.kind == .county {
            // A county station acts only on tickets of its own county (held or led by it or a unit below it).
            let subtree = context.topology.subtree(of: origin.id)
            guard subtree.contains(ticket.holder) || ticket.lead.map(subtree.contains) == true else {
                throw ServiceError.refused("\(origin.id) may only act on tickets of its county; \(ticket.id) is held by \(ticket.holder)")
            }
        }
        let updated: Ticket
        do { updated = try Lifecycle.apply(event, to: ticket) } catch {
            context.log.warn("event-refused", ["ticket": event.ticket, "event": event.type.rawValue, "from": origin,
                                               "rule": "\(error)"])
            refusal = "\(error)"
            if context.role == .city {
                try sendNotice(to: origin, about: message, text: "\(error)", now: now)
                if try syncHeld(for: origin) {
                    context.log.warn("sync-held", ["ticket": ticket.id, "to": origin, "reason": "the centre was restored and has not recovered from \(origin) yet"])
                    return false
                }
                try sendRecord(ticket, to: origin, reason: "\(error)", now: now)
            } else {
                try requestSync(ticket.id, after: message, error: error, now: now)
            }
            return false
        }
        try repository.save(updated, newEvents: [event])
        logAfterCommit("event", ["ticket": event.ticket, "type": event.type.rawValue, "node": event.node])
        try raisePrompts([event], ticket: updated, now: now)
        if context.role == .city {
            try relay(event, ticket: updated, origin: origin, now: now)
            if event.type == .forwarded { try resyncMissedForward(event, ticket: updated, now: now) }
        }
        return true
    }

    static func resyncedKey(_ node: String) -> String { "resynced.\(node)" }

    /// At the centre: a county station's forward to a unit that was resynced (`resync`) after the forward was made
    /// but before it reached the centre. The resync's snapshot did not show the ticket as the unit's, and the
    /// unit's copy may have been lost with its disk (the assignment arrived there after its backup): the unit gets
    /// the centre's copy now. Five minutes of margin cover the two nodes' clocks; a copy the unit already has is
    /// replaced by the same ticket.
    private func resyncMissedForward(_ event: TicketEvent, ticket: Ticket, now: Timestamp) throws {
        guard let unit = event.to, ticket.holder == unit,
              let resynced = try context.db.meta(Self.resyncedKey(unit)).flatMap({ Int64($0) }),
              event.at.millis < resynced + 300_000 else { return }
        try sendRecord(ticket, to: unit, reason: "forwarded to \(unit) before its resync, known at the centre after it", now: now)
        logAfterCommit("sync-sent", ["ticket": ticket.id, "to": unit, "reason": "forward-after-resync"])
    }

    /// At a county station or a unit: the centre's event `m` did not apply to this node's copy of the ticket, so
    /// the copy is behind the record (a message lost with a restored node's disk, or a copy reset by a resync while
    /// the node's own step was on its way). The centre is asked for its copy; a copy that the centre's events do not
    /// fit would otherwise stay behind for good. Events from other nodes are not the record and ask for nothing.
    func requestSync(_ ticket: String, after m: DataMessage, error: Error, now: Timestamp) throws {
        guard context.role != .city, let city = context.topology.city?.id, m.origin == city else { return }
        context.log.warn("sync-requested", ["ticket": ticket, "event": m.id, "rule": "\(error)"])
        let text = "\(context.nodeId) could not apply the centre's message \(m.id) to its copy of \(ticket) (\(error)); "
            + "its copy is behind: the centre's copy is asked for"
        try send(.notice, body: try encode(NoticeBody(ticket: ticket, refusedMessage: m.id, text: text, wantsSync: true)),
                 to: city, now: now)
    }

    /// At the centre: a node asked for the record of a ticket that concerns it (`requestSync`).
    func answerSyncRequest(_ id: String, from origin: String, now: Timestamp) throws {
        guard let ticket = try repository.load(id), let node = context.topology.node(origin) else { return }
        let scope = node.kind == .county ? context.topology.subtree(of: origin) : [origin]
        guard ticket.concerns(any: scope) else {
            context.log.warn("sync-not-sent", ["ticket": id, "to": origin, "reason": "the ticket does not concern \(origin)"])
            return
        }
        if try syncHeld(for: origin) {
            context.log.warn("sync-held", ["ticket": id, "to": origin, "reason": "the centre was restored and has not recovered from \(origin) yet"])
            return
        }
        try sendRecord(ticket, to: origin, reason: "asked for by \(origin): its copy was behind", now: now)
        logAfterCommit("sync-sent", ["ticket": id, "to": origin])
    }

    func sendNotice(to dest: String, about m: DataMessage, text: String, now: Timestamp) throws {
        let ticket: String? = (try? decode(EventBody.self, m))?.event.ticket
        try send(.notice, body: try encode(NoticeBody(ticket: ticket, refusedMessage: m.id, text: text)), to: dest, now: now)
    }
}
