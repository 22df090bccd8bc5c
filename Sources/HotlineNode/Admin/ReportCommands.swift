import Foundation
import HotlineCore

/// The centre's monthly bulletin (月通报), its open-data edition, typical cases and early warnings (预警).
enum ReportCommands {
    static var all: [CommandHandler] { [report, typical, alerts] }

    static let report = CommandHandler(spec: CommandSpec(
        name: "report", summary: "the monthly bulletin (HTML, CSV or JSON) · 月通报",
        usage: "report --month YYYY-MM [--out FILE] [--format html|csv|json] [--public]",
        options: [.value("--month", "the month, e.g. 2026-03"),
                  .value("--out", "file to write (printed to the terminal when absent)"),
                  .value("--format", "html (default, or from the --out name), csv (with a BOM, for Excel) or json"),
                  .flag("--public", "the open-data edition: no ticket ids, request texts or personal data (JN §33)"),
                  .flag("--json", "print a JSON summary")],
        examples: ["hotline-city report --data DIR --month 2026-03 --out 月通报-2026-03.html",
                   "hotline-city report --data DIR --month 2026-03 --format csv --out bulletin-2026-03.csv",
                   "hotline-city report --data DIR --month 2026-03 --public --out open-data-2026-03.html"],
        readsOnly: true
    )) { args, env in
        let (year, month) = try monthArgument(args, env)
        let format = try formatArgument(args)
        let bulletin = try build(env, year: year, month: month, isPublic: args.flag("--public"))
        let content: String
        switch format {
        case "csv": content = BulletinCSV.render(bulletin)
        case "json": content = try jsonText(bulletin)
        default: content = BulletinHTML.render(bulletin)
        }
        let t = bulletin.totals
        let text = "\(bulletin.title): 受理 \(t.received) 件, 派单 \(t.dispatched), 办结 \(t.closed), 超期 \(t.overdue), "
            + "督办 \(t.supervisions); \(bulletin.units.count) 个承办单位, \(bulletin.typicalCases.count) 个典型案例 (\(format))"
        return .document(content, text: text, json: [
            "month": bulletin.month, "format": format, "public": bulletin.isPublic, "received": t.received,
            "dispatched": t.dispatched, "closed": t.closed, "overdue": t.overdue, "supervisions": t.supervisions,
            "units": bulletin.units.count, "typicalCases": bulletin.typicalCases.count, "bytes": content.utf8.count,
        ])
    }

    static let typical = CommandHandler(spec: CommandSpec(
        name: "typical", summary: "choose a typical case for the bulletin · 典型案例",
        usage: "typical ID --summary TEXT [--month YYYY-MM] | typical ID --remove",
        options: [.value("--summary", "the case as it will be published: what was asked, what was done (no personal data)"),
                  .value("--month", "the bulletin it belongs to (default: the month the ticket was received)"),
                  .flag("--remove", "no longer a typical case"), .flag("--json", "print JSON")],
        examples: ["hotline-city typical JN-20260302-000001 --data DIR --summary '小区停水三天，供水集团连夜抢修，当日恢复供水'"]
    )) { args, env in
        let ticket = try env.ticketArgument(args)
        let db = env.context.db
        if args.flag("--remove") {
            try db.run("DELETE FROM typical_cases WHERE ticket = ?", [.text(ticket.id)])
            guard db.changes > 0 else { throw ServiceError.usage("\(ticket.id) is not a typical case") }
            return .success(text: "\(ticket.id): no longer a typical case", json: ["ticket": ticket.id, "removed": true])
        }
        let summary = try env.required(args, "--summary", example: "'小区停水三天，供水集团当日恢复供水'")
        let month: String
        if let m = args.value("--month") {
            guard parseMonth(m) != nil else { throw ServiceError.usage("--month \(m): give a month like 2026-03") }
            month = m
        } else {
            month = String(ChinaTime.date(of: ticket.receivedAt).iso.prefix(7))
        }
        try db.run("""
            INSERT INTO typical_cases(ticket, month, summary, marked, user) VALUES(?,?,?,?,?)
            ON CONFLICT(ticket) DO UPDATE SET month = excluded.month, summary = excluded.summary, marked = excluded.marked,
              user = excluded.user
            """, [.text(ticket.id), .text(month), .text(summary), .int(env.now.millis), .text(env.user)])
        return .success(text: "\(ticket.id): typical case of \(month)", json: ["ticket": ticket.id, "month": month, "summary": summary])
    }

