import Foundation
import HotlineCore

/// Fills a city's data directory with a year of tickets for the scale benchmark (`hotline-bench --scenario
/// scale`): every ticket decided by the real lifecycle under the node's own profile and stored by the node's own
/// repository (sealed, indexed), as a year of operation would leave it. Run only on a stopped node's directory.
///
/// A year has per day and unit one decided history, copied under each ticket number of that day (the number is
/// what differs between two such tickets); tickets of the last five days are still open, and one in a thousand
/// older ones was never replied to, which makes it overdue.
public enum RecordBenchmark {
    public static func populate(dir: URL, count: Int, units: [String], progress: (Int) -> Void) throws -> [String] {
        let context = try NodeContext(dir: dir, log: Log(node: "bench", sink: { _ in }))
        let repository = TicketRepository(db: context.db, sealer: context.keyring, callerTagger: context.callerTagger)
        let rules = Rules(profile: context.profile, deadlines: context.deadlines)
        let city = Actor(node: context.nodeId, role: .city)
        let today = ChinaTime.date(of: Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)))
        let days = 365
        let perDay = max(1, count / days)
        var ids: [String] = []
        var made = 0
        for day in 0..<days where made < count {
            let date = today.adding(days: day - days + 1)
            let open = day >= days - 5
            var templates: [String: (done: Ticket, open: Ticket)] = [:]
            try context.db.transaction {
                for k in 0..<(day == days - 1 ? count - made : min(perDay, count - made)) {
                    let unit = units[k % units.count]
                    if templates[unit] == nil {
                        templates[unit] = try history(unit: unit, date: date, rules: rules, city: city, prefix: context.profile.prefix)
                    }
                    let id = TicketID.make(prefix: context.profile.prefix, date: date, sequence: k + 1)
                    let template = open || (made % 1000 == 999) ? templates[unit]!.open : templates[unit]!.done
                    var ticket = template
                    ticket.id = id
                    ticket.events = template.events.enumerated().map { n, e in
                        var copy = e
                        copy.id = "\(id)-e\(n + 1)"
                        copy.ticket = id
                        return copy
                    }
                    try repository.save(ticket, newEvents: ticket.events)
                    ids.append(id)
                    made += 1
                }
            }
            progress(made)
        }
        return ids
    }

    /// One ticket of `date` for `unit`: its whole history to closure, and the same ticket stopped after sign-for.
    private static func history(unit: String, date: LocalDate, rules: Rules, city: Actor, prefix: String) throws
        -> (done: Ticket, open: Ticket) {
        let id = TicketID.make(prefix: prefix, date: date, sequence: 0)
        let unitActor = Actor(node: unit, role: .unit)
        let start = ChinaTime.timestamp(date, hour: 9, minute: 0)
        let intake = TicketIntake(id: id, channel: "phone", kind: "complain", topic: "噪声扰民",
                                  area: Area(district: "东城区", street: "第1街道"), address: "东城区建设路18号",
                                  text: "夜间施工噪音扰民，影响附近居民休息，请求处理。", caller: CallerInfo(name: "张三", phone: "13812345678"))
        let steps: [(Command, Actor, Int64)] = [
            (.receive(intake), city, 0), (.dispatch(lead: unit, assisting: [], tier: nil), city, 10),
            (.sign, unitActor, 40), (.reply(result: "已到现场核实并处理完毕", callerContacted: true), unitActor, 60 * 24),
            (.passReview, city, 60 * 26), (.recordCallback(CallbackResult(level: .satisfied, stars: 5, resolved: true)), city, 60 * 28),
        ]
        var ticket: Ticket?
        var open: Ticket?
        var n = 0
        for (i, (command, actor, minutes)) in steps.enumerated() {
            let events = try Lifecycle.decide(command, ticket: ticket, actor: actor, now: Timestamp(millis: start.millis + minutes * 60_000),
                                              rules: rules) { n += 1; return "e\(n)" }
            for event in events { ticket = try Lifecycle.apply(event, to: ticket) }
            if i == 2 { open = ticket }
        }
        guard let done = ticket, let open else { throw ServiceError.noTicket }
        return (done, open)
    }
}
