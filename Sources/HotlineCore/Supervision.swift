/// What may trigger supervision (督办), as named in the profiles (RULES.md §6).
public enum SupervisionTriggerKind: String, Sendable, Codable, CaseIterable {
    case overdue
    case notSignedInTime = "not-signed-in-time"
    case refusedToSign = "refused-to-sign"
    case repeatedCaller = "repeated-caller"
    case repeatedPlace = "repeated-place"
    case manyCallers = "many-callers"
    case repeatedUnsatisfied = "repeated-unsatisfied"
    case lateReturn = "late-return"
    case chronic
}

/// One reason to supervise: which tickets, which node, and why (with the article).
public struct SupervisionTrigger: Sendable, Equatable, Codable {
    public var kind: SupervisionTriggerKind
    public var tickets: [String]
    public var node: String
    public var reason: String
}

/// 督办 — supervision triggers computed from whole tickets and the clock. The running centre raises the clock-based
/// ones (overdue, not signed in time, chronic) and the repeat and cluster ones from its columns, as alerts
/// (`Alerts.breaches`, `Alerts.repeatCallers`, `Alerts.clusters`) for the operator to `supervise` or `escalate`, and
/// repeated unsatisfied callbacks, late returns and a return asked for again after a refused one ("refused to sign")
/// as it stores the step (`Alerts.afterEvents`); "refused to sign" as a refused return left unsigned is computed here
/// only, and not raised by a node (the minute's scan reads no history).
public enum Supervision {
    public static func due(tickets: [Ticket], now: Timestamp, profile: PolicyProfile) -> [SupervisionTrigger] {
        let rules = profile.supervision
        let enabled = Set(rules.triggers.value)
        let cite = profile.cite(rules.triggers.article)
        var out: [SupervisionTrigger] = []
        func add(_ kind: SupervisionTriggerKind, _ ids: [String], _ node: String, _ why: String) {
            if enabled.contains(kind) { out.append(SupervisionTrigger(kind: kind, tickets: ids, node: node, reason: "\(cite): \(why)")) }
        }
        let open = tickets.filter { !$0.status.isFinished }
        for t in open {
            if t.status.isWithUnit, t.pause == nil, let handleBy = t.deadlines.handleBy, now > handleBy {
                add(.overdue, [t.id], t.holder, "handling deadline \(handleBy.iso8601) passed")
                let days = Int((now.millis - handleBy.millis) / 86_400_000)
                if days >= rules.chronicOverdueDays.value, let level = rules.escalation.value.first {
                    add(.chronic, [t.id], t.holder,
                        "overdue \(days) days (≥ \(rules.chronicOverdueDays.value)); escalate to \(level) (\(profile.cite(rules.escalation.article)))")
                }
            }
            if t.status == .dispatched, let signBy = t.deadlines.signBy, now > signBy {
                add(.notSignedInTime, [t.id], t.holder, "not signed for by \(signBy.iso8601)")
            }
            if t.status == .dispatched, !t.events.isEmpty, t.events[t.events.count - 1].type == .returnRefused {
                add(.refusedToSign, [t.id], t.holder, "return refused and still not signed for")
            }
            if t.verdicts.returnedLate {
                add(.lateReturn, [t.id], t.holder, "returned after the return window")
            }
        }
        for t in tickets {
            if let ev = t.evaluation, ev.unsatisfiedCount >= rules.unsatisfiedCount.value, rules.unsatisfiedCount.value > 0 {
                add(.repeatedUnsatisfied, [t.id], t.lead ?? t.holder, "\(ev.unsatisfiedCount) unsatisfied callbacks")
            }
        }
        let window = Int64(rules.repeatWindowDays.value) * 86_400_000
        let recent = tickets.filter { now.millis - $0.receivedAt.millis <= window }
        let byPhone = Dictionary(grouping: recent.filter { $0.caller.phone != nil }) { $0.caller.phone ?? "" }
        for (_, group) in byPhone.sorted(by: { $0.key < $1.key }) where group.count >= 2 && group.contains(where: { !$0.status.isFinished }) {
            add(.repeatedCaller, group.map(\.id).sorted(), group[0].centre,
                "\(group.count) requests by the same caller within \(rules.repeatWindowDays.value) days")
        }
        let byPlace = Dictionary(grouping: recent) { "\($0.area.district)|\($0.area.street)|\($0.topic)" }
        for (_, group) in byPlace.sorted(by: { $0.key < $1.key }) where group.count >= 2 && group.contains(where: { !$0.status.isFinished }) {
            add(.repeatedPlace, group.map(\.id).sorted(), group[0].centre,
                "\(group.count) requests about \(group[0].topic) in \(group[0].area.street) within \(rules.repeatWindowDays.value) days")
            let burst = Int64(rules.manyCallersHours.value) * 3_600_000
            let inBurst = group.filter { now.millis - $0.receivedAt.millis <= burst }
            let callers = Set(inBurst.map { $0.caller.phone ?? $0.id })
            if callers.count >= rules.manyCallersCount.value {
                add(.manyCallers, inBurst.map(\.id).sorted(), group[0].centre,
                    "\(callers.count) callers on one matter within \(rules.manyCallersHours.value) h")
            }
        }
        return out
    }
}

