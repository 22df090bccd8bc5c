import Foundation
import HotlineCore
import HotlineStore

/// Tickets and their event log in the node's database: one row per ticket (its current state as JSON, plus the
/// columns lists filter on) and one row per event. Used on the work loop thread only.
struct TicketRepository {
    let db: Database
    /// Seals the documents at rest: they hold callers' names, phones and addresses.
    let sealer: BlobSealer?
    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    func load(_ id: String) throws -> Ticket? {
        guard let row = try db.query("SELECT doc FROM tickets WHERE id = ?", [.text(id)]).first,
              let doc = row.blob(0) else { return nil }
        var ticket = try decodeTicket(doc, id: id)
        ticket.events = try events(of: id)
        return ticket
    }

    func events(of id: String) throws -> [TicketEvent] {
        try db.query("SELECT doc FROM events WHERE ticket = ? ORDER BY n", [.text(id)]).map { row in
            guard let doc = row.blob(0) else { throw StoreError.badValue("event of \(id) without a document") }
            return try decodeEvent(doc, ticket: id)
        }
    }

    /// Every ticket with its events whose events touch [from, to] (local dates): the input of `figures`.
    func withEvents(from: LocalDate, to: LocalDate) throws -> [Ticket] {
        let start = ChinaTime.startOfDay(from).millis, end = ChinaTime.endOfDay(to).millis
        let touched = "SELECT DISTINCT ticket FROM events WHERE at >= ? AND at < ?"
        var byId: [String: Ticket] = [:]
        try db.forEach("SELECT id, doc FROM tickets WHERE id IN (\(touched))", [.int(start), .int(end)]) { row in
            guard let id = row.string(0), let doc = row.blob(1) else { return }
            byId[id] = try decodeTicket(doc, id: id)
        }
        try db.forEach("SELECT ticket, doc FROM events WHERE ticket IN (\(touched)) ORDER BY ticket, n",
                       [.int(start), .int(end)]) { row in
            guard let id = row.string(0), let doc = row.blob(1) else { return }
            byId[id]?.events.append(try decodeEvent(doc, ticket: id))
        }
        return byId.values.sorted { $0.id < $1.id }
    }

    /// What the early warnings look at: tickets received since `since`, and every ticket a unit is handling (with
    /// its events, for the clock warnings).
    func recentOrHandled(since: Timestamp) throws -> [Ticket] {
        var out: [Ticket] = []
        try db.forEach("SELECT id, doc FROM tickets WHERE received >= ? OR status IN ('dispatched', 'signed', 'suspended')",
                       [.int(since.millis)]) { row in
            guard let id = row.string(0), let doc = row.blob(1) else { return }
            out.append(try decodeTicket(doc, id: id))
        }
        for i in out.indices where out[i].status.isWithUnit { out[i].events = try events(of: out[i].id) }
        return out
    }

    /// Stores the ticket's new state and appends its new events.
    func save(_ ticket: Ticket, newEvents: [TicketEvent]) throws {
        try upsert(ticket)
        var n = Int64(try db.query("SELECT coalesce(max(n), 0) FROM events WHERE ticket = ?", [.text(ticket.id)]).first?.int(0) ?? 0)
        for e in newEvents {
            n += 1
            try insert(e, n: n)
        }
    }

    /// Replaces this node's copy of a ticket with one sent by another node (an assignment, a sync).
    func replace(_ ticket: Ticket) throws {
        try upsert(ticket)
        try db.run("DELETE FROM events WHERE ticket = ?", [.text(ticket.id)])
        for (i, e) in ticket.events.enumerated() { try insert(e, n: Int64(i + 1)) }
    }

    /// Once, after migration 14: the late verdicts of tickets stored before the `overdue` column existed.
    func fillOverdueColumn() throws {
        guard try db.meta("tickets.overdue-filled") == nil else { return }
        try db.transaction {
            var late: [String] = []
            try db.forEach("SELECT id, doc FROM tickets") { row in
                guard let id = row.string(0), let doc = row.blob(1) else { return }
                if try decodeTicket(doc, id: id).verdicts.overdue { late.append(id) }
            }
            for id in late { try db.run("UPDATE tickets SET overdue = 1 WHERE id = ?", [.text(id)]) }
            try db.setMeta("tickets.overdue-filled", "1")
        }
    }

    /// Tickets, newest first, without their events (`show` loads those).
    func list(status: String?, holder: String?, overdueAt: Timestamp?, limit: Int) throws -> [Ticket] {
        var sql = "SELECT id, doc FROM tickets WHERE 1=1"
        var args: [SQLValue] = []
        if let status { sql += " AND status = ?"; args.append(.text(status)) }
        if let holder { sql += " AND holder = ?"; args.append(.text(holder)) }
        if let overdueAt {
            // The candidates only (open and past the deadline, or with a late verdict); the exact rule below.
            let open = [TicketStatus.received, .waitingMaterial, .dispatched, .signed, .suspended, .returned]
                .map { "'\($0.rawValue)'" }.joined(separator: ",")
            sql += " AND ((deadline < ? AND status IN (\(open))) OR overdue = 1)"
            args.append(.int(overdueAt.millis))
        }
        sql += " ORDER BY received DESC, id DESC LIMIT ?"
        args.append(.int(limit > 0 ? Int64(limit) : -1))
        var out: [Ticket] = []
        try db.forEach(sql, args) { row in
            guard let id = row.string(0), let doc = row.blob(1) else { return }
            out.append(try decodeTicket(doc, id: id))
        }
        if let now = overdueAt { out = out.filter { TicketPresenter.isOverdue($0, now: now) } }
        return out
    }

