import HotlineCore
import HotlineStore

/// The one-time fills after a schema upgrade: columns a migration added, filled for the rows stored before it (the
/// figure and alert columns a thousand rows per transaction: a year of a city's tickets is millions of events).
extension TicketRepository {
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
            cache.clear()
            try db.setMeta("tickets.overdue-filled", "1")
        }
    }

    /// Once, after migration 15: the figure columns of tickets and events stored before they existed. Works in
    /// batches of 1,000 rows, each its own transaction (a year of a city's tickets is millions of events); the mark
    /// is set after the last, so a fill cut short by a crash is simply done again at the next start. Returns the rows
    /// filled, or nil when there was nothing to do.
    @discardableResult
    func fillFigureColumns() throws -> (tickets: Int, events: Int)? {
        guard try db.meta("figures.columns-filled") == nil else { return nil }
        var filled = (tickets: 0, events: 0)
        filled.tickets = try everyTicketInBatches { id, t in
            try db.run("UPDATE tickets SET centre = ?, channel = ? WHERE id = ?", [.text(t.centre), .text(t.channel), .text(id)])
        }
        var last: (ticket: String, n: Int64) = ("", 0)
        while true {
            let rows = try db.query("SELECT ticket, n, doc FROM events WHERE (ticket, n) > (?, ?) ORDER BY ticket, n LIMIT 1000",
                                    [.text(last.ticket), .int(last.n)])
            guard let end = rows.last, let ticket = end.string(0), let n = end.int(1) else { break }
            try db.transaction {
                for row in rows {
                    guard let id = row.string(0), let k = row.int(1), let doc = row.blob(2) else { continue }
                    try db.run("""
                        UPDATE events SET to_node = ?, on_time = ?, late_return = ?, resolved = ?, level = ?, stars = ?, kb = ?
                        WHERE ticket = ? AND n = ?
                        """, Self.figureColumns(try decodeEvent(doc, ticket: id)) + [.text(id), .int(k)])
                }
            }
            last = (ticket, n)
            filled.events += rows.count
        }
        try db.setMeta("figures.columns-filled", "1")
        return filled
    }

    /// Once after migration 16, and again whenever the caller-tag key changed: the alert columns of every ticket,
    /// a thousand per transaction. Returns the number of tickets filled, nil when there was nothing to do. A node
    /// without a tagger (a county station or unit) records "none": the first start of a build that keeps no caller
    /// keys there empties the ones an earlier build wrote, once.
    func fillAlertColumns() throws -> Int? {
        let keyId = try callerTagger?.id() ?? "none"
        switch try db.meta("alerts.columns-key") {
        case keyId: return nil
        case "fresh":
            // Created with migration 16: every ticket was written with its columns, under this key file.
            try db.setMeta("alerts.columns-key", keyId)
            return nil
        default: break
        }
        let filled = try everyTicketInBatches { id, t in
            // The clocks start at the last dispatch: its time column, not the history.
            var clock = DeadlineClock(t)
            clock.dispatchedAt = try db.query("SELECT at FROM events WHERE ticket = ? AND type = 'dispatched' ORDER BY n DESC LIMIT 1",
                                              [.text(id)]).first?.int(0).map(Timestamp.init(millis:))
            try db.run("""
                UPDATE tickets SET district = ?, street = ?, caller_key = ?, dispatched_at = ?, sign_by = ?, paused = ?
                WHERE id = ?
                """, try alertColumns(t, clock: clock) + [.text(id)])
        }
        try db.setMeta("alerts.columns-key", keyId)
        return filled
    }

    /// Every ticket (without its events) to `body`, a thousand per transaction, in id order: the column fills after
    /// an upgrade. Returns how many.
    private func everyTicketInBatches(_ body: (String, Ticket) throws -> Void) throws -> Int {
        // Rows change here behind the cache: what it remembers writing is no longer what the row holds.
        defer { cache.clear() }
        var count = 0
        var lastTicket = ""
        while true {
            let rows = try db.query("SELECT id, doc FROM tickets WHERE id > ? ORDER BY id LIMIT 1000", [.text(lastTicket)])
            guard let last = rows.last?.string(0) else { return count }
            try db.transaction {
                for row in rows {
                    guard let id = row.string(0), let doc = row.blob(1) else { continue }
                    try body(id, try decodeTicket(doc, id: id))
                }
            }
            lastTicket = last
            count += rows.count
        }
    }
}
