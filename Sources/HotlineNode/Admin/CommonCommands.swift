import Foundation
import HotlineCore
import HotlineNet
import HotlineStore

/// Commands every node has: show, list, inbox, status.
enum CommonCommands {
    static func all(tool: String) -> [CommandHandler] {
        [show(tool), list(tool), inbox(tool), status(tool), notices(tool), audit(tool), rotateKey(tool), NodeBackup.command, TopologyCommand.command, CalendarCommand.command]
    }

    /// 访问审计 — who read personal data, when, which ticket and which fields.
    static func audit(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "audit", summary: "who read personal data, and when · 访问审计",
            usage: "audit [--ticket ID] [--user U] [--limit N] [--json]",
            options: [.value("--ticket", "only this ticket"), .value("--user", "only this operating-system user"),
                      .value("--limit", "the newest N records (default 100)"), .flag("--json", "print JSON")],
            examples: ["\(tool) audit --data DIR --ticket JN-20260302-000001", "\(tool) audit --data DIR --user zhangsan --json"],
            // A year of a city's centre is millions of records; one ticket's are found by walking them back from
            // the newest (0.2 s over 3.6 million): beside the work loop, not on it.
            readsOnly: true
        )) { args, env in
            var sql = "SELECT at, user, command, ticket, fields FROM audit WHERE 1=1"
            var values: [SQLValue] = []
            if let t = args.value("--ticket") { sql += " AND ticket = ?"; values.append(.text(t)) }
            if let u = args.value("--user") { sql += " AND user = ?"; values.append(.text(u)) }
            sql += " ORDER BY id DESC LIMIT ?"
            values.append(.int(Int64(try args.int("--limit") ?? 100)))
            let rows = try env.context.db.query(sql, values).map { r -> [String: Any] in
                ["at": Timestamp(millis: r.int(0) ?? 0).iso8601, "user": r.string(1) ?? "", "command": r.string(2) ?? "",
                 "ticket": r.string(3) ?? "", "fields": r.string(4) ?? ""]
            }
            let text = Table.render(header: ["时间 at", "用户 user", "命令 command", "工单 ticket", "字段 fields"], rows: rows.map {
                [TicketPresenter.shortTime(Timestamp(iso8601: $0["at"] as? String ?? "") ?? Timestamp(millis: 0)),
                 $0["user"] as? String ?? "", $0["command"] as? String ?? "", $0["ticket"] as? String ?? "", $0["fields"] as? String ?? ""]
            }) + "\n\(rows.count) record(s)"
            return .success(text: text, json: rows)
        }
    }

    /// Replaces the key sealing personal data at rest and re-encrypts everything under it, a slice per round of the
    /// work loop (`Sweep.Job.reseal`); the old key leaves the key file only after the last slice's commit, so a
    /// crash at any point loses nothing, and a node that stops goes on where it was.
    static func rotateKey(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "rotate-key", summary: "new data key; re-encrypt personal data at rest · 轮换数据密钥",
            usage: "rotate-key [--json]", options: [.flag("--json", "print JSON")],
            examples: ["\(tool) rotate-key --data DIR"]
        )) { _, env in
            let ring = env.context.keyring
            try ring.addKey()
            try ring.save()
            try env.service.startSweep(Sweep(job: .reseal, node: env.context.nodeId, since: ChinaTime.date(of: env.now).iso))
            try env.service.repository.audit(at: env.now, user: env.user, command: "rotate-key", ticket: nil, fields: "key:\(ring.current)")
            return .success(text: "data key \(ring.current): personal data at rest is being re-encrypted under it, a slice at a time beside the node's other work; the older keys leave the key file once all is (data-key-rotated in the log; `status` shows how far)",
                            json: ["key": ring.current, "started": true])
        }
    }

    static func show(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "show", summary: "a ticket and its whole history · 查看工单", usage: "show ID [--json]",
            options: [.flag("--json", "print JSON")], examples: ["\(tool) show JN-20260302-000001 --data DIR"]
        )) { args, env in
            let ticket = try env.ticketArgument(args)
            try env.service.repository.audit(at: env.now, user: env.user, command: "show", ticket: ticket.id,
                                             fields: ticket.caller.name != nil || ticket.caller.phone != nil ? "caller.name,caller.phone" : "")
            return .success(text: TicketPresenter.detailText(ticket, now: env.now, topology: env.context.topology),
                            json: TicketPresenter.detail(ticket, now: env.now))
        }
    }

    /// The most tickets one `list` answers: reading and formatting a ticket takes about 75 µs of the work loop
    /// (a whole million-ticket city took 77 s, and its 567 MB answer was more than an answer may be).
    static let listMost = 20_000

    static func list(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "list", summary: "tickets at this node · 工单列表",
            usage: "list [--status S] [--overdue] [--node N] [--limit N] [--json]",
            options: [.value("--status", "a status word, e.g. dispatched"), .flag("--overdue", "only overdue tickets"),
                      .value("--node", "only tickets held by this node"),
                      .value("--limit", "the newest N (default: all; an answer holds at most \(listMost))"),
                      .flag("--json", "print JSON")],
            examples: ["\(tool) list --data DIR --status signed", "\(tool) list --data DIR --overdue --json",
                       "\(tool) list --data DIR --limit 100"],
            writesNothing: true
        )) { args, env in
            if let s = args.value("--status"), TicketStatus(rawValue: s) == nil {
                throw ServiceError.usage("unknown status \(s); statuses: \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let status = args.value("--status"), holder = args.value("--node"), overdueAt = args.flag("--overdue") ? env.now : nil
            let limit = try args.int("--limit") ?? 0
            // A limit within the bound needs no count; no limit, or a larger one ("all" in a script), counts first.
            if limit <= 0 || limit > listMost {
                let matching = try env.service.repository.count(status: status, holder: holder, overdueAt: overdueAt)
                guard matching <= listMost else {
                    throw ServiceError.refused("\(matching) tickets match; list answers at most \(listMost) at once (it holds the node's work loop while it reads them): narrow it with --status, --node or --overdue, take the newest with --limit N (up to \(listMost)), or use `report --month YYYY-MM --format csv` for a month's tickets")
                }
            }
            let tickets = try env.service.repository.list(status: status, holder: holder, overdueAt: overdueAt, limit: limit)
            return .success(text: TicketPresenter.table(tickets, now: env.now, topology: env.context.topology),
                            json: tickets.map { TicketPresenter.summary($0, now: env.now) })
        }
    }

    /// The tickets waiting for this node to act: held here and not yet finished.
    static func inbox(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "inbox", summary: "tickets waiting for this node · 待办工单", usage: "inbox [--json]",
            options: [.flag("--json", "print JSON")], examples: ["\(tool) inbox --data DIR"]
        )) { _, env in
            let me = env.context.nodeId
            let repo = env.service.repository
            var rows: [(Ticket, String)] = []
            for t in try repo.list(status: nil, holder: nil, overdueAt: nil, unfinished: true, limit: 0) {
                if env.context.role == .city {
                    // The centre acts on new, returned and replied tickets, and on every pending request.
                    let waiting: Set<TicketStatus> = [.received, .waitingMaterial, .returned, .replied, .reviewed]
                    if waiting.contains(t.status) || t.pending != nil { rows.append((t, t.pending.map { "decide-\($0.rawValue)" } ?? t.status.rawValue)) }
                } else if t.holder == me && [.dispatched, .signed, .suspended].contains(t.status) {
                    rows.append((t, "lead"))
                } else if t.assisting.contains(me), [.dispatched, .signed].contains(t.status),
                          !(try repo.events(of: t.id)).contains(where: { $0.type == .assistReported && $0.node == me }) {
                    rows.append((t, "assist"))
                }
            }
            let tickets = rows.map(\.0)
            return .success(text: TicketPresenter.table(tickets, now: env.now, topology: env.context.topology),
                            json: rows.map { t, role -> [String: Any] in
                                var o = TicketPresenter.summary(t, now: env.now)
                                o["inboxRole"] = role
                                return o
                            })
        }
    }

    /// 通知 — what other nodes told this one: refusals of its messages, knowledge-base error reports and supervisions.
    static func notices(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "notices", summary: "notices from other nodes: refusals, knowledge-base reports · 通知",
            usage: "notices [--limit N] [--json]",
            options: [.value("--limit", "the newest N (default 50)"), .flag("--json", "print JSON")],
            examples: ["\(tool) notices --data DIR"]
        )) { args, env in
            let limit = try args.int("--limit") ?? 50
            let rows = try env.context.db.query("SELECT at, origin, ticket, text FROM notices ORDER BY id DESC LIMIT ?",
                                                [.int(Int64(max(limit, 1)))])
            let items = rows.map { r -> [String: Any] in
                ["at": Timestamp(millis: r.int(0) ?? 0).iso8601, "from": r.string(1) ?? "", "ticket": r.string(2) ?? "",
                 "text": r.string(3) ?? ""]
            }
            let text = items.isEmpty ? "no notices" : items.map {
                "\(ChinaTime.localText(Timestamp(iso8601: $0["at"] as? String ?? "") ?? Timestamp(millis: 0)))  \($0["from"] ?? "")  \(($0["ticket"] as? String).flatMap { $0.isEmpty ? nil : $0 + "  " } ?? "")\($0["text"] ?? "")"
            }.joined(separator: "\n")
            return .success(text: text, json: items)
        }
    }

    static func status(_ tool: String) -> CommandHandler {
        CommandHandler(spec: CommandSpec(
            name: "status", summary: "the node, its links and queues · 节点状态", usage: "status [--check] [--json]",
            options: [.flag("--json", "print JSON"),
                      .flag("--check", "only what needs attention, exit 1 if anything does (for monitoring: cron, Nagios, Zabbix)")],
            examples: ["\(tool) status --data DIR", "\(tool) status --check --data DIR || mail -s 'hotline node' it@example.gov.cn"],
            writesNothing: true
        )) { args, env in
            let c = env.context
            let status = env.links
            let links = status.map { l -> [String: Any] in
                var link: [String: Any] = ["peer": l.peer, "up": l.up, "pending": l.pending, "lastError": l.lastError ?? "",
                                           "restored": l.restored]
                if let skew = l.clockSkewMillis { link["clockSkewMs"] = skew }
                if let other = l.otherProfile { link["otherProfile"] = other }
                if let down = l.downSince { link["downSince"] = down.at.iso8601 }
                if let stalled = l.stalledForMillis { link["stalledMs"] = stalled }
                return link
            }
            var lines = ["\(c.selfNode.name) (\(c.nodeId), \(c.role.rawValue)), profile \(c.profileStamp), clock \(c.clock.now.iso8601) (\(c.clock.mode.rawValue))"]
            /// What `--check` reports: each a line an operator can act on.
            var problems: [String] = []
            for l in status {
                if let down = l.downSince, down.forMillis >= NodeDaemon.outageWarnMillis {
                    problems.append("link \(l.peer) down since \(ChinaTime.localText(down.at)) (\(Self.duration(down.forMillis))), \(max(l.pending, 0)) queued")
                }
                if let stalled = l.stalledForMillis {
                    problems.append("link \(l.peer) stalled: none of the \(max(l.pending, 0)) queued acknowledged in \(Self.duration(stalled)) up")
                }
                if let skew = l.clockSkewMillis, ClockSkew.isFar(skew) {
                    problems.append("\(l.peer)'s clock is \(ClockSkew.describe(skew)) this node's")
                }
                if let other = l.otherProfile {
                    problems.append(ProfileStamp.problem(peer: l.peer, theirs: other, ours: c.profileStamp))
                }
                let since = l.downSince.map { " since \(ChinaTime.localText($0.at)) (\(Self.duration($0.forMillis)))" } ?? ""
                lines.append("  link \(l.peer): \(l.up ? "up" : "down\(since)")\(l.pending > 0 ? ", \(l.pending) queued" : "")"
                             + "\(l.restored ? ", resuming after a restore (until its first message arrives)" : "")\(l.lastError.map { " — \($0)" } ?? "")"
                             + (l.stalledForMillis.map { " — STALLED: nothing acknowledged in \(Self.duration($0)) up" } ?? "")
                             + (l.clockSkewMillis.map { ClockSkew.isFar($0) ? " — its clock is \(ClockSkew.describe($0)) this node's: synchronise the clocks (NTP)" : "" } ?? "")
                             + (l.otherProfile.map { " — it decides by the profile \($0), this node by \(c.profileStamp)" } ?? ""))
            }
            var certificate: [String: Any]?
            if let expiry = env.service.certificateExpiry {
                let days = CertificateWatch.daysLeft(expiry, now: Int64(Date().timeIntervalSince1970 * 1000))
                let until = Timestamp(millis: expiry.millis)
                certificate = ["notAfter": until.iso8601, "daysLeft": days, "file": expiry.file]
                // The chain's end is a certificate's, or the revocation list's (after which every peer is refused).
                let what = expiry.file.hasSuffix("crl.pem") ? "revocation list" : "certificate"
                if days < CertificateWatch.warnDays {
                    problems.append(days < 0 ? "\(what) expired on \(ChinaTime.localText(until)) (\(expiry.file))"
                                    : "\(what) expires on \(ChinaTime.localText(until)), in \(days) days (\(expiry.file))")
                }
                lines.append(days < 0 ? "  \(what.uppercased()) EXPIRED on \(ChinaTime.localText(until)) (\(expiry.file)): neighbours refuse this node; see the certificate-expired line in the log"
                             : "  \(what) valid until \(ChinaTime.localText(until)), \(days) days (\(expiry.file))"
                             + (days < CertificateWatch.warnDays ? ": RENEW IT (deploy/pki/README.md)" : ""))
            }
            let revocation = env.service.revocationList
            if let list = revocation {
                lines.append("  revocation list \(list.file): \(list.lists) list\(list.lists == 1 ? "" : "s")"
                             + (list.nextUpdateMillis.map { ", valid until \(ChinaTime.localText(Timestamp(millis: $0)))" } ?? ""))
            }
            if let disk = env.service.diskSpace, DiskWatch.isLow(disk) {
                problems.append("disk low: \(DiskSpace.text(disk.available)) free of \(DiskSpace.text(disk.total)) (\(disk.percentFree) %)")
            }
            if let failure = env.service.storageFailure { problems.append("storage failing: \(failure)") }
            if let backup = NodeBackup.last(c.db) {
                let age = env.now.millis - backup.at.millis
                lines.append("  last backup: \(ChinaTime.localText(backup.at)) (\(Self.duration(age)) ago), \(backup.path)")
                if age > NodeBackup.staleAfterMillis {
                    problems.append("the last backup was \(Self.duration(age)) ago (\(ChinaTime.localText(backup.at)), \(backup.path)): is the backup job still running?")
                }
            } else {
                lines.append("  last backup: none taken with `backup` on this database")
                // A node set up without its backup timer: said once it holds a week of tickets, as a stopped job is.
                if let oldest = try NodeBackup.oldestTicket(c.db), env.now.millis - oldest.millis > NodeBackup.staleAfterMillis {
                    problems.append("no backup of this database was ever taken, and it holds tickets since \(ChinaTime.localText(oldest)): enable its backup timer (`systemctl enable --now hotline-backup@\(c.nodeId).timer`; README, Backup and restore)")
                }
            }
            if let disk = env.service.diskSpace {
                lines.append("  disk: \(DiskSpace.text(disk.available)) free of \(DiskSpace.text(disk.total)) (\(disk.percentFree) %)"
                             + (DiskWatch.isLow(disk) ? ": LOW, free space before it is full (see the disk-low line in the log)" : ""))
            }
            if let failure = env.service.storageFailure { lines.append("  STORAGE FAILING: \(failure)") }
            let topologyWaiting = TopologyCommand.installedAndWaiting(c)
            if topologyWaiting {
                problems.append("a new topology file is installed and not yet in use: restart the node (`topology` shows it)")
                lines.append("  topology: a new file is installed; restart the node to use it")
            }
            let calendar = c.deadlines.calendar
            let missing = CalendarWatch.missing(calendar, today: ChinaTime.date(of: c.clock.now))
            var missingYears: [[String: Any]] = []
            for year in missing {
                let open = try CalendarWatch.openTickets(deadlineIn: year, db: c.db)
                missingYears.append(["year": year, "openTickets": open])
                problems.append(CalendarWatch.problem(year: year, openTickets: open))
            }
            lines.append("  working-day calendar: \(calendar.coveredYears.map(String.init).joined(separator: ", "))"
                         + (missing.isEmpty ? "" : "; MISSING \(missing.map(String.init).joined(separator: ", ")): see `calendar`"))
            let recovery = try env.service.recoveryState()
            if let at = recovery.awaiting {
                problems.append("restored from a backup: run `hotline-city recover --since \(at.prefix(10))`")
                lines.append("  restored from the backup of \(at): run `hotline-city recover --since \(at.prefix(10))`; until then no ticket.sync is sent")
            }
            if !recovery.waitingFor.isEmpty {
                lines.append("  recover: waiting for the copies of \(recovery.waitingFor.joined(separator: ", "))")
            }
            if args.flag("--check") {
                let text = problems.isEmpty
                    ? "OK: \(c.selfNode.name) (\(c.nodeId))"
                    : "ATTENTION: \(c.selfNode.name) (\(c.nodeId)), \(problems.count) problem\(problems.count == 1 ? "" : "s")\n"
                      + problems.map { "  - " + $0 }.joined(separator: "\n")
                return AdminResponse(exitCode: problems.isEmpty ? 0 : 1, text: text,
                                     json: ["node": c.nodeId, "ok": problems.isEmpty, "problems": problems] as [String: Any])
            }
            let sweeps = try env.service.sweeps()
            for w in sweeps {
                lines.append("  " + w.summary)
            }
            let rounds = env.service.rounds ?? RoundWatch.Summary(slowMilliseconds: c.config.slowRoundMilliseconds)
            if let m = rounds.lastMinute {
                func pct(_ v: Double) -> String { "\(Int((100 * m.share(v)).rounded())) %" }
                lines.append("  work loop, last minute: busy \(pct(m.load.busy)) (taking in and deciding \(pct(m.load.work)), "
                             + "committing \(pct(m.load.commit)), sending and answering \(pct(m.load.after))), its CPU \(pct(m.load.cpu)), "
                             + "\(m.load.rounds) round\(m.load.rounds == 1 ? "" : "s")")
            }
            if rounds.slow > 0 {
                lines.append("  \(rounds.slow) of \(rounds.rounds) work-loop rounds took \(rounds.slowMilliseconds) ms or more (slowest \(RoundWatch.ms(rounds.slowestMilliseconds)) ms, last \(rounds.lastSlow.map { ChinaTime.localText($0) } ?? "")); see the slow-round lines of the log")
            }
            return .success(text: lines.joined(separator: "\n"), json: [
                "node": c.nodeId, "role": c.role.rawValue, "name": c.selfNode.name, "profile": c.profile.id, "profileStamp": c.profileStamp,
                "clock": c.clock.now.iso8601, "clockMode": c.clock.mode.rawValue, "links": links,
                "storageFailure": env.service.storageFailure ?? "", "topologyInstalledForNextStart": topologyWaiting, "certificate": certificate ?? NSNull(),
                "calendar": ["years": calendar.coveredYears, "missing": missingYears] as [String: Any],
                "revocationList": revocation.map { l -> [String: Any] in
                    ["file": l.file, "lists": l.lists, "nextUpdate": l.nextUpdateMillis.map { Timestamp(millis: $0).iso8601 } ?? ""]
                } ?? NSNull(),
                "lastBackup": NodeBackup.last(c.db).map { ["at": $0.at.iso8601, "path": $0.path] as [String: Any] } ?? NSNull(),
                "disk": env.service.diskSpace.map { ["availableBytes": $0.available, "totalBytes": $0.total,
                                                    "low": DiskWatch.isLow($0)] as [String: Any] } ?? NSNull(),
                "recovery": ["awaitingRecover": recovery.awaiting ?? "", "waitingFor": recovery.waitingFor] as [String: Any],
                "sweeps": sweeps.map { ["job": $0.job.rawValue, "node": $0.node, "since": $0.since, "visited": $0.visited,
                                        "sent": $0.sent, "skipped": $0.skipped ?? 0, "queued": $0.queued ?? 0,
                                        "progress": $0.progress] as [String: Any] },
                "rounds": ["count": rounds.rounds, "slow": rounds.slow, "slowMs": rounds.slowMilliseconds,
                           "slowestMs": (rounds.slowestMilliseconds * 10).rounded() / 10,
                           "lastSlow": rounds.lastSlow?.iso8601 ?? "",
                           "workMs": Self.tenths(rounds.total.work), "commitMs": Self.tenths(rounds.total.commit),
                           "afterMs": Self.tenths(rounds.total.after), "cpuMs": Self.tenths(rounds.total.cpu),
                           "lastMinute": rounds.lastMinute.map { m -> [String: Any] in
                               ["spanMs": Self.tenths(m.span), "rounds": m.load.rounds,
                                "busy": Self.thousandths(m.share(m.load.busy)), "work": Self.thousandths(m.share(m.load.work)),
                                "commit": Self.thousandths(m.share(m.load.commit)), "after": Self.thousandths(m.share(m.load.after)),
                                "cpu": Self.thousandths(m.share(m.load.cpu))]
                           } ?? [:]] as [String: Any],
            ])
        }
    }
}

