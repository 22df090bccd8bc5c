import Foundation
import HotlineCore

/// The centre's commands (市热线工作机构): intake and decisions. Names and flags are a contract (issue 4).
enum CityCommands {
    static let channels = ["phone", "sms", "app", "wechat", "weibo", "mailbox", "web", "transfer"]

    static var all: [CommandHandler] {
        [intake, answer, reject, refer, material, dispatch, decide, review, callback, supervise, escalate, close,
         terminate, suspend, resume, reopen, archive, clock, resync, recover]
    }

    /// 重新同步 — after a county station or a unit was restored from a backup, the centre sends it its own copy
    /// (`ticket.sync`, personal data minimised as for any message to it) of every ticket that concerns it and changed
    /// since the backup's day: what the lost messages carried comes back from the system of record. For a county
    /// station, the units below it that a ticket concerns get the centre's copy too.
    static let resync = CommandHandler(spec: CommandSpec(
        name: "resync", summary: "send a restored node the centre's copy of its tickets · 重新同步",
        usage: "resync --node NODE --since YYYY-MM-DD [--json]",
        options: [.value("--node", "the county station or unit that was restored"),
                  .value("--since", "the backup's day: tickets changed on or after it are sent"),
                  .flag("--json", "print JSON")],
        examples: ["hotline-city resync --data DIR --node jn-lixia-jfl --since 2026-03-05"]
    )) { args, env in
        let topology = env.context.topology
        guard let id = args.value("--node") else { throw ServiceError.usage("resync needs --node NODE, the restored county station or unit") }
        guard let node = topology.node(id), node.kind != .city else {
            let names = topology.nodes.filter { $0.kind != .city }.map(\.id).joined(separator: ", ")
            throw ServiceError.usage("--node \(id) is not a county station or unit of the topology; they are: \(names)")
        }
        guard let s = args.value("--since"), let day = LocalDate(iso: s) else {
            throw ServiceError.usage("resync needs --since YYYY-MM-DD, the day of the backup that was restored, e.g. --since 2026-03-05")
        }
        // A forward made before now that reaches the centre later is not in what is sent: it is sent on when it
        // arrives (`resyncMissedForward`).
        for node in env.service.resyncScope(id) { try env.context.db.setMeta(TicketService.resyncedKey(node), String(env.now.millis)) }
        try env.service.startSweep(Sweep(job: .resync, node: id, since: day.iso))
        try env.service.repository.audit(at: env.now, user: env.user, command: "resync", ticket: nil,
                                         fields: "node:\(id) since:\(day.iso)")
        env.service.logAfterCommit("resync-started", ["node": id, "since": day.iso, "user": env.user])
        return .success(text: "resync of \(id) (\(node.name)) started: every ticket changed since \(day.iso) that concerns it goes to it, a slice at a time beside the centre's other work, each replacing its copy there; `status` shows how far it is, and the log line resync-done says how many were sent",
                        json: ["node": id, "since": day.iso, "started": true])
    }

