/// How figures are grouped.
public enum FigureGrouping: Sendable, Equatable {
    case all
    /// By the unit leading the ticket when the event happened (the centre before dispatch).
    case unit
    /// By county: the unit's county from `nodeToCounty` (a unit missing from the map is its own group).
    case county([String: String])
    case topic
    case channel
}

/// One row of figures with the counts behind every rate (DESIGN: rank fairly — show counts beside rates).
public struct FigureRow: Sendable, Equatable, Codable {
    public var group: String
    public var dispatched = 0
    public var signed = 0
    public var signedOnTime = 0
    public var replied = 0
    public var repliedOnTime = 0
    public var closed = 0
    public var callbacksWithResolution = 0
    public var resolved = 0
    public var evaluated = 0
    public var satisfied = 0
    public var basicallySatisfied = 0
    public var starRatings = 0
    public var starTotal = 0
    public var returns = 0
    public var extensions = 0
    public var supervisions = 0
    public var directAnswers = 0

    public init(group: String) { self.group = group }

    /// 响应率 = signed events with onTime == true / dispatched (and forwarded) events.
    public var responseRate: Double? { ratio(signedOnTime, dispatched) }
    /// 按时办结率 = replied events with onTime == true / replied events.
    public var onTimeCompletionRate: Double? { ratio(repliedOnTime, replied) }
    /// 办结率 = closed events of dispatched tickets / dispatched events.
    public var completionRate: Double? { ratio(closed, dispatched) }
    /// 解决率 = callback events with resolved == true / such events with a resolved answer.
    public var resolutionRate: Double? { ratio(resolved, callbacksWithResolution) }
    /// 满意率 = (satisfied + basically-satisfied) / callback events with a level.
    public var satisfactionRate: Double? { ratio(satisfied + basicallySatisfied, evaluated) }
    /// Star average = sum of stars / callback events with stars (AS19 §23).
    public var starAverage: Double? { ratio(starTotal, starRatings) }
    /// 退单率 = return-approved events / dispatched events.
    public var returnRate: Double? { ratio(returns, dispatched) }
    /// 延期率 = extension-approved events / dispatched events.
    public var extensionRate: Double? { ratio(extensions, dispatched) }

    private func ratio(_ n: Int, _ d: Int) -> Double? { d == 0 ? nil : Double(n) / Double(d) }
}

/// 统计 — figures computed from events only, so a corrected calendar never changes a past figure: the verdicts
/// were frozen on the events. An event counts when its local date lies in [from, to].
public enum Figures {
    public static func compute(tickets: [Ticket], from: LocalDate, to: LocalDate, by grouping: FigureGrouping) -> [FigureRow] {
        var rows: [String: FigureRow] = [:]
        for ticket in tickets {
            var lead: String?
            var wasDispatched = false
            for e in ticket.events {
                if e.type == .dispatched || e.type == .forwarded { lead = e.to }
                if e.type == .dispatched { wasDispatched = true }
                let day = ChinaTime.date(of: e.at)
                guard day >= from, day <= to else { continue }
                let key = groupKey(grouping, ticket: ticket, lead: lead)
                var row = rows[key] ?? FigureRow(group: key)
                count(e, into: &row, wasDispatched: wasDispatched)
                rows[key] = row
            }
        }
        return rows.values.sorted { $0.group < $1.group }
    }

    static func groupKey(_ grouping: FigureGrouping, ticket: Ticket, lead: String?) -> String {
        switch grouping {
        case .all: return "all"
        case .unit: return lead ?? ticket.centre
        case .county(let map):
            let unit = lead ?? ticket.centre
            return map[unit] ?? unit
        case .topic: return ticket.topic
        case .channel: return ticket.channel
        }
    }

    static func count(_ e: TicketEvent, into row: inout FigureRow, wasDispatched: Bool) {
        switch e.type {
        // A county station's forward is a dispatch to the unit it names: the unit's response is measured from it.
        case .dispatched, .forwarded: row.dispatched += 1
        case .signed:
            row.signed += 1
            if e.onTime == true { row.signedOnTime += 1 }
        case .replied:
            row.replied += 1
            if e.onTime == true { row.repliedOnTime += 1 }
        case .closed where wasDispatched: row.closed += 1
        case .callback:
            if let resolved = e.resolved {
                row.callbacksWithResolution += 1
                if resolved { row.resolved += 1 }
            }
            if let level = e.level {
                row.evaluated += 1
                if level == .satisfied { row.satisfied += 1 }
                if level == .basicallySatisfied { row.basicallySatisfied += 1 }
            }
            if let stars = e.stars {
                row.starRatings += 1
                row.starTotal += stars
            }
        case .returnApproved: row.returns += 1
        case .extensionApproved: row.extensions += 1
        case .supervised: row.supervisions += 1
        case .answered: row.directAnswers += 1
        default: break
        }
    }
}