extension CommonCommands {
    /// Milliseconds to a tenth and shares to a thousandth in `status --json`: what a person or a tool compares.
    static func tenths(_ v: Double) -> Double { (v * 10).rounded() / 10 }

    /// "3 h 12 min", "45 s": how long a link has been down, how old the last backup is.
    static func duration(_ millis: Int64) -> String {
        let s = max(0, millis) / 1000
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min" }
        if s < 86_400 { return "\(s / 3600) h \(s / 60 % 60) min" }
        return "\(s / 86_400) d \(s / 3600 % 24) h"
    }
    static func thousandths(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}

/// The command tables of the three executables.
enum OperatorCommands {
    static func handlers(for role: NodeKind) -> [CommandHandler] {
        let tool = "hotline-\(role.rawValue)"
        switch role {
        case .city: return CityCommands.all + CommonCommands.all(tool: tool) + [FigureCommands.figures] + ReportCommands.all
            + [KnowledgeCommands.kb(role: role)]
        case .county: return HandlerCommands.all(tool: tool, county: true) + CommonCommands.all(tool: tool) + [KnowledgeCommands.kb(role: role)]
        case .unit: return HandlerCommands.all(tool: tool, county: false) + CommonCommands.all(tool: tool) + [KnowledgeCommands.kb(role: role)]
        }
    }
}