    /// 追回记录 — after the centre itself was restored from a backup, it asks its county stations and units for their
    /// copies of every ticket changed since the backup's day (`ticket.recall`) and takes from each copy the events
    /// its record lacks (`TicketService.takeCopy`): tickets taken in after the backup, its own decisions sent down,
    /// and the steps reported up that it had acknowledged before its disk was lost.
    static let recover = CommandHandler(spec: CommandSpec(
        name: "recover", summary: "after the centre was restored: take back from the county stations and units what the backup lacks · 追回记录",
        usage: "recover --since YYYY-MM-DD [--node NODE]... [--json] | recover --close NODE",
        options: [.value("--since", "the restored backup's day: tickets changed on or after it are asked for"),
                  .repeated("--node", "only these county stations or units (default: every one)"),
                  .value("--close", "stop waiting for this node's copies (it cannot answer); its tickets can be decided on again"),
                  .flag("--json", "print JSON")],
        examples: ["hotline-city recover --data DIR --since 2026-03-05", "hotline-city recover --data DIR --close jn-lixia-jfl"]
    )) { args, env in
        let topology = env.context.topology
        if let node = args.value("--close") {
            guard args.value("--since") == nil, args.values("--node").isEmpty else {
                throw ServiceError.usage("--close NODE stands alone: recover --close NODE")
            }
            guard try env.context.db.meta(TicketService.recallKey(node)) != nil else {
                let open = try env.service.openRecalls()
                throw ServiceError.usage("the centre is not waiting for copies from \(node)" + (open.isEmpty ? "" : "; it is waiting for \(open.joined(separator: ", "))"))
            }
            try env.context.db.removeMeta(TicketService.recallKey(node))
            try env.service.repository.audit(at: env.now, user: env.user, command: "recover", ticket: nil, fields: "close:\(node)")
            env.service.logAfterCommit("recall-closed", ["node": node, "user": env.user])
            try env.service.finishRecovery(now: env.now)
            return .success(text: "no longer waiting for the copies of \(node); what it had not sent is not in the record, and a copy it sends later is refused",
                            json: ["closed": node])
        }
        guard let s = args.value("--since"), let day = LocalDate(iso: s) else {
            throw ServiceError.usage("recover needs --since YYYY-MM-DD, the day of the backup the centre was restored from, e.g. --since 2026-03-05")
        }
        // Copies are taken on the copying node's word and hold up decisions until every node has answered: only for
        // a record that lost something.
        guard try env.context.db.meta("restored.from") != nil else {
            throw ServiceError.usage("recover is for a centre restored from a backup (hotline-city restore); this centre's record was never restored, so it is the record: nothing to take back")
        }
        let all = topology.nodes.filter { $0.kind != .city }.map(\.id)
        let asked = args.values("--node")
        for id in asked where !all.contains(id) {
            throw ServiceError.usage("--node \(id) is not a county station or unit of the topology; they are: \(all.joined(separator: ", "))")
        }
        var seen = Set<String>()
        let nodes = asked.isEmpty ? all : asked.filter { seen.insert($0).inserted }
        let reason = "the centre was restored from a backup of \(day.iso)"
        try env.context.db.removeMeta(TicketService.awaitingRecoverKey)
        try env.context.db.setMeta(TicketService.recoverSinceKey, day.iso)
        for node in nodes {
            let id = RandomID.uuid()
            try env.context.db.setMeta(TicketService.recallKey(node), id)
            let body = RecallBody(since: day.iso, reason: reason)
            try env.service.send(.ticketRecall, body: try env.service.encode(body), to: node, now: env.now, id: id)
        }
        if nodes.isEmpty { try env.service.finishRecovery(now: env.now) }
        try env.service.repository.audit(at: env.now, user: env.user, command: "recover", ticket: nil,
                                         fields: "since:\(day.iso) nodes:\(nodes.count)")
        env.service.logAfterCommit("recall-sent", ["since": day.iso, "nodes": "\(nodes.count)", "user": env.user])
        return .success(text: "asked \(nodes.count) county station(s) and unit(s) for their copies of the tickets changed since \(day.iso); "
                            + "what the record lacks is taken as they answer (log: ticket-recovered; recall-done when a node has sent all)",
                        json: ["since": day.iso, "nodes": nodes])
    }