/// An "about to become overdue" warning (DESIGN: warn before the breach).
public struct DeadlineWarning: Sendable, Equatable, Codable {
    public enum Clock: String, Sendable, Codable { case sign, handle }
    public var clock: Clock
    public var ticket: String
    public var deadline: Timestamp
    /// The largest configured fraction of the period already elapsed, e.g. 0.75.
    public var fraction: Double
}

/// What the clock warnings need of a ticket, small enough to keep in columns: when the running clocks started
/// (the last dispatch), their deadlines, and whether they are paused.
public struct DeadlineClock: Sendable, Equatable {
    public var dispatchedAt: Timestamp?
    public var signBy: Timestamp?
    public var handleBy: Timestamp?
    public var paused: Bool
    /// For a ticket waiting at the centre for its decision: when it is due (`decideBy(status:since:rules:)`); nil
    /// otherwise, and where no rules were given.
    public var decideBy: Timestamp?

    public init(dispatchedAt: Timestamp?, signBy: Timestamp?, handleBy: Timestamp?, paused: Bool, decideBy: Timestamp? = nil) {
        self.dispatchedAt = dispatchedAt
        self.signBy = signBy
        self.handleBy = handleBy
        self.paused = paused
        self.decideBy = decideBy
    }

    /// When the centre's decision on a ticket waiting for it is due under `rules`, counted from `since`, the ticket's
    /// last step (its receipt; or the reopening, or the caller's material, that brought it back to `received`; or the
    /// approved return): for a `received` ticket the acceptance deadline where the profile has one (AS19 §20(2):
    /// 确定是否受理 within 3 wd), else the dispatch deadline; for a `returned` one the dispatch deadline (TH §15, BD
    /// §20: re-dispatched). Nil for any other status.
    public static func decideBy(status: TicketStatus, since: Timestamp, rules: Rules) -> Timestamp? {
        switch status {
        case .received: rules.deadline(from: since, rules.profile.acceptanceDeadline?.value ?? rules.profile.dispatchDeadline.value)
        case .returned: rules.deadline(from: since, rules.profile.dispatchDeadline.value)
        default: nil
        }
    }

    public init(_ t: Ticket) {
        // The fields read in place: `last(where:)` and `lastIndex(where:)` hand each event they look at to the
        // predicate as a copy (46 members, a retain each).
        var dispatchedAt: Timestamp?
        var i = t.events.endIndex
        while i > t.events.startIndex {
            i -= 1
            if t.events[i].type == .dispatched {
                dispatchedAt = t.events[i].at
                break
            }
        }
        self.init(dispatchedAt: dispatchedAt, signBy: t.deadlines.signBy,
                  handleBy: t.deadlines.handleBy, paused: t.pause != nil)
    }
}

public enum Deadlines {
    /// Warnings for the running sign-for and handling clocks whose elapsed share passed one of `fractions`
    /// (the profile's `supervision.warnAtFractions`) but whose deadline has not yet passed.
    public static func warnings(_ ticket: Ticket, now: Timestamp, fractions: [Double]) -> [DeadlineWarning] {
        warnings(ticket.id, status: ticket.status, clock: DeadlineClock(ticket), now: now, fractions: fractions)
    }

    public static func warnings(_ id: String, status: TicketStatus, clock c: DeadlineClock, now: Timestamp,
                                fractions: [Double]) -> [DeadlineWarning] {
        guard status.isWithUnit, !c.paused, let start = c.dispatchedAt else { return [] }
        var clocks: [(DeadlineWarning.Clock, Timestamp?)] = [(.handle, c.handleBy)]
        if status == .dispatched { clocks.insert((.sign, c.signBy), at: 0) }
        return clocks.compactMap { clock, deadline in
            guard let deadline, now < deadline, deadline > start else { return nil }
            let share = Double(now.millis - start.millis) / Double(deadline.millis - start.millis)
            guard let passed = fractions.filter({ share >= $0 }).max() else { return nil }
            return DeadlineWarning(clock: clock, ticket: id, deadline: deadline, fraction: passed)
        }
    }
}
