import Foundation
import HotlineCore

/// `kb` — the knowledge base (知识库) at every node: search, show, list, report an error; units and county
/// stations submit; the city reviews and exports the public self-service site.
enum KnowledgeCommands {
    static func kb(role: NodeKind) -> CommandHandler {
        let tool = "hotline-\(role.rawValue)"
        var subcommands = ["search TEXT [--topic T] [--area A] [--limit N]", "show ID [--version N]",
                           "list [--status submitted|approved|rejected|superseded] [--owner NODE]", "report-error ID --text T",
                           "submit FILE (JSON, or Markdown with a --- header; see README)"]
        if role == .city {
            subcommands += ["approve ID [--version N]", "reject ID --reason R [--version N]", "export --public DIR",
                            "supervisions"]
        }
        var examples = ["\(tool) kb search 停水 --data DIR", "\(tool) kb search 居住证 办理 --area 历下区 --data DIR",
                        "\(tool) kb submit water-outage.md --data DIR", "\(tool) kb report-error water-outage --text '电话号码已变更' --data DIR"]
        if role == .city {
            examples += ["hotline-city kb approve water-outage --data DIR", "hotline-city kb reject water-outage --reason '缺少政策依据' --data DIR",
                         "hotline-city kb export --public site/ --data DIR"]
        }
        return CommandHandler(spec: CommandSpec(
            name: "kb", summary: "knowledge base: search, submit, review, report errors · 知识库",
            usage: "kb " + subcommands.joined(separator: "\n       kb "),
            options: [.value("--topic", "only entries of this topic"), .value("--area", "only entries for this district or district/street"),
                      .value("--limit", "at most N results (default 10)"), .value("--version", "a version number"),
                      .value("--status", "list only this status"), .value("--owner", "list only this unit's entries"),
                      .value("--text", "what is wrong (report-error)")]
                + (role == .city ? [.value("--reason", "why a version is rejected"),
                                    .value("--public", "folder to write the public self-service site to (export): a new or empty "
                                           + "folder, or one an earlier export wrote, which is replaced whole"),
                                    .value("--after", "the row an export page starts after (set by the client)")] : [])
                + [.value("--content-base64", "the submitted file, as the client sends it (set by the client)"),
                   .flag("--json", "print JSON")],
            examples: examples,
            // Every subcommand that only reads: a search of a large knowledge base is tens of milliseconds, a list or
            // an export's page more.
            readOnlySubcommands: ["search", "show", "list", "export", "supervisions"]
        )) { args, env in
            guard let sub = args.positional(0) else {
                throw ServiceError.usage("kb needs a subcommand: search, show, list, report-error, submit" + (role == .city ? ", approve, reject, export, supervisions" : ""))
            }
            switch sub {
            case "search": return try search(args, env)
            case "show": return try show(args, env)
            case "list": return try list(args, env)
            case "report-error": return try reportError(args, env)
            case "submit": return try submit(args, env)
            case "approve" where role == .city, "reject" where role == .city: return try decide(args, env, approve: sub == "approve")
            case "export" where role == .city: return try export(args, env)
            case "supervisions" where role == .city: return try supervisions(env)
            default:
                throw ServiceError.usage("kb \(sub): not a subcommand here; see \(tool) kb --help")
            }
        }
    }

    static func entryId(_ args: ParsedArguments, _ what: String) throws -> String {
        guard let id = args.positional(1), !id.isEmpty else { throw ServiceError.usage("kb \(what) needs an entry id, e.g. kb \(what) water-outage") }
        return id
    }

    static func summary(_ e: KnowledgeEntry) -> [String: Any] {
        var o: [String: Any] = ["id": e.id, "version": e.version, "title": e.title, "topic": e.topic, "areas": e.areas,
                                "owner": e.owner, "status": e.status.rawValue, "public": e.isPublic]
        if let d = e.reviewBy { o["reviewBy"] = d.iso }
        if let d = e.effective { o["effective"] = d.iso }
        if let s = e.source { o["source"] = s.document; o["published"] = s.published?.iso ?? NSNull() }
        return o
    }

