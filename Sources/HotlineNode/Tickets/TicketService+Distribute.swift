import Foundation
import HotlineCore

/// Who hears of a step: the events a node records, and the centre's decisions, travel to every node that must know
/// them (protocols/README.md §8, §8.1).
extension TicketService {
    /// At the city, an event from below that another node must also see (an assisting unit's result goes to the
    /// lead unit, RULES.md §2 "assistants report to the lead").
    func relay(_ event: TicketEvent, ticket: Ticket, origin: String, now: Timestamp) throws {
        if event.type == .assistReported, let lead = ticket.lead, lead != origin, lead != context.nodeId,
           context.topology.node(lead) != nil {
            try send(.ticketEvent, body: try encode(EventBody(event: Privacy.event(event, of: ticket, for: lead))), to: lead, now: now)
        }
    }

    /// Sends the events of one step that happened here to every node that must know them. A decision of the city
    /// that made several events (a satisfied callback and the closure it brings) travels as one `ticket.events` to
    /// each node: a node, and a restored centre recovering from it, holds all of them or none.
    func distribute(_ events: [TicketEvent], ticket: Ticket, previous: Ticket?, now: Timestamp) throws {
        let all = events.map { self.targets(of: $0, ticket: ticket, previous: previous) }
        // The record itself goes once to each node that gets it, however many events the step made.
        var synced = Set<String>()
        for target in all.joined() where target.kind == .ticketSync && synced.insert(target.dest).inserted {
            try sendRecord(ticket, to: target.dest, reason: "the centre's record after \(events.map(\.type.rawValue).joined(separator: ", ")): "
                               + "an assisting unit's copy does not follow the lead unit's steps", now: now)
        }
        let targets = all.map { $0.filter { $0.kind != .ticketSync } }
        if context.role == .city, events.count > 1, let first = targets.first,
           targets.allSatisfy({ $0.map(\.dest) == first.map(\.dest) && $0.allSatisfy { $0.kind == .ticketEvent } }) {
            for target in first { try sendEvents(events, of: ticket, to: target.dest, now: now) }
            return
        }
        for (event, targets) in zip(events, targets) {
            for (dest, kind, role) in targets {
                switch kind {
                case .ticketAssign:
                    let view = Privacy.view(of: ticket, for: dest)
                    try send(.ticketAssign, body: try encode(AssignBody(ticket: view, role: role)), to: dest, now: now)
                    try sendRelayingStationItsView(ticket, relayedTo: dest, now: now)
                default:
                    let view = Privacy.event(event, of: ticket, for: dest)
                    try send(.ticketEvent, body: try encode(EventBody(event: view)), to: dest, now: now)
                }
            }
        }
    }

    /// Events of one ticket to `dest`, each minimised for it, as `ticket.events` (`EventsBody.maxEvents` a message).
    func sendEvents(_ events: [TicketEvent], of ticket: Ticket, to dest: String, now: Timestamp) throws {
        for first in stride(from: 0, to: events.count, by: EventsBody.maxEvents) {
            let part = events[first..<min(events.count, first + EventsBody.maxEvents)]
            try send(.ticketEvents, body: try encode(EventsBody(events: part.map { Privacy.event($0, of: ticket, for: dest) })),
                     to: dest, now: now)
        }
    }

    /// The centre's record of a ticket, as `dest` may see it, to replace its copy (`ticket.sync`).
    func sendRecord(_ ticket: Ticket, to dest: String, reason: String, now: Timestamp) throws {
        try send(.ticketSync, body: try encode(SyncBody(ticket: Privacy.view(of: ticket, for: dest), reason: reason)), to: dest, now: now)
        try sendRelayingStationItsView(ticket, relayedTo: dest, now: now)
    }

    /// A county station keeps what it relays to one of its units as its copy of a ticket it has no part in (it
    /// answers for its county's tickets, `keepRelayed`). For the unit complained about that is a view without the
    /// caller and the complaint (§8.2), which the station itself may see: it gets the centre's record beside it,
    /// as it may see it. Not for a ticket the station has a part in: its own copy goes on by its own steps.
    func sendRelayingStationItsView(_ ticket: Ticket, relayedTo dest: String, now: Timestamp) throws {
        guard context.role == .city, ticket.subject == dest, let station = context.topology.parent(of: dest),
              station.kind == .county, !ticket.concerns(any: [station.id]) else { return }
        try sendRecord(ticket, to: station.id, reason: "the station's own view of a ticket it relays to \(dest), the unit complained about", now: now)
    }

    /// The nodes that must know an event that happened here, and how it reaches each: the ticket itself
    /// (`ticket.assign`, with the role), the event (`ticket.event`), or the centre's record (`ticket.sync`).
    private func targets(of event: TicketEvent, ticket: Ticket, previous: Ticket?) -> [(dest: String, kind: AppMessageKind, role: String)] {
        var targets: [(dest: String, kind: AppMessageKind, role: String)] = []
        switch context.role {
        case .city:
            switch event.type {
            case .dispatched:
                if ticket.holder != context.nodeId { targets.append((ticket.holder, .ticketAssign, "lead")) }
                for unit in ticket.assisting where unit != ticket.holder { targets.append((unit, .ticketAssign, "assist")) }
            default:
                // Every later event of the centre (decisions, review, callback, closure, supervision) travels to
                // the units working on the ticket, and to the previous holder when the event took it away
                // (an approved return).
                var involved = Set(ticket.assisting)
                for node in [ticket.lead, ticket.holder, previous?.holder, previous?.lead] { if let node { involved.insert(node) } }
                involved.remove(context.nodeId)
                // A node that has left the network (`topology --install`) keeps its name on the tickets it worked
                // on, and has no copy to keep up to date: the step goes to the others. (Sending to it failed the
                // step: an assisting unit gone, and the ticket could not be decided, closed or archived.)
                for node in involved.sorted() where context.topology.node(node) != nil {
                    // An assisting unit's copy does not follow the lead's steps (its own report goes to the lead, the
                    // lead's steps to the centre): the centre's decision would not fit it, would be refused there and
                    // healed only by its request for the record. It gets the record itself.
                    targets.append((node, assistsOnly(node, ticket) ? .ticketSync : .ticketEvent, ""))
                }
            }
        case .county, .unit:
            if event.type == .forwarded, ticket.holder != context.nodeId {
                targets.append((ticket.holder, .ticketAssign, "lead"))
            }
            if let city = context.topology.city?.id { targets.append((city, .ticketEvent, "")) }
        }
        return targets
    }

    /// An assisting unit (协办) of the ticket that neither leads nor holds it.
    func assistsOnly(_ node: String, _ ticket: Ticket) -> Bool {
        ticket.assisting.contains(node) && node != ticket.lead && node != ticket.holder
    }
}
