import Foundation
import HotlineCore

/// What a handling node does with a ticket it holds (承办): county stations and units share these; a county
/// station can also forward inside its county. Names and flags are a contract (issue 4).
enum HandlerCommands {
    static func all(tool: String, county: Bool) -> [CommandHandler] {
        var list = [sign(tool), returnRequest(tool), extend(tool), progress(tool), reply(tool), assist(tool),
                    recusal(tool), dispute(tool)]
        if county { list.append(forward) }
        return list
    }

    static func sign(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("sign", "sign for a ticket · 签收", "sign ID", [], tool: tool) { _, _ in .sign }
    }

    static func returnRequest(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("return", "ask the centre to take a ticket back · 申请退单", "return ID --reason R --basis B",
                               [.value("--reason", "why the ticket is not ours"), .value("--basis", "the duty list or article")],
                               tool: tool) { args, _ in
            guard let reason = args.value("--reason") else { throw ServiceError.usage("return needs --reason R (and --basis B)") }
            return .requestReturn(reason: reason, basis: args.value("--basis"))
        }
    }

    static func extend(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("extend", "ask for more time · 申请延期",
                               "extend ID --days N --reason R [--leader NAME] [--caller-informed] [--statutory PROVISION]",
                               [.value("--days", "working days asked for"), .value("--reason", "why"),
                                .value("--leader", "the unit leader who signed off (needed from the second extension in some profiles)"),
                                .flag("--caller-informed", "the caller was told why, how far it is and the new date (JN §24(3), BD §19(3), ASD §15)"),
                                .value("--statutory", "a law sets a longer period for this matter: the provision; the profile's caps do not apply (法律法规另有规定的，从其规定)")],
                               tool: tool) { args, _ in
            guard let reason = args.value("--reason") else { throw ServiceError.usage("extend needs --reason R") }
            let days = try args.int("--days")
            if let d = days, d <= 0 || d > Period.limit(.workingDays) {
                throw ServiceError.usage("--days must be a number of working days from 1 to \(Period.limit(.workingDays))")
            }
            if args.value("--statutory") != nil && days == nil {
                throw ServiceError.usage("--statutory needs --days N: the working days the law's period gives")
            }
            return .requestExtension(period: days.map { .workingDays($0) }, reason: reason,
                                     leaderSignOff: args.value("--leader") != nil, statutoryBasis: args.value("--statutory"),
                                     callerInformed: args.flag("--caller-informed"))
        }
    }

    static func progress(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("progress", "report progress · 报告进展", "progress ID --text T",
                               [.value("--text", "what has been done")], tool: tool) { args, _ in
            guard let text = args.value("--text") else { throw ServiceError.usage("progress needs --text T") }
            return .reportProgress(note: text)
        }
    }

    static func reply(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("reply", "reply with the result · 反馈办理结果",
                               "reply ID --text T [--contacted] [--overdue-reason R]",
                               [.value("--text", "the result"), .flag("--contacted", "the caller was contacted"),
                                .value("--overdue-reason", "why the reply is late (reported monthly with the overdue items, TH §34)")],
                               tool: tool) { args, _ in
            guard let text = args.value("--text") else { throw ServiceError.usage("reply needs --text T") }
            return .reply(result: text, callerContacted: args.flag("--contacted"), overdueReason: args.value("--overdue-reason"))
        }
    }

    static func assist(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("assist", "report an assisting unit's result to the lead · 协办反馈", "assist ID --text T",
                               [.value("--text", "the assisting unit's result")], tool: tool) { args, _ in
            guard let text = args.value("--text") else { throw ServiceError.usage("assist needs --text T") }
            return .reportAssist(note: text)
        }
    }

    static func recusal(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("recuse", "ask to be recused · 申请回避", "recuse ID --reason R",
                               [.value("--reason", "the ground")], tool: tool) { args, _ in
            guard let reason = args.value("--reason") else { throw ServiceError.usage("recuse needs --reason R") }
            return .requestRecusal(reason: reason)
        }
    }

    static func dispute(_ tool: String) -> CommandHandler {
        CityCommands.lifecycle("dispute", "dispute the caller's evaluation · 申诉评价", "dispute ID --reason R",
                               [.value("--reason", "why the evaluation is unfair")], tool: tool) { args, _ in
            guard let reason = args.value("--reason") else { throw ServiceError.usage("dispute needs --reason R") }
            return .disputeEvaluation(reason: reason)
        }
    }

    static let forward = CommandHandler(spec: CommandSpec(
        name: "forward", summary: "re-dispatch inside the county · 县区二次派单", usage: "forward ID --to NODE",
        options: [.value("--to", "a unit of this county"), .flag("--json", "print JSON")],
        examples: ["hotline-county forward JN-20260302-000001 --data DIR --to jn-lixia-jfl"],
        decidesBeforeWriting: true
    )) { args, env in
        let ticket = try env.ticketArgument(args)
        let to = try env.required(args, "--to", example: "jn-lixia-jfl")
        guard env.context.topology.parent(of: to)?.id == env.context.nodeId else {
            throw ServiceError.usage("\(to) is not a unit of \(env.context.nodeId); units here: \(env.context.topology.children(of: env.context.nodeId).map(\.id).joined(separator: ", "))")
        }
        let (updated, events) = try env.service.perform(.forward(to: to), on: ticket, now: env.now)
        return env.done(updated, events)
    }
}
