import Foundation

/// 预警 — what the centre should look at before it becomes a crisis or a breach (BD §31, AS19 §31).
public enum AlertKind: String, Sendable, Codable, CaseIterable {
    /// A topic's requests of the last 24 hours against its own trailing daily mean.
    case topicSpike = "topic-spike"
    /// The same for a district.
    case areaSpike = "area-spike"
    /// Many different callers on one place and topic within hours (possible emergency).
    case cluster
    /// One caller raising the same matter again while it is open or recently handled.
    case repeatCaller = "repeat-caller"
    /// A running sign-for or handling clock past a warning fraction, before its deadline.
    case nearOverdue = "near-overdue"
    /// 督办提示: a sign-for deadline passed with the ticket not signed for; a handling deadline passed with no reply;
    /// one passed `chronicOverdueDays` ago (escalation). The triggers the profile names (`supervision.triggers`).
    case notSigned = "not-signed"
    case overdue
    case chronic
    /// 督办提示 from a step rather than a clock: the ticket's `unsatisfiedCount`-th unsatisfied callback (TH §29, AS19
    /// §25, BD §24); a return asked for after the return window (TH §15).
    case repeatedUnsatisfied = "repeated-unsatisfied"
    case lateReturn = "late-return"
    /// A ticket still at the centre past its dispatch deadline (or acceptance deadline, AS19 §20(2)).
    case notDispatched = "not-dispatched"
    /// A return asked for again by a node whose earlier return the centre refused (BD §24(1), ASD §19(3), TH §18).
    case refusedToSign = "refused-to-sign"
    /// 问题移送: a case the profile refers to the discipline commission (ASD §20).
    case referDiscipline = "refer-discipline"

    public var chinese: String {
        switch self {
        case .topicSpike: "类别激增"
        case .areaSpike: "区域激增"
        case .cluster: "集中反映"
        case .repeatCaller: "重复诉求"
        case .nearOverdue: "临期预警"
        case .notSigned: "超时未签收"
        case .overdue: "超期未办结"
        case .chronic: "长期超期"
        case .repeatedUnsatisfied: "多次不满意"
        case .lateReturn: "超时退单"
        case .notDispatched: "超时未派单"
        case .refusedToSign: "拒不签收"
        case .referDiscipline: "问题移送"
        }
    }
}

/// One warning with the tickets behind it. `key` names the situation, so a node raises it once and not every
/// time it looks (a spike once per topic and day; a clock warning once per ticket, clock and fraction).
public struct Alert: Sendable, Equatable, Codable {
    public var kind: AlertKind
    public var key: String
    public var subject: String
    public var tickets: [String]
    /// A sentence for operators, in Chinese, with no personal data (it goes to the log).
    public var message: String
    /// The profile article the threshold comes from, e.g. "baoding-2022 §31".
    public var basis: String

    public init(kind: AlertKind, key: String, subject: String, tickets: [String], message: String, basis: String) {
        self.kind = kind
        self.key = key
        self.subject = subject
        self.tickets = tickets
        self.message = message
        self.basis = basis
    }
}

/// What the early warnings read of a ticket. The caller appears only as `callerKey`, an opaque value equal for two
/// tickets of the same phone number: a node keeps it in a column (a keyed hash, never the number) so the scan of a
/// month of tickets needs no document.
public struct AlertTicket: Sendable, Equatable {
    public var id: String
    public var receivedAt: Timestamp
    public var topic: String
    public var area: Area
    /// Equal for the same caller's phone, nil when the caller gave none.
    public var callerKey: String?
    public var status: TicketStatus
    public var holder: String
    public var clock: DeadlineClock

    public init(id: String, receivedAt: Timestamp, topic: String, area: Area, callerKey: String?, status: TicketStatus,
                holder: String, clock: DeadlineClock) {
        self.id = id
        self.receivedAt = receivedAt
        self.topic = topic
        self.area = area
        self.callerKey = callerKey
        self.status = status
        self.holder = holder
        self.clock = clock
    }