    func addNotice(at: Timestamp, from origin: String, ticket: String?, text: String) throws {
        try db.run("INSERT INTO notices(at, origin, ticket, text) VALUES(?, ?, ?, ?)",
                   [.int(at.millis), .text(origin), SQLValue(ticket), .text(text)])
    }

    /// Records who read personal data (TH §4, ASD §23).
    func audit(at: Timestamp, user: String, command: String, ticket: String?, fields: String) throws {
        guard !fields.isEmpty else { return }
        try db.appendAudit(at: at.millis, user: user, command: command, ticket: ticket, fields: fields)
    }

    private func upsert(_ ticket: Ticket) throws {
        var stripped = ticket
        stripped.events = []
        let doc = try seal([UInt8](try Self.encoder.encode(stripped)), label: "ticket:\(ticket.id)")
        let area = TicketPresenter.areaText(ticket.area)
        try db.run("""
            INSERT INTO tickets(id, status, holder, topic, area, received, deadline, updated, doc, overdue)
            VALUES(?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET status = excluded.status, holder = excluded.holder, topic = excluded.topic,
              area = excluded.area, deadline = excluded.deadline, updated = excluded.updated, doc = excluded.doc,
              overdue = excluded.overdue
            """, [.text(ticket.id), .text(ticket.status.rawValue), .text(ticket.holder), .text(ticket.topic), .text(area),
                  .int(ticket.receivedAt.millis), SQLValue(ticket.deadlines.handleBy?.millis),
                  .int(ticket.events.last?.at.millis ?? ticket.receivedAt.millis), .blob(doc),
                  .int(ticket.verdicts.overdue ? 1 : 0)])
    }

    private func insert(_ e: TicketEvent, n: Int64) throws {
        let doc = try seal([UInt8](try Self.encoder.encode(e)), label: "event:\(e.ticket)")
        try db.run("INSERT OR IGNORE INTO events(ticket, n, event_id, type, at, node, doc) VALUES(?,?,?,?,?,?,?)",
                   [.text(e.ticket), .int(n), .text(e.id), .text(e.type.rawValue), .int(e.at.millis), .text(e.node), .blob(doc)])
    }

    private func seal(_ plain: [UInt8], label: String) throws -> [UInt8] {
        guard let sealer else { return plain }
        do { return try sealer.seal(plain, label: label) } catch { throw StoreError.sealing("\(label): \(error)") }
    }

    private func unseal(_ blob: [UInt8], label: String) throws -> [UInt8] {
        guard let sealer else { return blob }
        do { return try sealer.open(blob, label: label) } catch { throw StoreError.badValue("\(label): \(error)") }
    }

    private func decodeEvent(_ doc: [UInt8], ticket: String) throws -> TicketEvent {
        let plain = try unseal(doc, label: "event:\(ticket)")
        do { return try JSONDecoder().decode(TicketEvent.self, from: Data(plain)) } catch {
            throw StoreError.badValue("an event of \(ticket) cannot be read back: \(error)")
        }
    }

    /// Finished tickets last changed before `cutoff` whose personal fields are still here.
    func erasable(before cutoff: Timestamp, limit: Int) throws -> [String] {
        let finished = TicketStatus.allCases.filter(\.isFinished).map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try db.query("SELECT id FROM tickets WHERE erased = 0 AND updated < ? AND status IN (\(finished)) LIMIT ?",
                            [.int(cutoff.millis), .int(Int64(limit))]).compactMap { $0.string(0) }
    }

    /// Replaces a ticket with its erased form and marks it so.
    func storeErased(_ ticket: Ticket) throws {
        try replace(ticket)
        try db.run("UPDATE tickets SET erased = 1 WHERE id = ?", [.text(ticket.id)])
    }

    /// Re-encrypts every document under the sealer's current key (and seals plaintext left from before
    /// encryption). Returns the number of documents rewritten.
    func resealAll() throws -> Int {
        var n = 0
        for row in try db.query("SELECT id, doc FROM tickets") {
            guard let id = row.string(0), let doc = row.blob(1) else { continue }
            let fresh = try seal(try unseal(doc, label: "ticket:\(id)"), label: "ticket:\(id)")
            try db.run("UPDATE tickets SET doc = ? WHERE id = ?", [.blob(fresh), .text(id)])
            n += 1
        }
        for row in try db.query("SELECT ticket, n, doc FROM events") {
            guard let ticket = row.string(0), let k = row.int(1), let doc = row.blob(2) else { continue }
            let fresh = try seal(try unseal(doc, label: "event:\(ticket)"), label: "event:\(ticket)")
            try db.run("UPDATE events SET doc = ? WHERE ticket = ? AND n = ?", [.blob(fresh), .text(ticket), .int(k)])
            n += 1
        }
        return n
    }

    private func decodeTicket(_ doc: [UInt8], id: String) throws -> Ticket {
        let plain = try unseal(doc, label: "ticket:\(id)")
        do { return try JSONDecoder().decode(Ticket.self, from: Data(plain)) } catch {
            throw StoreError.badValue("ticket \(id) cannot be read back: \(error)")
        }
    }
}