    static let intake = CommandHandler(spec: CommandSpec(
        name: "intake", summary: "record a new request · 受理诉求",
        usage: "intake --channel C --kind K --area A --topic T --text TEXT [--caller-name N] [--caller-phone P] [--confidential] [--no-reply] [--subject NODE] [--address ADDR] [--vulnerable GROUP]",
        options: [
            .value("--channel", "phone, sms, app, wechat, weibo, mailbox, web, transfer"),
            .value("--kind", "consult, help, suggest, complain, report, or the profile's own kinds"),
            .value("--area", "district or district/street, e.g. 历下区/解放路街道"),
            .value("--topic", "topic, e.g. 供水"), .value("--text", "what the caller said"),
            .value("--caller-name", "caller's name"), .value("--caller-phone", "caller's phone"),
            .flag("--confidential", "the caller asked that contact details be kept confidential"),
            .flag("--no-reply", "the caller wants no reply"),
            .value("--subject", "node id of the unit complained about"), .value("--address", "address of the matter"),
            .repeated("--vulnerable", "minor, elderly, disabled, women, migrant-worker"), .flag("--json", "print JSON"),
        ],
        examples: ["hotline-city intake --data DIR --channel phone --kind complain --area 历下区/解放路街道 --topic 供水 --text '停水三天' --caller-name 张三 --caller-phone 13812345678"]
    )) { args, env in
        let service = env.service
        let channel = try env.required(args, "--channel", example: "phone")
        guard channels.contains(channel) || env.context.profile.channels.value.contains(where: { $0 == channel }) else {
            throw ServiceError.usage("unknown channel \(channel); channels: \(channels.joined(separator: ", "))")
        }
        let kind = try env.required(args, "--kind", example: "complain")
        let area = try env.required(args, "--area", example: "历下区/解放路街道")
        let parts = area.split(separator: "/", maxSplits: 1).map(String.init)
        let topic = try env.required(args, "--topic", example: "供水")
        let text = try env.required(args, "--text", example: "'小区停水三天'")
        if let subject = args.value("--subject"), env.context.topology.node(subject) == nil {
            throw ServiceError.usage("--subject \(subject) is not a node of the topology")
        }
        let today = ChinaTime.date(of: env.now)
        var sequence = try env.context.db.nextCounter("ticket.\(today.iso)")
        if let floor = try NodeRestore.ticketFloor(env.context.db, on: today), sequence <= floor {
            // A restored centre: the lost database may have given out numbers of this day past the backup's.
            sequence = floor + 1
            try env.context.db.setMeta("counter.ticket.\(today.iso)", String(sequence))
        }
        let id = TicketID.make(prefix: env.context.profile.prefix, date: today, sequence: Int(sequence))
        let caller = CallerInfo(name: args.value("--caller-name"), phone: args.value("--caller-phone"),
                                confidential: args.flag("--confidential"), noReply: args.flag("--no-reply"),
                                vulnerable: args.values("--vulnerable"))
        let form = TicketIntake(id: id, channel: channel, kind: kind, topic: topic,
                                area: Area(district: parts[0], street: parts.count > 1 ? parts[1] : ""),
                                address: args.value("--address") ?? "", text: text, caller: caller,
                                subject: args.value("--subject"))
        let (ticket, events) = try service.perform(.receive(form), on: nil, now: env.now)
        return env.done(ticket, events)
    }

    static let answer = lifecycle("answer", "answer the caller on the spot · 直接答复",
                                  "answer ID [--text T] [--kb ENTRY]",
                                  [.value("--text", "the answer given"),
                                   .value("--kb", "the knowledge-base entry answered from (id or id@version); counted in the figures")]) { args, env in
        guard let ref = args.value("--kb") else {
            guard let text = args.text("--text") else { throw ServiceError.usage("answer needs --text T or --kb ENTRY") }
            return .answer(note: text)
        }
        let parts = ref.split(separator: "@", maxSplits: 1).map(String.init)
        let version = parts.count > 1 ? Int(parts[1]) : nil
        if parts.count > 1 && version == nil { throw ServiceError.usage("--kb \(ref): give an entry id, or id@version") }
        guard let entry = try env.service.knowledge.entry(parts[0], version: version), entry.status == .approved || version != nil,
              entry.status != .rejected, entry.status != .submitted else {
            throw ServiceError.usage("--kb \(ref) is not an approved knowledge-base entry; find one with kb search")
        }
        let note = args.text("--text") ?? entry.scripts.first ?? entry.title
        return .answer(note: note, kbEntry: "\(entry.id)@\(entry.version)")
    }

