/// How figures are grouped.
public enum FigureGrouping: Sendable, Equatable {
    case all
    /// By the unit leading the ticket when the event happened (the centre before dispatch).
    case unit
    /// By county: the unit's county from `nodeToCounty` (a unit missing from the map is its own group).
    case county([String: String])
    case topic
    case channel
    /// By the local day or month of the event (the whole city per period).
    case day
    case month
}

/// One row of figures with the counts behind every rate (DESIGN: rank fairly — show counts beside rates).
public struct FigureRow: Sendable, Equatable, Codable {
    public var group: String
    /// 受理量: requests received (the `received` events).
    public var received = 0
    public var dispatched = 0
    /// First responses to a dispatch: the unit's sign-for, a return request, or a county station's forward.
    public var responded = 0
    public var respondedOnTime = 0
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
    /// Direct answers given from a knowledge-base entry (`answer --kb`).
    public var knowledgeAnswers = 0
    /// 超期: replies after the handling deadline, and late returns that count as overdue (TH §15).
    public var overdue = 0

    public init(group: String) { self.group = group }

    /// 响应率 = first responses in time / dispatches into the group. A response is the sign-for, a return request
    /// or (for a county station) the forward to one of its units, whichever comes first.
    public var responseRate: Double? { figure(.responseRate) }
    /// 按时办结率 = replied events with onTime == true / replied events.
    public var onTimeCompletionRate: Double? { figure(.onTimeCompletionRate) }
    /// 办结率 = closed events of dispatched tickets / dispatched events.
    public var completionRate: Double? { figure(.completionRate) }
    /// 解决率 = callback events with resolved == true / such events with a resolved answer.
    public var resolutionRate: Double? { figure(.resolutionRate) }
    /// 满意率 = (satisfied + basically-satisfied) / callback events with a level.
    public var satisfactionRate: Double? { figure(.satisfactionRate) }
    /// Star average = sum of stars / callback events with stars (AS19 §23).
    public var starAverage: Double? { figure(.starAverage) }
    /// 退单率 = return-approved events / dispatched events.
    public var returnRate: Double? { figure(.returnRate) }
    /// 延期率 = extension-approved events / dispatched events.
    public var extensionRate: Double? { figure(.extensionRate) }
    /// 超期率 = overdue events / dispatched events.
    public var overdueRate: Double? { figure(.overdueRate) }

    /// The counts behind a figure: numerator and denominator (DESIGN: show counts beside rates).
    public func fraction(_ key: FigureKey) -> (numerator: Int, denominator: Int) {
        switch key {
        case .responseRate: (respondedOnTime, dispatched)
        case .onTimeCompletionRate: (repliedOnTime, replied)
        case .completionRate: (closed, dispatched)
        case .resolutionRate: (resolved, callbacksWithResolution)
        case .satisfactionRate: (satisfied + basicallySatisfied, evaluated)
        case .starAverage: (starTotal, starRatings)
        case .returnRate: (returns, dispatched)
        case .extensionRate: (extensions, dispatched)
        case .overdueRate: (overdue, dispatched)
        }
    }

    /// A rate or average by its stable name; nil when nothing was counted under it.
    public func figure(_ key: FigureKey) -> Double? {
        let f = fraction(key)
        return f.denominator == 0 ? nil : Double(f.numerator) / Double(f.denominator)
    }
}

/// The rates and averages of a figure row, by the names used in JSON, profiles and reports.
public enum FigureKey: String, Sendable, Codable, CaseIterable {
    case responseRate, onTimeCompletionRate, completionRate, resolutionRate, satisfactionRate, starAverage
    case returnRate, extensionRate, overdueRate

    /// The operator's name (统计口径).
    public var chinese: String {
        switch self {
        case .responseRate: "响应率"
        case .onTimeCompletionRate: "按时办结率"
        case .completionRate: "办结率"
        case .resolutionRate: "解决率"
        case .satisfactionRate: "满意率"
        case .starAverage: "星级评价"
        case .returnRate: "退单率"
        case .extensionRate: "延期率"
        case .overdueRate: "超期率"
        }
    }

    /// Star averages are out of 5; every other figure is a share.
    public var isShare: Bool { self != .starAverage }
}

/// What figures read of a ticket: its centre, topic, channel and the figure fields of its events. Nothing in it is
/// personal, so a node keeps it in plain columns beside the sealed documents and computes a month's figures
/// without opening them (`TicketRepository.figureTickets`).
public struct FigureTicket: Sendable, Equatable {
    public var id: String
    public var centre: String
    public var topic: String
    public var channel: String
    public var events: [FigureEvent]

    public init(id: String, centre: String, topic: String, channel: String, events: [FigureEvent]) {
        self.id = id
        self.centre = centre
        self.topic = topic
        self.channel = channel
        self.events = events
    }

    public init(_ ticket: Ticket) {
        self.init(id: ticket.id, centre: ticket.centre, topic: ticket.topic, channel: ticket.channel, events: ticket.events.map(FigureEvent.init))
    }
}

/// The fields of an event that figures count (see `Figures.count`).
public struct FigureEvent: Sendable, Equatable {
    public var type: EventType
    public var at: Timestamp
    public var to: String?
    public var onTime: Bool?
    public var countsAsOverdue: Bool?
    public var resolved: Bool?
    public var level: SatisfactionLevel?
    public var stars: Int?
    /// An answer given from a knowledge-base entry.
    public var fromKnowledgeBase: Bool