    /// The fields of a whole ticket; `callerKey` is what stands for its phone (the phone itself in pure tests). With
    /// `rules`, the centre's decision clock of a ticket waiting for it (`DeadlineClock.decideBy`).
    public init(_ t: Ticket, callerKey: String?, rules: Rules? = nil) {
        var clock = DeadlineClock(t)
        clock.decideBy = rules.flatMap { DeadlineClock.decideBy(status: t.status, since: t.lastEventAt ?? t.receivedAt, rules: $0) }
        self.init(id: t.id, receivedAt: t.receivedAt, topic: t.topic, area: t.area, callerKey: callerKey, status: t.status,
                  holder: t.holder, clock: clock)
    }
}

public enum Alerts {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    /// The alerts due at `now` over `tickets`: those received within the profile's look-back windows, plus every
    /// open ticket (for the clocks). Pure: the node decides which ones are new.
    public static func compute(tickets: [Ticket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        compute(tickets.map { AlertTicket($0, callerKey: $0.caller.phone) }, now: now, profile: profile)
    }

    /// The same with the centre's decision clocks counted under `rules` (`not-dispatched`).
    public static func compute(tickets: [Ticket], now: Timestamp, rules: Rules) -> [Alert] {
        compute(tickets.map { AlertTicket($0, callerKey: $0.caller.phone, rules: rules) }, now: now, profile: rules.profile)
    }

    /// The same over the alert fields alone (what a node reads from its columns).
    public static func compute(_ tickets: [AlertTicket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        spikes(tickets, now: now, profile: profile) + clusters(tickets, now: now, profile: profile)
            + repeatCallers(tickets, now: now, profile: profile) + nearOverdue(tickets, now: now, profile: profile)
            + breaches(tickets, now: now, profile: profile)
    }

    static func spikes(_ tickets: [AlertTicket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        let r = profile.reportingRules
        let basis = profile.cite(r.spikeFactor.article)
        let today = ChinaTime.date(of: now).iso
        let windowStart = now.millis - day
        let baselineStart = windowStart - Int64(r.baselineDays.value) * day
        var out: [Alert] = []
        let dimensions: [(AlertKind, (AlertTicket) -> String)] = [(.topicSpike, { $0.topic }), (.areaSpike, { $0.area.district })]
        for (kind, subjectOf) in dimensions {
            var recent: [String: [String]] = [:], before: [String: Int] = [:]
            for t in tickets where t.receivedAt.millis <= now.millis {
                let subject = subjectOf(t)
                guard !subject.isEmpty else { continue }
                if t.receivedAt.millis > windowStart { recent[subject, default: []].append(t.id) }
                else if t.receivedAt.millis > baselineStart { before[subject, default: 0] += 1 }
            }
            for (subject, ids) in recent.sorted(by: { $0.key < $1.key }) {
                let mean = Double(before[subject] ?? 0) / Double(r.baselineDays.value)
                guard ids.count >= r.spikeMinCount.value, Double(ids.count) >= r.spikeFactor.value * mean else { continue }
                let what = kind == .topicSpike ? "「\(subject)」类诉求" : "\(subject)的诉求"
                let baseline = String(format: "%.1f", mean)
                out.append(Alert(kind: kind, key: "\(kind.rawValue)|\(subject)|\(today)", subject: subject,
                                 tickets: ids.sorted(),
                                 message: "\(what)24小时内\(ids.count)件，前\(r.baselineDays.value)天日均\(baseline)件（阈值：\(r.spikeFactor.value)倍且不少于\(r.spikeMinCount.value)件）",
                                 basis: basis))
            }
        }
        return out
    }

    static func clusters(_ tickets: [AlertTicket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        let s = profile.supervision
        let windowStart = now.millis - Int64(s.manyCallersHours.value) * hour
        let inWindow = tickets.filter { $0.receivedAt.millis > windowStart && $0.receivedAt.millis <= now.millis }
        let byPlace = Dictionary(grouping: inWindow) { "\(placeName($0.area))|\($0.topic)" }
        var out: [Alert] = []
        for (key, group) in byPlace.sorted(by: { $0.key < $1.key }) {
            let callers = Set(group.map { $0.callerKey ?? $0.id })
            guard callers.count >= max(s.manyCallersCount.value, 2) else { continue }
            let first = group[0]
            out.append(Alert(kind: .cluster, key: "cluster|\(key)|\(ChinaTime.date(of: now).iso)",
                             subject: "\(placeName(first.area)) \(first.topic)", tickets: group.map(\.id).sorted(),
                             message: "\(placeName(first.area))「\(first.topic)」\(s.manyCallersHours.value)小时内\(callers.count)位诉求人集中反映",
                             basis: profile.cite(s.manyCallersCount.article)))
        }
        return out
    }

    static func repeatCallers(_ tickets: [AlertTicket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        let s = profile.supervision
        let windowStart = now.millis - Int64(s.repeatWindowDays.value) * day
        let recent = tickets.filter { $0.receivedAt.millis > windowStart && $0.receivedAt.millis <= now.millis && $0.callerKey != nil }
        let byCaller = Dictionary(grouping: recent) { "\($0.callerKey ?? "")|\($0.topic)" }
        var out: [Alert] = []
        for (_, group) in byCaller.sorted(by: { $0.key < $1.key }) where group.count >= 2 {
            let ids = group.map(\.id).sorted()
            guard let newest = group.max(by: { ($0.receivedAt.millis, $0.id) < ($1.receivedAt.millis, $1.id) }) else { continue }
            // Keyed by the newest request: a third call on the matter is a new alert, the same two calls are not.
            out.append(Alert(kind: .repeatCaller, key: "repeat-caller|\(newest.id)", subject: newest.topic, tickets: ids,
                             message: "同一诉求人\(s.repeatWindowDays.value)天内\(group.count)次反映「\(newest.topic)」（\(ids.joined(separator: "、"))）",
                             basis: profile.cite(s.repeatWindowDays.article)))
        }
        return out
    }

    static func nearOverdue(_ tickets: [AlertTicket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        let fractions = profile.supervision.warnAtFractions
        var out: [Alert] = []
        for t in tickets where !t.status.isFinished {
            for w in Deadlines.warnings(t.id, status: t.status, clock: t.clock, now: now, fractions: fractions.value) {
                let clock = w.clock == .sign ? "签收" : "办理"
                let percent = Int((w.fraction * 100).rounded())
                out.append(Alert(kind: .nearOverdue, key: "near-overdue|\(t.id)|\(w.clock.rawValue)|\(percent)",
                                 subject: t.holder, tickets: [t.id],
                                 message: "\(t.id) \(clock)时限已过\(percent)%，\(ChinaTime.localText(w.deadline))到期（\(t.holder)）",
                                 basis: profile.cite(fractions.article)))
            }
        }
        return out
    }

    /// The clocks that ran out, as supervision prompts (督办提示) for the operator to `supervise` or `escalate`: the
    /// supervision triggers the profile names (JN §28(1), TH §18, ASD §19; BD §24 for signing; the chronic ones to
    /// the profile's first escalation level). Keyed by ticket and deadline: raised once, and again only when an
    /// extension's new deadline runs out too. (Before, `Supervision.due` computed them and nothing asked it: an
    /// overdue ticket was seen only by an operator who ran `list --overdue`.)
    static func breaches(_ tickets: [AlertTicket], now: Timestamp, profile: PolicyProfile) -> [Alert] {
        let s = profile.supervision
        let enabled = Set(s.triggers.value)
        let basis = profile.cite(s.triggers.article)
        var out: [Alert] = []
        // The centre's own clock: a ticket received and still waiting for its decision (dispatch, direct answer,
        // refusal or referral) past the profile's dispatch or acceptance deadline (JN §23(2), AS19 §20(2), TH §15
        // 当日派清, BD §16(2), ASD §12). Every profile sets one; nothing showed the centre its own lateness.
        for t in tickets where t.status == .received || t.status == .returned {
            guard let due = t.clock.decideBy, now > due else { continue }
            let accepting = t.status == .received && profile.acceptanceDeadline != nil
            let rule = accepting ? profile.acceptanceDeadline ?? profile.dispatchDeadline : profile.dispatchDeadline
            let what = t.status == .returned ? "退单后超过派单时限（\(ChinaTime.localText(due))）仍未重新派单"
                : "超过\(accepting ? "受理" : "派单")时限（\(ChinaTime.localText(due))）仍未派单，也未答复、不予受理或转办"
            out.append(Alert(kind: .notDispatched, key: "not-dispatched|\(t.id)|\(due.millis)", subject: t.holder, tickets: [t.id],
                             message: "\(t.id) \(what)（\(t.holder)）", basis: profile.cite(rule.article)))
        }
        for t in tickets where t.status.isWithUnit && !t.clock.paused {
            if enabled.contains(.notSignedInTime), t.status == .dispatched, let signBy = t.clock.signBy, now > signBy {
                out.append(Alert(kind: .notSigned, key: "not-signed|\(t.id)|\(signBy.millis)", subject: t.holder, tickets: [t.id],
                                 message: "\(t.id) 超过签收时限（\(ChinaTime.localText(signBy))）未签收（\(t.holder)），应予督办",
                                 basis: basis))
            }
            guard let handleBy = t.clock.handleBy, now > handleBy else { continue }
            if enabled.contains(.overdue) {
                out.append(Alert(kind: .overdue, key: "overdue|\(t.id)|\(handleBy.millis)", subject: t.holder, tickets: [t.id],
                                 message: "\(t.id) 超过办理时限（\(ChinaTime.localText(handleBy))）未办结（\(t.holder)），应予督办",
                                 basis: basis))
            }
            let days = Int((now.millis - handleBy.millis) / day)
            if enabled.contains(.chronic), days >= s.chronicOverdueDays.value, let level = s.escalation.value.first {
                out.append(Alert(kind: .chronic, key: "chronic|\(t.id)|\(handleBy.millis)", subject: t.holder, tickets: [t.id],
                                 message: "\(t.id) 超期\(days)天仍未办结（\(t.holder)），应提级（\(level)）",
                                 basis: profile.cite(s.escalation.article)))
            }
        }
        return out
    }

    /// The supervision prompts a ticket's new events raise at the centre, where the profile names the trigger: the
    /// callback that makes its unsatisfied ones reach `unsatisfiedCount`, a return asked for late, a return asked for
    /// again after the centre refused one (refused to sign). Raised when the
    /// event is stored (these need the ticket's history, which the minute's scan does not read).
    public static func afterEvents(_ events: [TicketEvent], ticket t: Ticket, profile: PolicyProfile) -> [Alert] {
        // Every step of every ticket passes here at the centre: most are none of these.
        guard events.contains(where: { [.callback, .returnRequested, .supervised, .returnRefused].contains($0.type) }) else { return [] }
        let s = profile.supervision
        let enabled = Set(s.triggers.value)
        let basis = profile.cite(s.triggers.article)
        let unit = t.lead ?? t.holder
        var out: [Alert] = []
        for e in events {
            switch e.type {
            case .callback where enabled.contains(.repeatedUnsatisfied) && e.level == .unsatisfied:
                let count = t.evaluation?.unsatisfiedCount ?? 0
                guard s.unsatisfiedCount.value > 0, count == s.unsatisfiedCount.value else { continue }
                out.append(Alert(kind: .repeatedUnsatisfied, key: "repeated-unsatisfied|\(t.id)|\(count)", subject: unit, tickets: [t.id],
                                 message: "\(t.id) 第\(count)次回访不满意（\(unit)），应予督办", basis: basis))
            case .returnRequested:
                if enabled.contains(.lateReturn) && e.onTime == false {
                    out.append(Alert(kind: .lateReturn, key: "late-return|\(t.id)|\(e.id)", subject: e.node, tickets: [t.id],
                                     message: "\(t.id) 超过退单时限申请退单（\(e.node)）\(e.countsAsOverdue == true ? "，按超期计" : "")，应予督办",
                                     basis: basis))
                }
                if enabled.contains(.refusedToSign), refusedBefore(e, in: t) {
                    out.append(Alert(kind: .refusedToSign, key: "refused-to-sign|\(t.id)|\(e.id)", subject: e.node, tickets: [t.id],
                                     message: "\(t.id) 退单已被驳回（属职责范围），\(e.node)再次申请退单，拒不接收，应予督办",
                                     basis: basis))
                }
            default:
                break
            }
        }
        return out + referrals(events, ticket: t, profile: profile)
    }

    /// 问题移送 (ASD §20): a ticket supervised `referralCount` times without a reply, its returns refused that many
    /// times, or that many unsatisfied callbacks — raised once each, for the centre to refer to the discipline
    /// commission.
    static func referrals(_ events: [TicketEvent], ticket t: Ticket, profile: PolicyProfile) -> [Alert] {
        let s = profile.supervision
        guard let referral = s.referral, let n = s.referralCount?.value else { return [] }
        let enabled = Set(referral.value), unit = t.lead ?? t.holder
        var out: [Alert] = []
        func raise(_ trigger: ReferralTrigger, _ what: String) {
            out.append(Alert(kind: .referDiscipline, key: "refer-discipline|\(t.id)|\(trigger.rawValue)", subject: unit, tickets: [t.id],
                             message: "\(t.id) \(what)（\(unit)），应及时移送纪委监委",
                             basis: profile.cite(referral.article)))
        }
        for e in events {
            switch e.type {
            case .supervised where enabled.contains(.repeatedSupervision):
                let count = since(e, in: t, stopAt: [.dispatched, .replied], counting: .supervised)
                if count == n { raise(.repeatedSupervision, "多次督办无果（\(count)次督办，未见答复）") }
            case .returnRefused where enabled.contains(.repeatedUnjustifiedReturn):
                let count = since(e, in: t, stopAt: [.dispatched], counting: .returnRefused)
                if count == n { raise(.repeatedUnjustifiedReturn, "多次无理由退转（\(count)次退单被驳回）") }
            case .callback where enabled.contains(.repeatedComplaint) && e.level == .unsatisfied:
                let count = t.evaluation?.unsatisfiedCount ?? 0
                if count == n { raise(.repeatedComplaint, "多次办理仍在投诉（\(count)次回访不满意）") }
            default:
                break
            }
        }
        return out
    }

    /// How many events of type `counting` the ticket holds up to and including `e`, back to the last of `stopAt`.
    static func since(_ e: TicketEvent, in t: Ticket, stopAt: Set<EventType>, counting: EventType) -> Int {
        guard var i = t.events.lastIndex(where: { $0.id == e.id }) else { return 0 }
        var count = 0
        while true {
            let type = t.events[i].type
            if type == counting { count += 1 } else if stopAt.contains(type) { break }
            if i == t.events.startIndex { break }
            i -= 1
        }
        return count
    }

    /// Whether `e`, a return request, follows a return of the same node the centre refused since the ticket's last
    /// dispatch: the matter was found within that node's duty, and it asks again instead of taking it (拒不签收 BD
    /// §24(1), 拒不接收转办事项 ASD §19(3), TH §18).
    static func refusedBefore(_ e: TicketEvent, in t: Ticket) -> Bool {
        guard let at = t.events.lastIndex(where: { $0.id == e.id }) else { return false }
        var refused = false
        var i = at
        while i > t.events.startIndex {
            i -= 1
            switch t.events[i].type {
            case .dispatched: return false
            case .returnRefused: refused = true
            case .returnRequested where refused: return t.events[i].node == e.node
            default: break
            }
        }
        return false
    }

    static func placeName(_ area: Area) -> String {
        area.street.isEmpty ? area.district : "\(area.district)\(area.street)"
    }
}