    static let alerts = CommandHandler(spec: CommandSpec(
        name: "alerts", summary: "early warnings with the tickets behind them · 预警",
        usage: "alerts [--since YYYY-MM-DD] [--kind KIND] [--json]",
        options: [.value("--since", "first day to list (default: the last 7 days)"),
                  .value("--kind", "only one kind: topic-spike, area-spike, cluster, repeat-caller, near-overdue, not-signed, overdue, chronic, repeated-unsatisfied, late-return, not-dispatched, refused-to-sign, refer-discipline"),
                  .flag("--json", "print JSON, with every ticket of each warning (the text names the first 20)")],
        examples: ["hotline-city alerts --data DIR", "hotline-city alerts --data DIR --kind cluster --since 2026-03-01 --json"]
    )) { args, env in
        // Look now, so the list is current; new warnings also go to the log once this command commits.
        try env.service.scanAlerts(now: env.now, force: true)
        var since = ChinaTime.startOfDay(ChinaTime.date(of: env.now).adding(days: -6))
        if let s = args.value("--since") {
            guard let d = LocalDate(iso: s) else { throw ServiceError.usage("--since \(s): give a date like 2026-03-01") }
            since = ChinaTime.startOfDay(d)
        }
        var kind: AlertKind?
        if let k = args.value("--kind") {
            guard let parsed = AlertKind(rawValue: k) else {
                throw ServiceError.usage("--kind \(k): use \(AlertKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
        }
        let entries = try AlertLog(db: env.context.db).list(since: since, kind: kind)
        let topology = env.context.topology
        var lines: [String] = []
        var json: [[String: Any]] = []
        for entry in entries {
            let a = entry.alert
            var tickets: [[String: Any]] = []
            var ticketText: [String] = []
            // From the columns: a warning may stand for thousands of tickets (a cluster, the clocks of a week).
            for t in try env.service.repository.lines(a.tickets) {
                let holder = TicketPresenter.nodeLabel(t.holder, topology)
                tickets.append(["id": t.id, "status": t.status.rawValue, "holder": t.holder, "topic": t.topic, "area": t.area])
                ticketText.append("      \(t.id)  \(Bulletin.statusName(t.status))  \(holder)  \(t.topic)  \(t.area)")
            }
            lines.append("\(ChinaTime.localText(entry.raised))  [\(a.kind.chinese)] \(a.message)  (\(a.basis))")
            // A spike of a busy topic stands for hundreds of tickets: a screen shows the first, --json has them all.
            lines += ticketText.prefix(alertTicketLines)
            if ticketText.count > alertTicketLines {
                lines.append("      … \(ticketText.count - alertTicketLines) more (alerts --json lists every ticket)")
            }
            json.append(["raised": entry.raised.iso8601, "kind": a.kind.rawValue, "subject": a.subject, "message": a.message,
                         "basis": a.basis, "key": a.key, "tickets": tickets])
        }
        let header = "预警 since \(ChinaTime.localText(since)): \(entries.count)"
        return .success(text: ([header] + lines).joined(separator: "\n"), json: json)
    }

    /// Tickets named under each warning in the text answer.
    static let alertTicketLines = 20

    // MARK: - Building

    static func build(_ env: CommandEnvironment, year: Int, month: Int, isPublic: Bool) throws -> MonthlyBulletin {
        guard let (first, last) = Bulletin.days(year: year, month: month) else {
            throw ServiceError.usage("no such month \(year)-\(month)")
        }
        let repository = env.service.repository
        let tickets = try repository.withEvents(from: first.adding(days: -31), to: last)
        let monthText = String(first.iso.prefix(7))
        var marks: [TypicalMark] = []
        for row in try env.context.db.query("SELECT ticket, summary FROM typical_cases WHERE month = ? ORDER BY marked, ticket",
                                            [.text(monthText)]) {
            guard let id = row.string(0), let ticket = try repository.load(id) else { continue }
            marks.append(TypicalMark(ticket: ticket, summary: row.string(1) ?? ""))
        }
        let topology = env.context.topology
        var names: [String: String] = [:], countyOf: [String: String] = [:]
        for node in topology.nodes {
            names[node.id] = node.name
            if let c = topology.county(of: node.id) { countyOf[node.id] = c }
        }
        let cityName = topology.cityName ?? topology.city?.name ?? env.context.nodeId
        let input = BulletinInput(tickets: tickets, year: year, month: month, profile: env.context.profile,
                                  cityName: cityName, names: names, countyOf: countyOf,
                                  counties: topology.nodes.filter { $0.kind == .county }.map(\.id),
                                  centre: env.context.nodeId, typical: marks, generatedAt: env.now, isPublic: isPublic)
        guard let bulletin = Bulletin.build(input) else { throw ServiceError.usage("no such month \(year)-\(month)") }
        return bulletin
    }

    static func jsonText(_ b: MonthlyBulletin) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(b), as: UTF8.self) + "\n"
    }

    static func parseMonth(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m),
              (2000...2100).contains(y) else { return nil }
        return (y, m)
    }

    static func monthArgument(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> (Int, Int) {
        guard let text = args.value("--month") else {
            throw ServiceError.usage("report needs --month YYYY-MM, e.g. --month \(ChinaTime.date(of: env.now).iso.prefix(7))")
        }
        guard let month = parseMonth(text) else { throw ServiceError.usage("--month \(text): give a month like 2026-03") }
        return month
    }

    static func formatArgument(_ args: ParsedArguments) throws -> String {
        if let f = args.value("--format") {
            guard ["html", "csv", "json"].contains(f) else { throw ServiceError.usage("--format \(f): use html, csv or json") }
            return f
        }
        let out = (args.value("--out") ?? "").lowercased()
        if out.hasSuffix(".csv") { return "csv" }
        if out.hasSuffix(".json") { return "json" }
        return "html"
    }
}
