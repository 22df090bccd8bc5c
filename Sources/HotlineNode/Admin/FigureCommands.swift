import Foundation
import HotlineCore

/// 统计: the figures the centre publishes, computed from the event log (see Figures in HotlineCore).
enum FigureCommands {
    static let figures = CommandHandler(spec: CommandSpec(
        name: "figures", summary: "response, completion, satisfaction… per unit, county or topic · 统计",
        usage: "figures --from YYYY-MM-DD --to YYYY-MM-DD [--by unit|county|topic|channel] [--json]",
        options: [.value("--from", "first day (local date)"), .value("--to", "last day (local date, inclusive)"),
                  .value("--by", "unit (default), county, topic, channel or all"), .flag("--json", "print JSON")],
        examples: ["hotline-city figures --data DIR --from 2026-03-01 --to 2026-03-31 --by unit",
                   "hotline-city figures --data DIR --from 2026-03-02 --to 2026-03-02 --by county --json"]
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
        case "all": grouping = .all
        case let other: throw ServiceError.usage("--by \(other): use unit, county, topic, channel or all")
        }
        let rows = Figures.compute(tickets: try env.service.repository.withEvents(from: from, to: to), from: from, to: to,
                                   by: grouping)
        let label: (String) -> String = { key in
            if case .topic = grouping { return key }
            if case .channel = grouping { return key }
            return topology.node(key).map { "\($0.name) (\(key))" } ?? key
        }
        func pct(_ r: Double?) -> String { r.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
        let text = Table.render(
            header: ["group", "派单", "签收", "按时签收", "反馈", "按时反馈", "办结", "评价", "满意率", "解决率", "退单", "延期", "督办",
                     "响应率", "按时办结率"],
            rows: rows.map { r in
                [label(r.group), "\(r.dispatched)", "\(r.signed)", "\(r.signedOnTime)", "\(r.replied)", "\(r.repliedOnTime)",
                 "\(r.closed)", "\(r.evaluated)", pct(r.satisfactionRate), pct(r.resolutionRate), "\(r.returns)",
                 "\(r.extensions)", "\(r.supervisions)", pct(r.responseRate), pct(r.onTimeCompletionRate)]
            }) + "\n\(from.iso) … \(to.iso), profile \(env.context.profile.id); rates are shown with the counts behind them"
        let json: [[String: Any]] = rows.map { r in
            var o: [String: Any] = [
                "group": r.group, "name": topology.node(r.group)?.name ?? r.group,
                "dispatched": r.dispatched, "signed": r.signed, "signedOnTime": r.signedOnTime, "replied": r.replied,
                "repliedOnTime": r.repliedOnTime, "closed": r.closed, "evaluated": r.evaluated, "satisfied": r.satisfied,
                "basicallySatisfied": r.basicallySatisfied, "callbacksWithResolution": r.callbacksWithResolution,
                "resolved": r.resolved, "returns": r.returns, "extensions": r.extensions, "supervisions": r.supervisions,
                "directAnswers": r.directAnswers, "starRatings": r.starRatings, "starTotal": r.starTotal,
            ]
            let rates: [(String, Double?)] = [
                ("responseRate", r.responseRate), ("onTimeCompletionRate", r.onTimeCompletionRate),
                ("completionRate", r.completionRate), ("resolutionRate", r.resolutionRate),
                ("satisfactionRate", r.satisfactionRate), ("starAverage", r.starAverage),
                ("returnRate", r.returnRate), ("extensionRate", r.extensionRate),
            ]
            for (k, v) in rates { o[k] = v ?? NSNull() }
            return o
        }
        return .success(text: text, json: json)
    }

    private static func date(_ args: ParsedArguments, _ name: String, default value: LocalDate) throws -> LocalDate {
        guard let text = args.value(name) else { return value }
        guard let d = LocalDate(iso: text) else { throw ServiceError.usage("\(name) \(text): give a date like 2026-03-02") }
        return d
    }
}