    static func search(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> AdminResponse {
        let text = args.positionals.dropFirst().joined(separator: " ")
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw ServiceError.usage("kb search needs words to look for, e.g. kb search 停水") }
        let limit = try args.int("--limit") ?? 10
        let started = DispatchTime.now().uptimeNanoseconds
        let hits = try env.service.knowledge.search(text, topic: args.value("--topic"), area: args.value("--area"), limit: limit)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        var lines = ["\(hits.count) entr\(hits.count == 1 ? "y" : "ies") for 「\(text)」 (\(String(format: "%.1f", ms)) ms)"]
        for (i, h) in hits.enumerated() {
            let e = h.entry
            lines.append("\(i + 1). \(e.title)  [\(e.topic)] \(e.id)@\(e.version) · \(TicketPresenter.nodeLabel(e.owner, env.context.topology))")
            lines.append("   " + String(e.body.replacingOccurrences(of: "\n", with: " ").prefix(90)))
            if let script = e.scripts.first { lines.append("   答复口径：\(script)") }
        }
        return .success(text: lines.joined(separator: "\n"), json: hits.map { h -> [String: Any] in
            var o = summary(h.entry)
            o["score"] = h.score
            o["body"] = h.entry.body
            o["scripts"] = h.entry.scripts
            return o
        })
    }

