import Foundation
import HotlineCore
import HotlineStore

/// 预警记录 — the city's early warnings: computed by `Alerts` in Core, raised once each (the key is the primary key),
/// written to the log as they are raised and listed by `alerts` with the tickets behind them.
struct AlertLog {
    let db: Database

    struct Entry {
        var alert: Alert
        var raised: Timestamp
    }

    /// What is due at `now`, from the tickets' plain columns; reads only (`AlertScanner` runs it on a snapshot).
    func compute(repository: TicketRepository, rules: Rules, now: Timestamp) throws -> [Alert] {
        let profile = rules.profile
        let days = max(profile.reportingRules.baselineDays.value + 1, profile.supervision.repeatWindowDays.value)
        let tickets = try repository.alertTickets(since: now.adding(millis: -Int64(days) * 86_400_000), rules: rules)
        return Alerts.compute(tickets, now: now, profile: profile)
    }

    /// Stores the alerts not raised before, raised at `now`; returns those, for the log.
    func store(_ alerts: [Alert], at now: Timestamp) throws -> [Alert] {
        var raised: [Alert] = []
        for alert in alerts {
            try db.run("""
                INSERT INTO alerts(key, kind, raised, subject, tickets, message, basis) VALUES(?,?,?,?,?,?,?)
                ON CONFLICT(key) DO NOTHING
                """, [.text(alert.key), .text(alert.kind.rawValue), .int(now.millis), .text(alert.subject),
                      .text(alert.tickets.joined(separator: ",")), .text(alert.message), .text(alert.basis)])
            if db.changes > 0 { raised.append(alert) }
        }
        return raised
    }

    /// Alerts raised since `since`, newest first.
    func list(since: Timestamp, kind: AlertKind?) throws -> [Entry] {
        var sql = "SELECT key, kind, raised, subject, tickets, message, basis FROM alerts WHERE raised >= ?"
        var args: [SQLValue] = [.int(since.millis)]
        if let kind { sql += " AND kind = ?"; args.append(.text(kind.rawValue)) }
        sql += " ORDER BY raised DESC, key"
        return try db.query(sql, args).compactMap { row in
            guard let key = row.string(0), let kind = row.string(1).flatMap(AlertKind.init(rawValue:)),
                  let raised = row.int(2) else { return nil }
            let tickets = (row.string(4) ?? "").split(separator: ",").map(String.init)
            return Entry(alert: Alert(kind: kind, key: key, subject: row.string(3) ?? "", tickets: tickets,
                                      message: row.string(5) ?? "", basis: row.string(6) ?? ""),
                         raised: Timestamp(millis: raised))
        }
    }
}