    static let reject = lifecycle("reject", "do not accept, with ground and basis · 不予受理",
                                  "reject ID --ground G --basis B",
                                  [.value("--ground", "one of the profile's grounds (jinan-2018: in-litigation-review-or-arbitration)"),
                                   .value("--basis", "the article relied on, told to the caller")]) { args, _ in
        guard let ground = args.value("--ground"), let basis = args.value("--basis") else {
            throw ServiceError.usage("reject needs --ground and --basis (the caller is told both)")
        }
        return .reject(ground: ground, basis: basis)
    }

    static let refer = lifecycle("refer", "refer to another channel (emergency lines, litigation, petition) · 转办其他渠道",
                                 "refer ID --to CHANNEL [--note N]",
                                 [.value("--to", "one of the profile's channels (jinan-2018: litigation, administrative-review, arbitration)"),
                                  .value("--note", "note")]) { args, _ in
        guard let to = args.value("--to") else { throw ServiceError.usage("refer needs --to, one of the profile's channels, e.g. --to litigation") }
        return .refer(to: to, note: args.value("--note") ?? "")
    }

    static let material = lifecycle("material", "ask the caller for material, or record it supplied · 补充材料",
                                    "material ID --request NOTE | --supplied NOTE",
                                    [.value("--request", "what is missing"), .value("--supplied", "what arrived")]) { args, _ in
        if let note = args.value("--request") { return .requestMaterial(note: note) }
        if let note = args.value("--supplied") { return .supplyMaterial(note: note) }
        throw ServiceError.usage("material needs --request NOTE or --supplied NOTE")
    }

    static let dispatch = CommandHandler(spec: CommandSpec(
        name: "dispatch", summary: "dispatch to a county station or unit · 派单",
        usage: "dispatch ID [--to NODE] [--assist NODE]... [--tier T]",
        options: [.value("--to", "lead county or unit (default: routed by area and topic)"),
                  .repeated("--assist", "assisting unit"), .value("--tier", "urgency tier of the profile"),
                  .flag("--json", "print JSON")],
        examples: ["hotline-city dispatch JN-20260302-000001 --data DIR", "hotline-city dispatch JN-20260302-000002 --data DIR --to jn-water --assist jn-lixia-jfl"],
        decidesBeforeWriting: true
    )) { args, env in
        let ticket = try env.ticketArgument(args)
        let topology = env.context.topology
        let to: String
        if let explicit = args.value("--to") {
            guard let node = topology.node(explicit), node.kind != .city else {
                throw ServiceError.usage("--to \(explicit) is not a county or unit of the topology")
            }
            to = explicit
        } else {
            let area = ticket.area.street.isEmpty ? ticket.area.district : "\(ticket.area.district)/\(ticket.area.street)"
            to = try topology.route(area: area, topic: ticket.topic).nodeId
        }
        for a in args.values("--assist") where topology.node(a) == nil {
            throw ServiceError.usage("--assist \(a) is not a node of the topology")
        }
        let (updated, events) = try env.service.perform(.dispatch(lead: to, assisting: args.values("--assist"),
                                                                  tier: args.value("--tier")), on: ticket, now: env.now)
        return env.done(updated, events)
    }

    static let decide = lifecycle("decide", "decide a return or extension request · 审核退单/延期",
                                  "decide ID --return approve|refuse | --extension approve|refuse [--reason R]",
                                  [.value("--return", "approve or refuse"), .value("--extension", "approve or refuse"),
                                   .value("--reason", "reason (required to refuse)")]) { args, _ in
        let reason = args.value("--reason") ?? ""
        switch (args.value("--return"), args.value("--extension")) {
        case ("approve", nil): return .approveReturn(note: reason)
        case ("refuse", nil): return .refuseReturn(reason: reason.isEmpty ? "the matter is within the unit's duty" : reason)
        case (nil, "approve"): return .approveExtension
        case (nil, "refuse"): return .refuseExtension(reason: reason.isEmpty ? "no sufficient reason" : reason)
        default: throw ServiceError.usage("decide needs exactly one of --return approve|refuse or --extension approve|refuse")
        }
    }

