import Foundation
import HotlineCore
import HotlineStore
import HotlineWire

/// `ticket.recall` (centre → a county station or unit): send the centre your copies of the tickets changed since `since`.
struct RecallBody: Codable {
    /// The restored backup's day, `YYYY-MM-DD`: tickets whose last event is on or after it are sent.
    var since: String
    var reason: String
}

/// `ticket.copy` (county station or unit → centre): one copy in answer to the recall `recall` (its message id), or,
/// last, `done` with how many copies were sent.
struct CopyBody: Codable {
    var recall: String
    var ticket: Ticket?
    var done: Bool?
    var count: Int?
}

/// A centre restored from a backup lost what happened after the backup: tickets taken in since, its own decisions,
/// and the steps its county stations and units reported (they were acknowledged, so nobody sends them again). The
/// county stations and units still hold all of it in their copies. `hotline-city recover` asks them for those
/// copies (`ticket.recall`); each answers with a `ticket.copy` a ticket and a last one saying it is done; the centre
/// takes from each copy the events its record lacks, applied by the lifecycle core in the copy's order, so the
/// record is rebuilt by the same rules it was built by. Copies are taken only in answer to a recall the centre has
/// open for that node (`recall.<node>` in meta, the recall's message id).
extension TicketService {
    static func recallKey(_ node: String) -> String { "recall.\(node)" }
    /// Set by `restore` on a centre (the backup's time), cleared by `recover`.
    static let awaitingRecoverKey = "restored.awaiting-recover"
    /// The day `recover` asked from, until every node asked has answered (`finishRecovery`).
    static let recoverSinceKey = "recover.since"

    /// Whether the centre holds back its copy of a ticket from `node`: after the centre was restored, until
    /// `recover` has run and `node` has sent its copies. The centre's copies are then older than the node's, and a
    /// `ticket.sync` would replace the node's newer copy, and with it the steps `recover` takes back from there.
    func syncHeld(for node: String) throws -> Bool {
        guard context.role == .city else { return false }
        if try context.db.meta(Self.awaitingRecoverKey) != nil { return true }
        return try context.db.meta(Self.recallKey(node)) != nil
    }

    /// At a restored centre, a ticket taken in before the backup may have moved on since at the county stations and
    /// units; a decision on the record's older state (a second dispatch, a review of a reply already reviewed) would
    /// be sent down and replace their newer copies. Such tickets wait until `recover` has run and every node asked
    /// has answered (or the operator stopped waiting for it, `recover --close`): all of them, since the record
    /// cannot tell which nodes a ticket went to after the backup (a dispatch, a county's forward). Tickets taken in
    /// after the restore (numbered above the restore's floor, `NodeRestore.ticketFloor`) do not wait. (Numbers tell
    /// them apart, not times: a training centre's manual clock restarts at the backup's.)
    func refuseBeforeRecover(_ ticket: Ticket) throws {
        let awaiting = try context.db.meta(Self.awaitingRecoverKey)
        let waiting = try openRecalls()
        guard awaiting != nil || !waiting.isEmpty else { return }
        if let id = TicketID.parse(ticket.id), let floor = try NodeRestore.ticketFloor(context.db, on: id.date),
           id.sequence > floor { return }
        if let at = awaiting {
            throw ServiceError.refused("the centre was restored from the backup of \(at) and `recover` has not run: its record of \(ticket.id) may be behind the county stations' and units' copies; run `hotline-city recover --since \(at.prefix(10))` first")
        }
        throw ServiceError.refused("the centre is recovering: \(ticket.id) waits for the copies of \(waiting.joined(separator: ", ")), which may be newer than its record (`status` shows who is still to answer; `hotline-city recover --close NODE` stops waiting for a node that cannot answer)")
    }

    /// The nodes asked by `recover` that have not answered yet.
    func openRecalls() throws -> [String] {
        // A range of the key's index, not a LIKE: this runs before every decision at the centre.
        try context.db.query("SELECT substr(key, 8) FROM meta WHERE key >= 'recall.' AND key < 'recall/' ORDER BY key")
            .compactMap { $0.string(0) }
    }