    static func show(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> AdminResponse {
        let id = try entryId(args, "show")
        let version = try args.int("--version")
        let store = env.service.knowledge
        guard let e = try store.entry(id, version: version) ?? (version == nil ? try store.versions(id).last : nil) else {
            throw ServiceError.usage("no knowledge-base entry \(id)\(version.map { " version \($0)" } ?? "") here; try kb search")
        }
        var lines = ["\(e.title)  (\(e.id)@\(e.version), \(e.status.rawValue))",
                     "类别 \(e.topic) · 区域 \(e.isCityWide ? "全市" : e.areas.joined(separator: "、")) · 维护单位 \(TicketPresenter.nodeLabel(e.owner, env.context.topology))"]
        if let eff = e.effective { lines.append("生效 \(eff.iso)") }
        if let r = e.reviewBy { lines.append("复核期限 \(r.iso)") }
        if let s = e.source { lines.append("依据 \(s.document)\(s.published.map { "（\($0.iso)公布）" } ?? "")") }
        lines += ["", e.body]
        if !e.scripts.isEmpty { lines += ["", "答复口径："] + e.scripts.map { "- \($0)" } }
        if !e.templates.isEmpty { lines += ["", "受理模板："] + e.templates.map { "- \($0)" } }
        if let note = e.decisionNote, !note.isEmpty { lines += ["", "审核意见：\(note)"] }
        let reports = try store.reports(entry: id)
        if !reports.isEmpty {
            lines += ["", "纠错："] + reports.map { "- \(ChinaTime.localText($0.at)) \($0.by): \($0.text)\($0.correctedAt == nil ? "（未更正）" : "（已更正）")" }
        }
        var json = summary(e)
        json["body"] = e.body
        json["scripts"] = e.scripts
        json["templates"] = e.templates
        json["versions"] = try store.versions(id).map { ["version": $0.version, "status": $0.status.rawValue] }
        return .success(text: lines.joined(separator: "\n"), json: json)
    }

    static func list(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> AdminResponse {
        var status: KnowledgeStatus?
        if let s = args.value("--status") {
            guard let parsed = KnowledgeStatus(rawValue: s) else {
                throw ServiceError.usage("--status \(s): use \(KnowledgeStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let entries = try env.service.knowledge.list(status: status, owner: args.value("--owner"), limit: try args.int("--limit") ?? 0)
        let text = Table.render(header: ["id", "版本", "状态", "类别", "标题", "维护单位", "复核期限"], rows: entries.map {
            [$0.id, "\($0.version)", $0.status.rawValue, $0.topic, $0.title, $0.owner, $0.reviewBy?.iso ?? "-"]
        })
        return .success(text: text, json: entries.map(summary))
    }

    static func submit(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> AdminResponse {
        guard let encoded = args.value("--content-base64"), let data = Data(base64Encoded: encoded) else {
            throw ServiceError.usage("kb submit needs a FILE: hotline-\(env.context.role.rawValue) kb submit entry.md --data DIR")
        }
        var entry: KnowledgeEntry
        do { entry = try KnowledgeFile.parse(String(decoding: data, as: UTF8.self), owner: env.context.nodeId) } catch {
            throw ServiceError.usage("\(args.positional(1) ?? "the file"): \(error)")
        }
        let service = env.service
        if env.context.role == .city {
            try service.receiveSubmission(&entry, at: env.now, now: env.now)
            return .success(text: "\(entry.id)@\(entry.version): waiting for review (kb approve \(entry.id))", json: summary(entry))
        }
        guard let city = env.context.topology.city?.id else { throw ServiceError.noRoute("the city") }
        entry.submittedAt = env.now
        try service.send(.kbSubmit, body: try service.encode(KnowledgeEntryBody(entry: entry)), to: city, now: env.now)
        return .success(text: "\(entry.id): sent to the city for review; the city numbers the version (see kb list)",
                        json: summary(entry))
    }

    static func decide(_ args: ParsedArguments, _ env: CommandEnvironment, approve: Bool) throws -> AdminResponse {
        let id = try entryId(args, approve ? "approve" : "reject")
        let note = args.value("--reason")
        if !approve, (note ?? "").isEmpty { throw ServiceError.usage("kb reject needs --reason R: the owner is told why") }
        let e = try env.service.decide(entry: id, version: try args.int("--version"), approve: approve, note: note, now: env.now)
        let to = approve ? env.service.recipients(of: e).count : 1
        return .success(text: "\(e.id)@\(e.version): \(e.status.rawValue); sent to \(to) node\(to == 1 ? "" : "s")", json: summary(e))
    }

    static func reportError(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> AdminResponse {
        let id = try entryId(args, "report-error")
        guard let text = args.value("--text"), !text.isEmpty else { throw ServiceError.usage("kb report-error needs --text T: what is wrong") }
        let service = env.service
        guard try !service.knowledge.versions(id).isEmpty else { throw ServiceError.usage("no knowledge-base entry \(id) here; try kb search") }
        let report = KnowledgeReport(id: RandomID.uuid().lowercased(), entry: id, text: text, at: env.now, by: env.context.nodeId)
        if env.context.role == .city {
            try service.receiveReport(report, now: env.now)
        } else {
            guard let city = env.context.topology.city?.id else { throw ServiceError.noRoute("the city") }
            try service.knowledge.addReport(report)
            try service.send(.kbReport, body: try service.encode(KnowledgeReportBody(report: report)), to: city, now: env.now)
        }
        return .success(text: "error reported in \(id); the owner must correct it in time", json: ["report": report.id, "entry": id])
    }

    /// Entries of one `kb export` answer: a page's files and index records go base64 in JSON, so the answer stays
    /// well under the 64 MB an admin answer may be whatever the size of the knowledge base.
    static let exportPageEntries = 500
    static let exportPageBytes = 8 << 20

    /// One page of the public site: the pages of the public entries after row `--after` (set by the client, which
    /// asks page after page and writes the site; see `KnowledgeExport`) and their records for the index.
    static func export(_ args: ParsedArguments, _ env: CommandEnvironment) throws -> AdminResponse {
        guard args.value("--public") != nil else { throw ServiceError.usage("kb export needs --public DIR: where to write the site") }
        let after = try args.int("--after") ?? 0
        let page = try env.service.knowledge.publicPage(after: Int64(after), maxEntries: exportPageEntries, maxBytes: exportPageBytes)
        let topology = env.context.topology
        let cityName = topology.cityName ?? topology.city?.name ?? ""
        var files: [String: String] = [:]
        for e in page.entries {
            files[KnowledgeSite.file(e)] = KnowledgeSite.page(e, cityName: cityName, owner: topology.node(e.owner)?.name ?? e.owner)
        }
        var json: [String: Any] = ["entries": page.entries.count, "city": cityName, "generatedAt": Int(env.now.millis),
                                   "index": page.entries.map(KnowledgeSite.record)]
        if let next = page.next { json["next"] = Int(next) }
        var response = AdminResponse.success(text: "\(page.entries.count) public entries after row \(after)"
                                             + (page.next.map { ", more after row \($0)" } ?? ""), json: json)
        response.files = files
        return response
    }

    static func supervisions(_ env: CommandEnvironment) throws -> AdminResponse {
        let all = try env.service.knowledge.supervisions()
        let text = Table.render(header: ["时间", "类别", "条目", "维护单位", "事由"], rows: all.map { s, at in
            [ChinaTime.localText(at), s.kind.rawValue, s.entry, s.owner, s.reason]
        })
        return .success(text: text, json: all.map { s, at in
            ["raised": at.iso8601, "kind": s.kind.rawValue, "entry": s.entry, "owner": s.owner, "reason": s.reason]
        })
    }
}