    static let review = lifecycle("review", "review a unit's reply · 审核办理结果",
                                  "review ID --pass | --send-back TEXT",
                                  [.flag("--pass", "the reply is acceptable"), .value("--send-back", "what is missing")]) { args, _ in
        if args.flag("--pass") { return .passReview }
        if let text = args.value("--send-back") { return .sendBack(reason: text) }
        throw ServiceError.usage("review needs --pass or --send-back TEXT")
    }

    static let callback = lifecycle("callback", "record the callback to the caller · 回访",
                                    "callback ID --satisfaction satisfied|basically|unsatisfied [--stars N] [--resolved yes|no] [--unreachable] [--lawful] [--send-back]",
                                    [.value("--satisfaction", "satisfied, basically, unsatisfied"), .value("--stars", "1–5 (star-rating profiles)"),
                                     .value("--resolved", "yes or no"), .flag("--unreachable", "the caller could not be reached"),
                                     .flag("--lawful", "the answer complies with law and policy (closes even if unsatisfied where the profile says so)"),
                                     .flag("--send-back", "the dissatisfaction is reasonable: send the ticket back to the unit")]) { args, env in
        var level: SatisfactionLevel?
        switch args.value("--satisfaction") {
        case "satisfied": level = .satisfied
        case "basically", "basically-satisfied": level = .basicallySatisfied
        case "unsatisfied": level = .unsatisfied
        case nil: level = nil
        case let other?: throw ServiceError.usage("--satisfaction is satisfied, basically or unsatisfied, not \(other)")
        }
        let unreachable = args.flag("--unreachable")
        guard level != nil || unreachable || args.value("--stars") != nil else {
            throw ServiceError.usage("callback needs --satisfaction, --stars or --unreachable")
        }
        var resolved: Bool?
        if let r = args.value("--resolved") { resolved = (r == "yes" || r == "true") }
        let lawful = args.flag("--lawful")
        return .recordCallback(CallbackResult(level: level, stars: try args.int("--stars"), resolved: resolved,
                                              unreachable: unreachable, lawfulAnswer: lawful,
                                              sendBack: args.flag("--send-back") || env.context.profile.sendsBackByDefault(level, lawfulAnswer: lawful)))
    }

    static let supervise = lifecycle("supervise", "supervise a ticket · 督办",
                                     "supervise ID --reason R [--form phone|written|meeting|on-site|media|inspection|leader]",
                                     [.value("--reason", "why"), .value("--form", "form of supervision (TH §18)")]) { args, _ in
        guard let reason = args.value("--reason") else { throw ServiceError.usage("supervise needs --reason") }
        return .supervise(form: args.value("--form") ?? "written", reason: reason)
    }

    static let escalate = lifecycle("escalate", "escalate to a higher level · 提级",
                                    "escalate ID --to LEVEL --reason R",
                                    [.value("--to", "e.g. government-office, executive-meeting"), .value("--reason", "why")]) { args, _ in
        guard let to = args.value("--to"), let reason = args.value("--reason") else {
            throw ServiceError.usage("escalate needs --to LEVEL --reason R")
        }
        return .escalate(to: to, reason: reason)
    }

    static let close = lifecycle("close", "close a ticket · 办结", "close ID [--note N]", [.value("--note", "note")]) { args, _ in
        .close(note: args.value("--note") ?? "")
    }
    static let terminate = lifecycle("terminate", "terminate (caller unreachable or uncooperative) · 终止",
                                     "terminate ID --reason R [--evidence E]",
                                     [.value("--reason", "why"), .value("--evidence", "evidence kept")]) { args, _ in
        guard let reason = args.value("--reason") else { throw ServiceError.usage("terminate needs --reason") }
        return .terminate(reason: reason, evidence: args.value("--evidence"))
    }
    static let suspend = lifecycle("suspend", "suspend a long-term item (挂账), the clock stops", "suspend ID --reason R",
                                   [.value("--reason", "why")]) { args, _ in
        guard let reason = args.value("--reason") else { throw ServiceError.usage("suspend needs --reason") }
        return .suspend(reason: reason)
    }
    static let resume = lifecycle("resume", "resume a suspended ticket · 恢复办理", "resume ID", []) { _, _ in .resume }
    static let reopen = lifecycle("reopen", "reopen a closed ticket · 重启", "reopen ID --reason R",
                                  [.value("--reason", "why")]) { args, _ in
        guard let reason = args.value("--reason") else { throw ServiceError.usage("reopen needs --reason") }
        return .reopen(reason: reason)
    }
    static let archive = lifecycle("archive", "archive a closed ticket · 归档", "archive ID", []) { _, _ in .archive }