    public init(type: EventType, at: Timestamp, to: String? = nil, onTime: Bool? = nil, countsAsOverdue: Bool? = nil,
                resolved: Bool? = nil, level: SatisfactionLevel? = nil, stars: Int? = nil, fromKnowledgeBase: Bool = false) {
        self.type = type
        self.at = at
        self.to = to
        self.onTime = onTime
        self.countsAsOverdue = countsAsOverdue
        self.resolved = resolved
        self.level = level
        self.stars = stars
        self.fromKnowledgeBase = fromKnowledgeBase
    }

    public init(_ e: TicketEvent) {
        self.init(type: e.type, at: e.at, to: e.to, onTime: e.onTime, countsAsOverdue: e.countsAsOverdue, resolved: e.resolved,
                  level: e.level, stars: e.stars, fromKnowledgeBase: e.kbEntry != nil)
    }
}

/// 统计 — figures computed from events only, so a corrected calendar never changes a past figure: the verdicts
/// were frozen on the events. An event counts when its local date lies in [from, to].
public enum Figures {
    public static func compute(tickets: [Ticket], from: LocalDate, to: LocalDate, by grouping: FigureGrouping) -> [FigureRow] {
        compute(tickets.map(FigureTicket.init), from: from, to: to, by: grouping)
    }

    public static func compute(_ tickets: [FigureTicket], from: LocalDate, to: LocalDate, by grouping: FigureGrouping) -> [FigureRow] {
        var rows: [String: FigureRow] = [:]
        for ticket in tickets {
            var lead: String?
            var wasDispatched = false
            // Groups that received a dispatch of this ticket and have not responded yet.
            var awaiting: Set<String> = []
            for e in evaluationsInForce(ticket.events) {
                let day = ChinaTime.date(of: e.at)
                let inPeriod = day >= from && day <= to
                func add(_ group: String, _ body: (inout FigureRow) -> Void) {
                    guard inPeriod else { return }
                    let key = rowKey(grouping, group: group, day: day)
                    var row = rows[key] ?? FigureRow(group: key)
                    body(&row)
                    rows[key] = row
                }
                func respond(_ group: String) {
                    guard awaiting.remove(group) != nil else { return }
                    add(group) { row in
                        row.responded += 1
                        if e.onTime == true { row.respondedOnTime += 1 }
                    }
                }
                let current = groupKey(grouping, ticket: ticket, lead: lead)
                switch e.type {
                case .dispatched, .forwarded:
                    lead = e.to
                    if e.type == .dispatched { wasDispatched = true }
                    let next = groupKey(grouping, ticket: ticket, lead: lead)
                    // A forward inside one group (a county station to its own unit, by county) is not a new dispatch.
                    if e.type == .forwarded {
                        guard next != current else { continue }
                        respond(current)
                    }
                    awaiting.insert(next)
                    add(next) { $0.dispatched += 1 }
                case .signed:
                    add(current) { row in
                        row.signed += 1
                        if e.onTime == true { row.signedOnTime += 1 }
                    }
                    respond(current)
                case .returnRequested:
                    respond(current)
                    add(current) { count(e, into: &$0, wasDispatched: wasDispatched) }
                default:
                    add(current) { count(e, into: &$0, wasDispatched: wasDispatched) }
                }
            }
        }
        return rows.values.sorted { $0.group < $1.group }
    }

    /// The events with each callback's result as it stands: a re-evaluation (AS19 §23: the unit disputes the
    /// evaluation, the centre evaluates again) replaces what it re-evaluates of the callback before it — level, stars,
    /// resolution —, counted where that callback is; the re-evaluation itself counts nothing. (Before, a unit's
    /// upheld dispute never reached its figures: the disputed rating stayed in its star average.)
    static func evaluationsInForce(_ events: [FigureEvent]) -> [FigureEvent] {
        guard events.contains(where: { $0.type == .reEvaluated }) else { return events }
        var out = events
        var callback: Int?
        for (i, e) in events.enumerated() {
            switch e.type {
            case .callback:
                callback = i
            case .reEvaluated:
                guard let c = callback else { continue }
                if let level = e.level { out[c].level = level }
                if let stars = e.stars { out[c].stars = stars }
                if let resolved = e.resolved { out[c].resolved = resolved }
            default:
                break
            }
        }
        return out
    }

    /// The group responsible for an event: what dispatches and responses are matched within.
    static func groupKey(_ grouping: FigureGrouping, ticket: FigureTicket, lead: String?) -> String {
        switch grouping {
        case .all, .day, .month: return "all"
        case .unit: return lead ?? ticket.centre
        case .county(let map):
            let unit = lead ?? ticket.centre
            return map[unit] ?? unit
        case .topic: return ticket.topic
        case .channel: return ticket.channel
        }
    }

    /// The row an event is counted in: its group, or its period.
    static func rowKey(_ grouping: FigureGrouping, group: String, day: LocalDate) -> String {
        switch grouping {
        case .day: return day.iso
        case .month: return String(day.iso.prefix(7))
        default: return group
        }
    }

    static func count(_ e: FigureEvent, into row: inout FigureRow, wasDispatched: Bool) {
        switch e.type {
        case .received: row.received += 1
        case .replied:
            row.replied += 1
            if e.onTime == true { row.repliedOnTime += 1 }
            if e.onTime == false { row.overdue += 1 }
        case .returnRequested where e.countsAsOverdue == true: row.overdue += 1
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
        case .answered:
            row.directAnswers += 1
            if e.fromKnowledgeBase { row.knowledgeAnswers += 1 }
        default: break
        }
    }
}