    /// The centre's recovery, for `status`: the backup's time while `recover` has not run, and the nodes whose
    /// copies it is still waiting for.
    func recoveryState() throws -> (awaiting: String?, waitingFor: [String]) {
        guard context.role == .city else { return (nil, []) }
        return (try context.db.meta(Self.awaitingRecoverKey), try openRecalls())
    }

    /// At a county station or unit: every ticket changed since the day, as this node holds it, to the centre — a
    /// slice a round (`Sweep`), then a last copy saying it is done (`recallDone`).
    func answerRecall(_ body: RecallBody, message m: DataMessage, now: Timestamp) throws {
        guard LocalDate(iso: body.since) != nil else {
            throw ServiceError.refused("ticket.recall since \(body.since) is not a day (YYYY-MM-DD)")
        }
        try startSweep(Sweep(job: .recall, node: m.origin, since: body.since, recall: m.id))
    }

    /// A recall's sweep: this node's copy of `ticket` to the centre; 1 if it went.
    func copyOne(_ ticket: Ticket, recall: String, to centre: String, now: Timestamp) throws -> Int {
        do {
            try send(.ticketCopy, body: try encode(CopyBody(recall: recall, ticket: ticket)), to: centre, now: now)
            return 1
        } catch let error as ServiceError {
            // Too large for a frame: the others still go; the centre is told which one stayed behind.
            context.log.warn("copy-not-sent", ["ticket": ticket.id, "rule": "\(error)"])
            return 0
        }
    }

    func recallDone(_ s: Sweep, now: Timestamp) throws {
        try send(.ticketCopy, body: try encode(CopyBody(recall: s.recall ?? "", done: true, count: s.sent)), to: s.node, now: now)
        logAfterCommit("recall-answered", ["since": s.since, "tickets": "\(s.sent)", "to": s.node])
    }

    /// At the centre, once the last node asked has answered (or been given up on, `recover --close`): the
    /// record took back from each node's copy what the lost centre had decided, and another node working on the
    /// ticket may never have received it (the lost centre's outbox held it; an assisting unit never sees the lead's
    /// copy). So every ticket changed since the day goes, as the record now stands, to each node working on it
    /// (`recoverOne`, a slice a round; `recovery-done` in the log at the end).
    func finishRecovery(now: Timestamp) throws {
        guard try context.db.meta(Self.awaitingRecoverKey) == nil, try openRecalls().isEmpty,
              let since = try context.db.meta(Self.recoverSinceKey) else { return }
        try context.db.removeMeta(Self.recoverSinceKey)
        try startSweep(Sweep(job: .recovery, node: context.nodeId, since: since))
    }

    /// The recovery's sweep: the centre's own events since the day as `ticket.events` to each node working on the
    /// ticket (a node skips those it holds, and one that does not fit, or a node that lacks the ticket, asks for the
    /// record, which the centre no longer holds back), the record itself to a unit that only assists (its copy
    /// follows the record, `distribute`). Returns how many nodes were told.
    func recoverOne(_ ticket: Ticket, since: String, now: Timestamp) throws -> Int {
        let start = ChinaTime.startOfDay(LocalDate(iso: since) ?? ChinaTime.date(of: now))
        // A dispatch goes as an event too, not as the ticket (`ticket.assign` would replace a copy that went on
        // since): a node that never got the ticket (the lost centre's outbox held it, and the record took it back
        // from an assisting unit's copy) finds it unknown and asks for the record.
        let decisions = ticket.events.filter { $0.node == context.nodeId && $0.at >= start && $0.type != .received }
        var involved = Set(ticket.assisting)
        for node in [ticket.lead, ticket.holder] { if let node { involved.insert(node) } }
        involved.remove(context.nodeId)
        var told = 0
        for node in involved.sorted() {
            do {
                if assistsOnly(node, ticket) {
                    try sendRecord(ticket, to: node, reason: "the centre's record after its recovery", now: now)
                } else if !decisions.isEmpty {
                    try sendEvents(decisions, of: ticket, to: node, now: now)
                } else {
                    continue
                }
                told += 1
            } catch let error as ServiceError {
                context.log.warn("recovered-not-sent", ["ticket": ticket.id, "to": node, "rule": "\(error)"])
            }
        }
        return told
    }

