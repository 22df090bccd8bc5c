import Foundation
import HotlineCore

/// 统计: the figures the centre publishes, computed from the event log (see Figures in HotlineCore).
enum FigureCommands {
    static let figures = CommandHandler(spec: CommandSpec(
        name: "figures", summary: "response, completion, satisfaction… per unit, county, topic, channel or period · 统计",
        usage: "figures --from YYYY-MM-DD --to YYYY-MM-DD [--by unit|county|topic|channel|day|month|all] [--json]",
        options: [.value("--from", "first day (local date)"), .value("--to", "last day (local date, inclusive)"),
                  .value("--by", "unit (default), county, topic, channel, day, month or all"), .flag("--json", "print JSON")],
        examples: ["hotline-city figures --data DIR --from 2026-03-01 --to 2026-03-31 --by unit",
                   "hotline-city figures --data DIR --from 2026-03-01 --to 2026-03-31 --by day",
                   "hotline-city figures --data DIR --from 2026-03-02 --to 2026-03-02 --by county --json"],
        readsOnly: true
    )) { args, env in
        let from = try date(args, "--from", default: ChinaTime.date(of: env.now))
        let to = try date(args, "--to", default: from)
        guard from <= to else { throw ServiceError.usage("--from \(from.iso) is after --to \(to.iso)") }
        let topology = env.context.topology
        let grouping: FigureGrouping
        switch args.value("--by") ?? "unit" {
        case "unit": grouping = .unit
        case "county":
            var map: [String: String] = [:]
            for node in topology.nodes { if let c = topology.county(of: node.id) { map[node.id] = c } }
            grouping = .county(map)
        case "topic": grouping = .topic
        case "channel": grouping = .channel
        case "day": grouping = .day
        case "month": grouping = .month
        case "all": grouping = .all
        case let other: throw ServiceError.usage("--by \(other): use unit, county, topic, channel, day, month or all")
        }
        let rows = Figures.compute(try env.service.repository.figureTickets(from: from, to: to), from: from, to: to,
                                   by: grouping)
        let label: (String) -> String = { key in
            switch grouping {
            case .unit, .county: return topology.node(key).map { "\($0.name) (\(key))" } ?? key
            case .channel: return Bulletin.channelName(key) == key ? key : "\(Bulletin.channelName(key)) (\(key))"
            default: return key
            }
        }
        let reporting = env.context.profile.reportingRules
        let core = reporting.coreFigures.value
        let stars = env.context.profile.evaluationScale.value == .stars
        let ordered = core + FigureKey.allCases.filter { !core.contains($0) && ($0 != .starAverage || stars) }
        func cell(_ r: FigureRow, _ key: FigureKey) -> String {
            let f = r.fraction(key)
            guard let v = r.figure(key) else { return "-" }
            let shown = key.isShare ? String(format: "%.1f%%", v * 100) : String(format: "%.2f", v)
            return "\(shown) \(f.numerator)/\(f.denominator)"
        }
        let text = Table.render(
            header: ["group", "受理", "派单", "办结", "超期"] + ordered.map { core.contains($0) ? "\($0.chinese)★" : $0.chinese },
            rows: rows.map { r in
                [label(r.group), "\(r.received)", "\(r.dispatched)", "\(r.closed)", "\(r.overdue)"] + ordered.map { cell(r, $0) }
            }) + "\n\(from.iso) … \(to.iso), profile \(env.context.profile.id); ★ core figures "
            + "(\(env.context.profile.cite(reporting.coreFigures.article))); each rate with its numerator/denominator"
        // One object per row (the shape scripts already read); each names the profile's core figures.
        let json: [[String: Any]] = rows.map { r in
            var o = row(r, name: topology.node(r.group)?.name ?? r.group)
            o["coreFigures"] = core.map(\.rawValue)
            return o
        }
        return .success(text: text, json: json)
    }

    static func row(_ r: FigureRow, name: String) -> [String: Any] {
        var o: [String: Any] = [
            "group": r.group, "name": name, "received": r.received,
            "dispatched": r.dispatched, "responded": r.responded, "respondedOnTime": r.respondedOnTime,
            "signed": r.signed, "signedOnTime": r.signedOnTime, "replied": r.replied,
            "repliedOnTime": r.repliedOnTime, "closed": r.closed, "evaluated": r.evaluated, "satisfied": r.satisfied,
            "basicallySatisfied": r.basicallySatisfied, "callbacksWithResolution": r.callbacksWithResolution,
            "resolved": r.resolved, "returns": r.returns, "extensions": r.extensions, "supervisions": r.supervisions,
            "directAnswers": r.directAnswers, "knowledgeAnswers": r.knowledgeAnswers, "starRatings": r.starRatings, "starTotal": r.starTotal, "overdue": r.overdue,
        ]
        for key in FigureKey.allCases { o[key.rawValue] = r.figure(key) ?? NSNull() }
        return o
    }

    private static func date(_ args: ParsedArguments, _ name: String, default value: LocalDate) throws -> LocalDate {
        guard let text = args.value(name) else { return value }
        guard let d = LocalDate(iso: text) else { throw ServiceError.usage("\(name) \(text): give a date like 2026-03-02") }
        return d
    }
}