    static let clock = CommandHandler(spec: CommandSpec(
        name: "clock", summary: "show or move the manual clock (training, tests) · 模拟时钟",
        usage: "clock [--advance DUR | --set TIME]",
        options: [.value("--advance", "e.g. 2h, 1d, 90m, 1d12h"), .value("--set", "ISO 8601, e.g. 2026-03-02T08:30:00+08:00"),
                  .flag("--json", "print JSON")],
        examples: ["hotline-city clock --data DIR --advance 1d"]
    )) { args, env in
        let clock = env.context.clock
        if let d = args.value("--advance") {
            let ms = try DurationParser.milliseconds(d)
            try clock.set(clock.now.adding(millis: ms))
        } else if let s = args.value("--set") {
            guard let t = Timestamp(iso8601: s) else { throw ServiceError.usage("--set \(s) is not ISO 8601") }
            try clock.set(t)
        }
        try env.context.persistClock()
        let now = clock.now
        return .success(text: "\(now.iso8601) (\(clock.mode.rawValue) clock)",
                        json: ["now": now.iso8601, "millis": now.millis, "mode": clock.mode.rawValue])
    }

    /// Concrete flags for the help examples of the lifecycle commands (what an operator would type).
    static let examples: [String: String] = [
        "answer": "--text '已告知办理地点和所需材料'",
        "reject": "--ground in-litigation-review-or-arbitration --basis '条例第二十三条：已进入诉讼程序'",
        "refer": "--to litigation --note '已告知诉讼途径'",
        "material": "--request '请补充现场照片'",
        "decide": "--return refuse --reason '经核实属于本街道职责'",
        "review": "--send-back '未说明整改期限'",
        "callback": "--satisfaction basically --resolved yes --stars 4",
        "supervise": "--reason '超期未办结' --form written",
        "escalate": "--to 市政府 --reason '多次督办未果'",
        "close": "--note '回访满意'",
        "terminate": "--reason '诉求人三次联系不上' --evidence '通话记录'",
        "suspend": "--reason '需列入明年改造计划'",
        "reopen": "--reason '问题再次出现'",
        "return": "--reason '不属于本街道职责' --basis '街道职责清单'",
        "extend": "--days 5 --reason '需协调物业公司' --leader 王主任",
        "progress": "--text '已到现场查看，正在协调'",
        "reply": "--text '已责令施工方停止夜间施工' --contacted",
        "assist": "--text '已排查燃气管线，无泄漏'",
        "recuse": "--reason '承办人与诉求人有利害关系'",
        "dispute": "--reason '诉求人要求超出法定标准'",
    ]

    /// A command that turns flags into one lifecycle command on the ticket named by the first positional.
    static func lifecycle(_ name: String, _ summary: String, _ usage: String, _ options: [OptionSpec],
                          tool: String = "hotline-city",
                          _ make: @escaping @Sendable (ParsedArguments, CommandEnvironment) throws -> Command) -> CommandHandler {
        let example = "\(tool) \(name) JN-20260302-000001 --data DIR" + (examples[name].map { " " + $0 } ?? "")
        return CommandHandler(spec: CommandSpec(name: name, summary: summary, usage: usage,
                                                options: options + [.flag("--json", "print JSON")],
                                                examples: [example], decidesBeforeWriting: true)) { args, env in
            let ticket = try env.ticketArgument(args)
            let (updated, events) = try env.service.perform(try make(args, env), on: ticket, now: env.now)
            return env.done(updated, events)
        }
    }
}
