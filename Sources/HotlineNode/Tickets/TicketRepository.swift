import Foundation
import HotlineCore
import HotlineStore
import HotlineWire

/// Tickets and their event log in the node's database: one row per ticket (its current state as JSON, plus the
/// columns lists filter on) and one row per event. Used on the work loop thread only.
struct TicketRepository {
    let db: Database
    /// Seals the documents at rest: they hold callers' names, phones and addresses. The documents are written by
    /// `JSONStreamEncoder` (fields in declaration order, 2× faster than `JSONEncoder`) and read by `JSONStreamDecoder`.
    let sealer: BlobSealer?
    /// Turns a caller's phone into the `caller_key` column the early warnings compare; nil where there are none
    /// (county stations and units: `NodeContext.callerTagger`), and the column stays empty.
    let callerTagger: CallerTagger?
    /// The tickets this repository last stored or read, whole: each step of a ticket's life loads it again, and
    /// reading and decoding its document and every event was a tenth of the city's work loop (perf, hotline-bench
    /// latency). Forgotten at every rollback on the connection.
    let cache: TicketCache

    /// `cacheGeneration`: see `TicketCache`; a few kilobytes a ticket (a 100,000-message catch-up: +8 MB at a unit
    /// with 1,024).
    init(db: Database, sealer: BlobSealer?, callerTagger: CallerTagger?, cacheGeneration: Int = 256) {
        self.db = db
        self.sealer = sealer
        self.callerTagger = callerTagger
        let cache = TicketCache(generation: cacheGeneration)
        self.cache = cache
        db.onRollback { cache.clear() }
    }