    /// `resync`'s sweep: the centre's copy of `ticket` to the restored node and to each unit below it (a county
    /// station) that the ticket concerns; 1 if it concerns them.
    func resyncOne(_ ticket: Ticket, to id: String, since: String, now: Timestamp) throws -> Int {
        let scope = resyncScope(id)
        guard ticket.concerns(any: scope) else { return 0 }
        let reason = "resync after \(id) was restored from a backup of \(since)"
        // The station itself always (it relays every ticket of its units), each unit below it only for its own.
        for dest in [id] + scope.subtracting([id]).sorted().filter({ ticket.concerns(any: [$0]) }) {
            try sendRecord(ticket, to: dest, reason: reason, now: now)
        }
        return 1
    }

    /// The restored node and, for a county station, the units below it: a station relays its units' events, so
    /// what it was relaying when its disk failed never reached the centre, and the units' copies hold steps the
    /// record does not. Their copies are reset to the record too, so the steps show as still to do there (and a
    /// step already on its way is judged by the centre as usual).
    func resyncScope(_ id: String) -> Set<String> {
        context.topology.node(id)?.kind == .county ? context.topology.subtree(of: id) : [id]
    }

    /// A forward made before the resync ended that reaches the centre after it is sent on when it arrives
    /// (`resyncMissedForward`): its margin counts from the end of the sweep as well as from its start.
    func resyncDone(_ s: Sweep, now: Timestamp) throws {
        for node in resyncScope(s.node) { try context.db.setMeta(Self.resyncedKey(node), String(now.millis)) }
        logAfterCommit("resync-done", ["node": s.node, "since": s.since, "tickets": "\(s.sent)"])
    }

    /// At the centre: a copy sent in answer to an open recall.
    func takeCopy(_ body: CopyBody, message m: DataMessage, now: Timestamp) throws {
        let key = Self.recallKey(m.origin)
        guard let open = try context.db.meta(key), open == body.recall else {
            throw ServiceError.refused("\(m.origin) sent a ticket.copy for recall \(body.recall), which the centre has not open for it: copies are taken only in answer to `recover`")
        }
        if body.done == true {
            try context.db.removeMeta(key)
            logAfterCommit("recall-done", ["node": m.origin, "tickets": "\(body.count ?? 0)"])
            try finishRecovery(now: now)
            return
        }
        guard let copy = body.ticket else { throw ServiceError.refused("a ticket.copy holds a ticket, or says it is the last (done)") }
        guard let node = context.topology.node(m.origin) else { return }
        let scope = node.kind == .county ? context.topology.subtree(of: m.origin) : [m.origin]
        guard copy.concerns(any: scope) else {
            throw ServiceError.refused("\(m.origin) sent a copy of \(copy.id), which does not concern it")
        }
        let held = try repository.load(copy.id)
        if let held, held.receivedAt != copy.receivedAt {
            throw TicketRepository.numberReused(copy, receivedHere: held.receivedAt.millis)
        }
        let merge = Lifecycle.merge(copy: copy, into: held)
        if let (event, error) = merge.stoppedAt {
            context.log.warn("copy-event-not-taken", ["ticket": copy.id, "event": event.id, "type": event.type.rawValue,
                                                      "from": m.origin, "rule": "\(error)"])
        }
        guard let ticket = merge.ticket, !merge.added.isEmpty else { return }
        try repository.save(ticket, newEvents: merge.added)
        logAfterCommit("ticket-recovered", ["ticket": copy.id, "from": m.origin, "events": "\(merge.added.count)",
                                            "whole": held == nil ? "yes" : "no", "status": ticket.status.rawValue])
    }
}
