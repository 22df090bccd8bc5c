import HotlineCore
import HotlineStore

/// What a `Sweep` reads and rewrites a slice at a time: the ticket rows in their order, and (for `rotate-key`)
/// a ticket's documents re-encrypted.
extension TicketRepository {
    /// A slice of a `Sweep`: ticket rows in (after, upTo], in row order, at most `limit`; with `changedSince`, only
    /// tickets whose last change is on or after the start of that day (China time). Bounded by rows, not only by
    /// matches: before a recent day most rows do not match.
    func rows(after: Int64, upTo: Int64, changedSince day: LocalDate?, limit: Int) throws -> [(rowid: Int64, id: String)] {
        var args: [SQLValue] = [.int(after), .int(upTo)]
        if let day { args.append(.int(ChinaTime.startOfDay(day).millis)) }
        args.append(.int(Int64(limit)))
        return try db.query("SELECT rowid, id FROM tickets WHERE rowid > ? AND rowid <= ?" + (day == nil ? "" : " AND updated >= ?")
                            + " ORDER BY rowid LIMIT ?", args)
            .compactMap { row in row.int(0).flatMap { r in row.string(1).map { (r, $0) } } }
    }

    /// The highest ticket row (0 when there is none): where a `Sweep` stops.
    func lastRow() throws -> Int64 {
        try db.query("SELECT max(rowid) FROM tickets").first?.int(0) ?? 0
    }

    /// Re-encrypts a ticket's document and its events' under the sealer's current key (and seals plaintext left
    /// from before encryption); `rotate-key`'s sweep. Returns the number of documents rewritten.
    func reseal(ticket id: String) throws -> Int {
        guard let doc = try db.query("SELECT doc FROM tickets WHERE id = ?", [.text(id)]).first?.blob(0) else { return 0 }
        try db.run("UPDATE tickets SET doc = ? WHERE id = ?", [.blob(try seal(try unseal(doc, label: "ticket:\(id)"), label: "ticket:\(id)")), .text(id)])
        var n = 1
        for row in try db.query("SELECT n, doc FROM events WHERE ticket = ?", [.text(id)]) {
            guard let k = row.int(0), let doc = row.blob(1) else { continue }
            let fresh = try seal(try unseal(doc, label: "event:\(id)"), label: "event:\(id)")
            try db.run("UPDATE events SET doc = ? WHERE ticket = ? AND n = ?", [.blob(fresh), .text(id), .int(k)])
            n += 1
        }
        return n
    }
}