    func load(_ id: String) throws -> Ticket? {
        if let known = cache.get(id) { return known }
        guard let row = try db.query("SELECT doc FROM tickets WHERE id = ?", [.text(id)]).first,
              let doc = row.blob(0) else { return nil }
        var ticket = try decodeTicket(doc, id: id)
        ticket.events = try events(of: id)
        cache.put(ticket)
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

    /// What `figures` counts of every ticket whose events touch [from, to] (local dates), read from the plain figure
    /// columns: no document is opened or decoded. Gives the same rows as `withEvents` through `FigureTicket.init`.
    func figureTickets(from: LocalDate, to: LocalDate) throws -> [FigureTicket] {
        let start = ChinaTime.startOfDay(from).millis, end = ChinaTime.endOfDay(to).millis
        let touched = "SELECT DISTINCT ticket FROM events WHERE at >= ? AND at < ?"
        var tickets: [FigureTicket] = []
        var index: [String: Int] = [:]
        try db.forEach("SELECT id, centre, topic, channel FROM tickets WHERE id IN (\(touched)) ORDER BY id",
                       [.int(start), .int(end)]) { row in
            guard let id = row.string(0) else { return }
            index[id] = tickets.count
            tickets.append(FigureTicket(id: id, centre: row.string(1) ?? "", topic: row.string(2) ?? "", channel: row.string(3) ?? "",
                                        events: []))
        }
        func flag(_ v: Int64?) -> Bool? { v.map { $0 != 0 } }
        try db.forEach("""
            SELECT ticket, type, at, to_node, on_time, late_return, resolved, level, stars, kb FROM events
            WHERE ticket IN (\(touched)) ORDER BY ticket, n
            """, [.int(start), .int(end)]) { row in
            guard let id = row.string(0), let i = index[id] else { return }
            guard let typeText = row.string(1), let type = EventType(rawValue: typeText), let at = row.int(2) else {
                throw StoreError.badValue("an event of \(id) has no known type or time (\(row.string(1) ?? "null"))")
            }
            var level: SatisfactionLevel?
            if let text = row.string(7) {
                guard let known = SatisfactionLevel(rawValue: text) else {
                    throw StoreError.badValue("an event of \(id) has an unknown satisfaction level \(text)")
                }
                level = known
            }
            tickets[i].events.append(FigureEvent(
                type: type, at: Timestamp(millis: at), to: row.string(3), onTime: flag(row.int(4)),
                countsAsOverdue: flag(row.int(5)), resolved: flag(row.int(6)), level: level, stars: row.int(8).map { Int($0) },
                fromKnowledgeBase: flag(row.int(9)) ?? false))
        }
        return tickets
    }

    /// The figure columns of an event, in the order `insert` and `fillFigureColumns` write them.
    static func figureColumns(_ e: TicketEvent) -> [SQLValue] {
        func flag(_ b: Bool?) -> SQLValue { b.map { .int($0 ? 1 : 0) } ?? .null }
        return [SQLValue(e.to), flag(e.onTime), flag(e.countsAsOverdue), flag(e.resolved), SQLValue(e.level?.rawValue),
                e.stars.map { .int(Int64($0)) } ?? .null, .int(e.kbEntry == nil ? 0 : 1)]
    }

    /// What the early warnings look at, from columns alone: tickets received since `since` (from the covering index
    /// `tickets_alert_scan`), and every older ticket a unit is handling or the centre has not decided on (for the
    /// clock warnings). A ticket waiting at the centre gets its decision deadline counted under `rules` (nil: none)
    /// from its last step (`updated`), as `DeadlineClock.decideBy` says.
    func alertTickets(since: Timestamp, rules: Rules? = nil) throws -> [AlertTicket] {
        var out: [AlertTicket] = []
        let columns = "id, received, topic, district, street, caller_key, status, holder, dispatched_at, sign_by, deadline, paused"
        try db.forEach("""
            SELECT \(columns) FROM tickets WHERE received >= ?1
            UNION ALL
            SELECT \(columns) FROM tickets WHERE status IN ('dispatched', 'signed', 'suspended', 'received', 'returned') AND received < ?1
            """, [.int(since.millis)]) { row in
            guard let id = row.string(0), let received = row.int(1),
                  let status = row.string(6).flatMap(TicketStatus.init(rawValue:)) else {
                throw StoreError.badValue("ticket \(row.string(0) ?? "?") has no valid received time or status column")
            }
            out.append(AlertTicket(id: id, receivedAt: Timestamp(millis: received), topic: row.string(2) ?? "",
                                   area: Area(district: row.string(3) ?? "", street: row.string(4) ?? ""),
                                   callerKey: row.string(5), status: status, holder: row.string(7) ?? "",
                                   clock: DeadlineClock(dispatchedAt: row.int(8).map(Timestamp.init(millis:)),
                                                        signBy: row.int(9).map(Timestamp.init(millis:)),
                                                        handleBy: row.int(10).map(Timestamp.init(millis:)),
                                                        paused: row.int(11) == 1)))
        }
        guard let rules else { return out }
        // The few tickets waiting at the centre: their last step's time, which the covering index does not hold (read
        // for these alone, the scan of a month of a city's tickets stays on the index).
        var lastStep: [String: Int64] = [:]
        try db.forEach("SELECT id, updated FROM tickets WHERE status IN ('received', 'returned')") { row in
            if let id = row.string(0), let updated = row.int(1) { lastStep[id] = updated }
        }
        for i in out.indices where out[i].status == .received || out[i].status == .returned {
            let since = lastStep[out[i].id].map(Timestamp.init(millis:)) ?? out[i].receivedAt
            out[i].clock.decideBy = DeadlineClock.decideBy(status: out[i].status, since: since, rules: rules)
        }
        return out
    }

    /// A ticket as one line of a list, from its columns (no document).
    struct Line: Equatable {
        var id: String
        var status: TicketStatus
        var holder: String
        var topic: String
        /// `TicketPresenter.areaText`: "district/street".
        var area: String
    }

    /// The lines of these tickets, in the order given; ids this node does not hold are left out.
    func lines(_ ids: [String]) throws -> [Line] {
        var byId: [String: Line] = [:]
        // Always 200 parameters (the last chunk padded with an id no ticket has): one statement text, prepared once.
        let size = 200
        let sql = "SELECT id, status, holder, topic, area FROM tickets WHERE id IN (\(Array(repeating: "?", count: size).joined(separator: ",")))"
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + size, ids.count)])
            start += chunk.count
            let padded = chunk + Array(repeating: "", count: size - chunk.count)
            try db.forEach(sql, padded.map { .text($0) }) { row in
                guard let id = row.string(0), let status = row.string(1).flatMap(TicketStatus.init(rawValue:)) else {
                    throw StoreError.badValue("ticket \(row.string(0) ?? "?") has no valid status column")
                }
                byId[id] = Line(id: id, status: status, holder: row.string(2) ?? "", topic: row.string(3) ?? "", area: row.string(4) ?? "")
            }
        }
        return ids.compactMap { byId[$0] }
    }

    /// The alert columns of a ticket and its clock, in the order `upsert` and `fillAlertColumns` write them.
    func alertColumns(_ t: Ticket, clock: DeadlineClock) throws -> [SQLValue] {
        [.text(t.area.district), .text(t.area.street), SQLValue(try callerTagger?.tag(t.caller.phone)),
         SQLValue(clock.dispatchedAt?.millis), SQLValue(clock.signBy?.millis), .int(clock.paused ? 1 : 0)]
    }

    /// Stores the ticket's new state and appends its new events.
    func save(_ ticket: Ticket, newEvents: [TicketEvent]) throws {
        let previous = cache.takeWritten(ticket.id)
        try upsert(ticket, previous: previous)
        // The cache's copy was written with exactly its events (`putAgain(_:written: true)` follows only writes that
        // stored them all), and only this repository adds or removes events: their count is the stored one. Asking
        // SQLite for `max(n)` read every event row of the ticket, about 6,000 instructions a step (callgrind, the
        // centre's work loop in the quick lifecycle: 425.0M → 417.2M without it).
        var n = try previous.map { Int64($0.events.count) } ?? storedEventCount(ticket.id)
        for e in newEvents {
            n += 1
            try insert(e, n: n)
        }
        // Kept only when the stored events are exactly the ticket's (it was loaded, then the new events applied).
        if n == Int64(ticket.events.count) { cache.putAgain(ticket, written: true) }
    }

    /// How many events of the ticket are stored (their `n` runs from 1 without gaps): the last one's `n`, found by one
    /// seek down the primary key.
    func storedEventCount(_ id: String) throws -> Int64 {
        try db.query("SELECT n FROM events WHERE ticket = ? ORDER BY n DESC LIMIT 1", [.text(id)]).first?.int(0) ?? 0
    }

    /// Replaces this node's copy of a ticket with one sent by another node (an assignment, a sync). `documents`,
    /// when given, must be documents of exactly this ticket, made ahead on a connection thread (written by
    /// `TicketDocuments(ticket)` or cut from the frame the ticket was read from); they are sealed here.
    func replace(_ ticket: Ticket, documents: TicketDocuments? = nil) throws {
        let ready = documents.flatMap { $0.events.count == ticket.events.count ? $0 : nil }
        // Sealed ahead under the key that is still current; after a rotation, sealed here again.
        let ahead = ready?.ahead.flatMap { a in (sealer as? DataKeyring)?.current == a.key ? a : nil }
        let previous = cache.takeWritten(ticket.id)
        // A ticket's row is never deleted and its events are stored only with it, so a row just added has none to
        // delete (a node receiving assignments adds a row for each: the DELETE's seek was for nothing).
        if try !upsert(ticket, plain: ready?.ticket, previous: previous, ahead: ahead) {
            try db.run("DELETE FROM events WHERE ticket = ?", [.text(ticket.id)])
        }
        // By index, not `enumerated()`: its iterator costs more (callgrind, the hop's unit loop: 294.7M against
        // 290.0M for 2,500 assignments), though each event is still copied to be handed to `insert`.
        for i in ticket.events.indices {
            try insert(ticket.events[i], n: Int64(i + 1), plain: ready?.events[i], sealed: ahead?.events[i])
        }
        cache.putAgain(ticket, written: true)
    }

    /// Tickets newest first, without their events (`show` loads those): by status, holder or overdue
    /// (`overdueAt`), or unfinished only; `limit` 0 for all.
    func list(status: String?, holder: String?, overdueAt: Timestamp?, unfinished: Bool = false, limit: Int) throws -> [Ticket] {
        var (sql, args) = Self.listFilter(status: status, holder: holder, overdueAt: overdueAt, unfinished: unfinished)
        sql = "SELECT id, doc FROM tickets" + sql + " ORDER BY received DESC, id DESC LIMIT ?"
        args.append(.int(limit > 0 ? Int64(limit) : -1))
        var out: [Ticket] = []
        try db.forEach(sql, args) { row in
            guard let id = row.string(0), let doc = row.blob(1) else { return }
            out.append(try decodeTicket(doc, id: id))
        }
        if let now = overdueAt { out = out.filter { TicketPresenter.isOverdue($0, now: now) } }
        return out
    }

    /// How many tickets `list` would read with these filters (for overdue, the candidates), without reading them.
    func count(status: String?, holder: String?, overdueAt: Timestamp?) throws -> Int {
        let (sql, args) = Self.listFilter(status: status, holder: holder, overdueAt: overdueAt, unfinished: false)
        return Int(try db.query("SELECT count(*) FROM tickets" + sql, args).first?.int(0) ?? 0)
    }

    private static func listFilter(status: String?, holder: String?, overdueAt: Timestamp?, unfinished: Bool) -> (String, [SQLValue]) {
        var sql = " WHERE 1=1"
        var args: [SQLValue] = []
        if let status { sql += " AND status = ?"; args.append(.text(status)) }
        if let holder { sql += " AND holder = ?"; args.append(.text(holder)) }
        if let overdueAt {
            // The candidates only (open and past the deadline, or with a late verdict); the exact rule in `list`.
            let open = [TicketStatus.received, .waitingMaterial, .dispatched, .signed, .suspended, .returned]
                .map { "'\($0.rawValue)'" }.joined(separator: ",")
            sql += " AND ((deadline < ? AND status IN (\(open))) OR overdue = 1)"
            args.append(.int(overdueAt.millis))
        }
        if unfinished {
            // A list of the statuses, not NOT IN: the status index then reads the open tickets only.
            sql += " AND status IN (\(TicketStatus.allCases.filter { !$0.isFinished }.map { "'\($0.rawValue)'" }.joined(separator: ",")))"
        }
        return (sql, args)
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

    /// Writes the ticket's row. With `previous` (the ticket as this repository last wrote it, so its row holds
    /// exactly `TicketRow(previous)`) only the document and the columns that change are named: SQLite rewrites the
    /// index entries of every column an UPDATE sets, changed or not (a step set all 16 and rewrote six indexes; the
    /// write was a fifth of the city's work loop at 1,000 dispatches a second).
    /// True when the row is new (it was not there before).
    @discardableResult
    private func upsert(_ ticket: Ticket, plain: [UInt8]? = nil, previous: Ticket? = nil,
                        ahead: TicketDocuments.Ahead? = nil) throws -> Bool {
        let doc = try ahead?.ticket ?? seal(try plain ?? TicketDocuments.ticket(ticket), label: "ticket:\(ticket.id)")
        let row = ahead?.row ?? TicketRow(ticket)
        if let previous, previous.id == ticket.id {
            guard previous.receivedAt == ticket.receivedAt else { throw Self.numberReused(ticket, receivedHere: previous.receivedAt.millis) }
            if try update(ticket.id, doc: doc, row, from: TicketRow(previous)) { return false }
        }
        let rowBefore = db.lastInsertRowID
        // A ticket's number and the time it was received go together for good: a copy sent under a number this
        // node holds for a ticket received at another time is another citizen's request (a centre that gave the
        // number out twice), and must not overwrite the one here. The conflict's update is skipped then (no row
        // changed), which costs the common case nothing.
        try db.run("""
            INSERT INTO tickets(id, status, holder, topic, area, received, deadline, updated, doc, overdue, centre, channel,
                                district, street, caller_key, dispatched_at, sign_by, paused)
            VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET status = excluded.status, holder = excluded.holder, topic = excluded.topic,
              area = excluded.area, deadline = excluded.deadline, updated = excluded.updated, doc = excluded.doc,
              overdue = excluded.overdue, centre = excluded.centre, channel = excluded.channel,
              district = excluded.district, street = excluded.street, caller_key = excluded.caller_key,
              dispatched_at = excluded.dispatched_at, sign_by = excluded.sign_by, paused = excluded.paused
            WHERE tickets.received = excluded.received
            """, [.text(ticket.id), .text(row.status), .text(row.holder), .text(row.topic), .text(row.area),
                  .int(row.received), SQLValue(row.deadline), .int(row.updated), .blob(doc), .int(row.overdue ? 1 : 0),
                  .text(row.centre), .text(row.channel), .text(row.district), .text(row.street),
                  SQLValue(try ahead.map { $0.callerKey } ?? callerTagger?.tag(row.phone)), SQLValue(row.dispatchedAt), SQLValue(row.signBy),
                  .int(row.paused ? 1 : 0)])
        if db.changes == 0 {
            let here = try db.query("SELECT received FROM tickets WHERE id = ?", [.text(ticket.id)]).first?.int(0)
            throw Self.numberReused(ticket, receivedHere: here ?? 0)
        }
        // An upsert that updated leaves the connection's last rowid as it was. A new row changes it, unless its
        // rowid happens to be the one an insert into another table last gave: taken for an update then, the
        // caller only does more work.
        return db.lastInsertRowID != rowBefore
    }

    static func numberReused(_ ticket: Ticket, receivedHere: Int64) -> ServiceError {
        .refused("ticket \(ticket.id) here was received at \(Timestamp(millis: receivedHere).iso8601); the copy sent was received at \(ticket.receivedAt.iso8601): the same number for another request, so the ticket here is kept and the copy refused (the centre must give the new request a number of its own)")
    }

    /// `UPDATE … SET doc` and the columns where `row` differs from `old`; false if there is no such row.
    private func update(_ id: String, doc: [UInt8], _ row: TicketRow, from old: TicketRow) throws -> Bool {
        var sets = "doc = ?"
        var args: [SQLValue] = [.blob(doc)]
        func set(_ column: String, _ changed: Bool, _ value: @autoclosure () throws -> SQLValue) rethrows {
            guard changed else { return }
            sets += ", \(column) = ?"
            args.append(try value())
        }
        set("status", row.status != old.status, .text(row.status))
        set("holder", row.holder != old.holder, .text(row.holder))
        set("topic", row.topic != old.topic, .text(row.topic))
        set("area", row.area != old.area, .text(row.area))
        set("received", row.received != old.received, .int(row.received))
        set("deadline", row.deadline != old.deadline, SQLValue(row.deadline))
        set("updated", row.updated != old.updated, .int(row.updated))
        set("overdue", row.overdue != old.overdue, .int(row.overdue ? 1 : 0))
        set("centre", row.centre != old.centre, .text(row.centre))
        set("channel", row.channel != old.channel, .text(row.channel))
        set("district", row.district != old.district, .text(row.district))
        set("street", row.street != old.street, .text(row.street))
        try set("caller_key", row.phone != old.phone, SQLValue(try callerTagger?.tag(row.phone)))
        set("dispatched_at", row.dispatchedAt != old.dispatchedAt, SQLValue(row.dispatchedAt))
        set("sign_by", row.signBy != old.signBy, SQLValue(row.signBy))
        set("paused", row.paused != old.paused, .int(row.paused ? 1 : 0))
        args.append(.text(id))
        try db.run("UPDATE tickets SET \(sets) WHERE id = ?", args)
        return db.changes == 1
    }

    /// The ticket's `n`th event. The service never hands over an event the ticket already holds (migration 19:
    /// no index of event ids stands behind it any more), and the numbers are new (after the highest, or after
    /// the ticket's events were deleted), so a conflict is a fault, not something to ignore.
    private func insert(_ e: TicketEvent, n: Int64, plain: [UInt8]? = nil, sealed: [UInt8]? = nil) throws {
        let doc = try sealed ?? seal(try plain ?? TicketDocuments.event(e), label: "event:\(e.ticket)")
        try db.run("""
            INSERT INTO events(ticket, n, event_id, type, at, node, doc, to_node, on_time, late_return, resolved, level,
                               stars, kb)
            VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, [.text(e.ticket), .int(n), .text(e.id), .text(e.type.rawValue), .int(e.at.millis), .text(e.node), .blob(doc)]
                + Self.figureColumns(e))
    }

    func seal(_ plain: [UInt8], label: String) throws -> [UInt8] {
        guard let sealer else { return plain }
        do { return try sealer.seal(plain, label: label) } catch { throw StoreError.sealing("\(label): \(error)") }
    }

    func unseal(_ blob: [UInt8], label: String) throws -> [UInt8] {
        guard let sealer else { return blob }
        do { return try sealer.open(blob, label: label) } catch { throw StoreError.badValue("\(label): \(error)") }
    }

    func decodeEvent(_ doc: [UInt8], ticket: String) throws -> TicketEvent {
        let plain = try unseal(doc, label: "event:\(ticket)")
        do { return try JSONStreamDecoder.decode(TicketEvent.self, from: plain) } catch {
            throw StoreError.badValue("an event of \(ticket) cannot be read back: \(error)")
        }
    }

    /// Finished tickets last changed before `cutoff` whose personal fields are still here.
    /// Counties and units only (the city has no `tickets_erasable`, migrations 18 and 20). The condition is the
    /// index's, word for word; named, because without statistics SQLite would rather walk `tickets_status` through
    /// every finished ticket, erased ones included.
    func erasable(before cutoff: Timestamp, limit: Int) throws -> [String] {
        try db.query("""
            SELECT id FROM tickets INDEXED BY tickets_erasable
            WHERE erased = 0 AND updated < ? AND \(NodeSchema.finishedCondition) LIMIT ?
            """, [.int(cutoff.millis), .int(Int64(limit))]).compactMap { $0.string(0) }
    }

    /// Replaces a ticket with its erased form and marks it so.
    func storeErased(_ ticket: Ticket) throws {
        try replace(ticket)
        try db.run("UPDATE tickets SET erased = 1 WHERE id = ?", [.text(ticket.id)])
    }

    func decodeTicket(_ doc: [UInt8], id: String) throws -> Ticket {
        let plain = try unseal(doc, label: "ticket:\(id)")
        do { return try JSONStreamDecoder.decode(Ticket.self, from: plain) } catch {
            throw StoreError.badValue("ticket \(id) cannot be read back: \(error)")
        }
    }
}
