import Foundation

/// 月通报 — the monthly bulletin's content (TH §32, §34; JN §33; BD §36), built from events only. Rendering to
/// HTML, CSV or JSON is the node's business; this is what the numbers are.
public struct MonthlyBulletin: Sendable, Codable, Equatable {
    public var title: String
    public var profile: String
    public var profileTitle: String
    /// "2026-03"
    public var month: String
    public var from: String
    public var to: String
    public var generatedAt: String
    /// The open-data edition (JN §33): no ticket ids, no request texts, no personal data.
    public var isPublic: Bool
    public var totals: BulletinTotals
    /// The whole city's figures, the profile's core set first.
    public var figures: [BulletinFigure]
    public var intakeByDay: [BulletinCount]
    public var byChannel: [BulletinCount]
    public var byKind: [BulletinCount]
    public var byTopic: [BulletinCount]
    public var counties: [BulletinRow]
    public var units: [BulletinRow]
    /// Empty in the public edition.
    public var overdue: [OverdueItem]
    /// Empty in the public edition.
    public var supervisions: [SupervisionItem]
    public var hotIssues: [HotIssue]
    public var typicalCases: [TypicalCase]
    /// How the figures were counted and ranked, in Chinese, printed under the tables.
    public var notes: [String]
}

public struct BulletinTotals: Sendable, Codable, Equatable {
    public var received = 0
    public var answeredDirectly = 0
    /// Of the direct answers, those given from a knowledge-base entry.
    public var answeredFromKnowledge = 0
    public var dispatched = 0
    public var closed = 0
    /// Overdue items (the length of `overdue`, also in the public edition, which omits the list).
    public var overdue = 0
    public var supervisions = 0
    public var escalations = 0
}

public struct BulletinCount: Sendable, Codable, Equatable {
    public var label: String
    public var count: Int
    public init(label: String, count: Int) {
        self.label = label
        self.count = count
    }
}

/// One figure with the counts behind it.
public struct BulletinFigure: Sendable, Codable, Equatable {
    public var key: FigureKey
    public var name: String
    public var value: Double?
    public var numerator: Int
    public var denominator: Int
    /// One of the profile's core figures.
    public var core: Bool
}

/// One county or unit in the tables, with its rank (nil: too few dispatches to rank fairly).
public struct BulletinRow: Sendable, Codable, Equatable {
    public var group: String
    public var name: String
    public var rank: Int?
    public var dispatched: Int
    public var closed: Int
    public var overdue: Int
    public var returns: Int
    public var extensions: Int
    public var supervisions: Int
    public var figures: [BulletinFigure]
}

/// 超期事项 and the reason the unit gave (TH §34).
public struct OverdueItem: Sendable, Codable, Equatable {
    public var ticket: String
    public var unit: String
    public var unitName: String
    public var topic: String
    public var deadline: String
    /// 逾期反馈 (replied late), 逾期退单 (returned late, counts as overdue), 逾期未办结 (still open at month end).
    public var state: String
    public var reason: String
}

/// 督办与提级.
public struct SupervisionItem: Sendable, Codable, Equatable {
    public var at: String
    public var ticket: String
    public var unit: String
    public var unitName: String
    /// 督办 or 提级
    public var action: String
    /// The form (书面, 电话…) or the level escalated to.
    public var detail: String
    public var reason: String
}

/// 热点问题: a topic of the month, its trend and where it comes from.
public struct HotIssue: Sendable, Codable, Equatable {
    public var topic: String
    public var count: Int
    public var previousMonth: Int
    /// (count − previous) / previous; nil when there were none the month before.
    public var change: Double?
    /// Requests per day of the month.
    public var daily: [Int]
    /// The districts it comes from, most first (at most three).
    public var areas: [BulletinCount]
}

/// 典型案例, chosen by the centre with `typical`.
public struct TypicalCase: Sendable, Codable, Equatable {
    /// nil in the public edition.
    public var ticket: String?
    public var topic: String
    public var district: String
    public var unitName: String
    public var outcome: String
    public var summary: String
    /// The caller's words; nil in the public edition.
    public var request: String?
}

/// A ticket the centre marked as a typical case, with the summary written for publication.
public struct TypicalMark: Sendable, Equatable {
    public var ticket: Ticket
    public var summary: String
    public init(ticket: Ticket, summary: String) {
        self.ticket = ticket
        self.summary = summary
    }
}

/// What the bulletin is built from.
public struct BulletinInput: Sendable {
    /// Every ticket with events in the month or the month before (the trend compares the two).
    public var tickets: [Ticket]
    public var year: Int
    public var month: Int
    public var profile: PolicyProfile
    public var cityName: String
    /// Node id → Chinese name.
    public var names: [String: String]
    /// Node id → county id, for units in a county and for the county stations themselves.
    public var countyOf: [String: String]
    public var counties: [String]
    public var centre: String
    public var typical: [TypicalMark]
    public var generatedAt: Timestamp
    public var isPublic: Bool

    public init(tickets: [Ticket], year: Int, month: Int, profile: PolicyProfile, cityName: String, names: [String: String],
                countyOf: [String: String], counties: [String], centre: String, typical: [TypicalMark],
                generatedAt: Timestamp, isPublic: Bool) {
        self.tickets = tickets
        self.year = year
        self.month = month
        self.profile = profile
        self.cityName = cityName
        self.names = names
        self.countyOf = countyOf
        self.counties = counties
        self.centre = centre
        self.typical = typical
        self.generatedAt = generatedAt
        self.isPublic = isPublic
    }
}

public enum Bulletin {
    /// The first and last day of a month, or nil for a month that does not exist.
    public static func days(year: Int, month: Int) -> (first: LocalDate, last: LocalDate)? {
        guard let first = LocalDate(year: year, month: month, day: 1) else { return nil }
        let next = month == 12 ? LocalDate(year: year + 1, month: 1, day: 1) : LocalDate(year: year, month: month + 1, day: 1)
        guard let next else { return nil }
        return (first, next.adding(days: -1))
    }

    public static func build(_ input: BulletinInput) -> MonthlyBulletin? {
        guard let (first, last) = days(year: input.year, month: input.month),
              let previous = days(year: input.month == 1 ? input.year - 1 : input.year, month: input.month == 1 ? 12 : input.month - 1)
        else { return nil }
        let profile = input.profile
        let rules = profile.reportingRules
        let core = rules.coreFigures.value
        let monthText = String(first.iso.prefix(7))
        let name: (String) -> String = { input.names[$0] ?? $0 }

        let all = Figures.compute(tickets: input.tickets, from: first, to: last, by: .all).first ?? FigureRow(group: "all")
        let byUnit = Figures.compute(tickets: input.tickets, from: first, to: last, by: .unit)
        let byCounty = Figures.compute(tickets: input.tickets, from: first, to: last, by: .county(input.countyOf))

        var totals = BulletinTotals()
        totals.received = all.received
        totals.answeredDirectly = all.directAnswers
        totals.answeredFromKnowledge = all.knowledgeAnswers
        totals.dispatched = all.dispatched
        totals.closed = all.closed
        totals.supervisions = all.supervisions

        // Intake: requests received in the month.
        let received = input.tickets.filter { ChinaTime.date(of: $0.receivedAt) >= first && ChinaTime.date(of: $0.receivedAt) <= last }
        let dayCount = last.dayNumber - first.dayNumber + 1
        var perDay = Array(repeating: 0, count: dayCount)
        for t in received { perDay[ChinaTime.date(of: t.receivedAt).dayNumber - first.dayNumber] += 1 }
        let intakeByDay = perDay.enumerated().map { i, n in BulletinCount(label: String(first.adding(days: i).iso.suffix(5)), count: n) }

        var supervisions: [SupervisionItem] = []
        var overdue: [OverdueItem] = []
        let monthEnd = ChinaTime.endOfDay(last)
        for t in input.tickets {
            var lead: String?
            var state: Ticket?
            for e in t.events {
                if e.at < monthEnd { state = try? Lifecycle.apply(e, to: state) }
                if e.type == .dispatched || e.type == .forwarded { lead = e.to }
                let day = ChinaTime.date(of: e.at)
                guard day >= first, day <= last else { continue }
                let unit = lead ?? t.centre
                switch e.type {
                case .supervised:
                    supervisions.append(SupervisionItem(at: ChinaTime.localText(e.at), ticket: t.id, unit: unit, unitName: name(unit),
                                                        action: "督办", detail: formName(e.form), reason: e.reason ?? e.note ?? ""))
                case .escalated:
                    totals.escalations += 1
                    supervisions.append(SupervisionItem(at: ChinaTime.localText(e.at), ticket: t.id, unit: unit, unitName: name(unit),
                                                        action: "提级", detail: levelName(e.to), reason: e.reason ?? e.note ?? ""))
                case .replied where e.onTime == false:
                    overdue.append(OverdueItem(ticket: t.id, unit: unit, unitName: name(unit), topic: t.topic,
                                               deadline: deadlineText(before: e, in: t), state: "逾期反馈",
                                               reason: e.reason ?? statedReason(t, before: e.at) ?? "未说明超期原因"))
                case .returnRequested where e.countsAsOverdue == true:
                    overdue.append(OverdueItem(ticket: t.id, unit: unit, unitName: name(unit), topic: t.topic,
                                               deadline: e.returnBy.map(ChinaTime.localText) ?? "", state: "逾期退单",
                                               reason: e.reason ?? "未说明原因"))
                default: break
                }
            }
            // Still open and past its handling deadline when the month ended.
            if let s = state, s.status.isWithUnit, s.pause == nil, let handleBy = s.deadlines.handleBy, handleBy < monthEnd,
               ChinaTime.date(of: handleBy) >= first || !overdue.contains(where: { $0.ticket == t.id }) {
                let unit = s.lead ?? s.holder
                overdue.append(OverdueItem(ticket: t.id, unit: unit, unitName: name(unit), topic: t.topic,
                                           deadline: ChinaTime.localText(handleBy), state: "逾期未办结",
                                           reason: statedReason(t, before: monthEnd) ?? "未说明超期原因"))
            }
        }

        // Overdue items: late replies and returns of the month, and tickets still open past their deadline at its end.
        totals.overdue = overdue.count
        let hot = hotIssues(input, first: first, last: last, previous: previous)
        let typical = input.typical.map { mark in typicalCase(mark, input: input, name: name) }
        let rankNote = "排名按\(core.map(\.chinese).joined(separator: "、"))依次比较；本月派单少于\(rules.rankMinDispatched.value)件的单位列出但不参与排名（\(profile.cite(rules.rankMinDispatched.article))）。"
        let notes = [
            "核心指标：\(core.map(\.chinese).joined(separator: "、"))（\(profile.cite(rules.coreFigures.article))）。每项比率旁列出分子/分母。",
            "响应率 = 按时首次响应（签收、申请退单或县区工作站转派）÷ 派单数；办结率 = 办结数 ÷ 派单数；按时办结率 = 按时反馈 ÷ 反馈数；"
                + "解决率 = 回访已解决 ÷ 回访中答复是否解决的件数；满意率 =（满意 + 基本满意）÷ 参评件数；星级评价 = 星数之和 ÷ 星级评价件数；超期率 = 超期事件 ÷ 派单数。",
            "统计口径：事件发生在本月（北京时间）即计入本月；判定（是否按时）在事件发生时已冻结，不随日历更正而改变。",
            rankNote,
        ]
        return MonthlyBulletin(
            title: "\(input.cityName)\(first.year)年\(first.month)月工作通报" + (input.isPublic ? "（公开版）" : ""),
            profile: profile.id, profileTitle: profile.title, month: monthText, from: first.iso, to: last.iso,
            generatedAt: ChinaTime.localText(input.generatedAt), isPublic: input.isPublic, totals: totals,
            figures: figures(all, core: core), intakeByDay: intakeByDay,
            byChannel: counts(received.map { channelName($0.channel) }),
            byKind: counts(received.map { profile.kind($0.kind)?.name ?? $0.kind }),
            byTopic: counts(received.map(\.topic)),
            counties: ranked(byCounty.filter { input.counties.contains($0.group) }, rules: rules, name: name),
            // County stations have their own table (their units' work counts for them there).
            units: ranked(byUnit.filter { $0.group != input.centre && !input.counties.contains($0.group)
                && $0.dispatched + $0.closed + $0.replied > 0 }, rules: rules, name: name),
            overdue: input.isPublic ? [] : overdue.sorted { ($0.unit, $0.ticket) < ($1.unit, $1.ticket) },
            supervisions: input.isPublic ? [] : supervisions.sorted { ($0.at, $0.ticket) < ($1.at, $1.ticket) },
            hotIssues: hot, typicalCases: typical, notes: notes)
    }

    static func figures(_ row: FigureRow, core: [FigureKey]) -> [BulletinFigure] {
        let rest = FigureKey.allCases.filter { !core.contains($0) }
        return (core + rest).map { key in
            let f = row.fraction(key)
            return BulletinFigure(key: key, name: key.chinese, value: row.figure(key), numerator: f.numerator,
                                  denominator: f.denominator, core: core.contains(key))
        }
    }

    /// Rows ranked by the core figures in order (a missing figure ranks last); rows under the minimum are unranked.
    static func ranked(_ rows: [FigureRow], rules: ReportingRules, name: (String) -> String) -> [BulletinRow] {
        let core = rules.coreFigures.value
        func before(_ a: FigureRow, _ b: FigureRow) -> Bool {
            for key in core {
                let x = a.figure(key) ?? -1, y = b.figure(key) ?? -1
                if x != y { return x > y }
            }
            return a.dispatched != b.dispatched ? a.dispatched > b.dispatched : a.group < b.group
        }
        let eligible = rows.filter { $0.dispatched >= rules.rankMinDispatched.value }.sorted(by: before)
        let others = rows.filter { $0.dispatched < rules.rankMinDispatched.value }.sorted(by: before)
        var out: [BulletinRow] = []
        for (i, r) in eligible.enumerated() { out.append(row(r, rank: i + 1, core: core, name: name)) }
        for r in others { out.append(row(r, rank: nil, core: core, name: name)) }
        return out
    }

    static func row(_ r: FigureRow, rank: Int?, core: [FigureKey], name: (String) -> String) -> BulletinRow {
        BulletinRow(group: r.group, name: name(r.group), rank: rank, dispatched: r.dispatched, closed: r.closed, overdue: r.overdue,
                    returns: r.returns, extensions: r.extensions, supervisions: r.supervisions, figures: figures(r, core: core))
    }

    static func counts(_ labels: [String]) -> [BulletinCount] {
        var n: [String: Int] = [:]
        for l in labels { n[l, default: 0] += 1 }
        return n.map { BulletinCount(label: $0.key, count: $0.value) }.sorted { ($1.count, $0.label) < ($0.count, $1.label) }
    }

    static func hotIssues(_ input: BulletinInput, first: LocalDate, last: LocalDate,
                          previous: (first: LocalDate, last: LocalDate)) -> [HotIssue] {
        var now: [String: [Ticket]] = [:], before: [String: Int] = [:]
        for t in input.tickets {
            let d = ChinaTime.date(of: t.receivedAt)
            if d >= first && d <= last { now[t.topic, default: []].append(t) }
            if d >= previous.first && d <= previous.last { before[t.topic, default: 0] += 1 }
        }
        let top = now.sorted { ($1.value.count, $0.key) < ($0.value.count, $1.key) }.prefix(input.profile.reportingRules.hotIssues.value)
        return top.map { topic, tickets in
            var daily = Array(repeating: 0, count: last.dayNumber - first.dayNumber + 1)
            for t in tickets { daily[ChinaTime.date(of: t.receivedAt).dayNumber - first.dayNumber] += 1 }
            let prev = before[topic] ?? 0
            return HotIssue(topic: topic, count: tickets.count, previousMonth: prev,
                            change: prev == 0 ? nil : Double(tickets.count - prev) / Double(prev), daily: daily,
                            areas: Array(counts(tickets.map(\.area.district)).prefix(3)))
        }
    }

    static func typicalCase(_ mark: TypicalMark, input: BulletinInput, name: (String) -> String) -> TypicalCase {
        let t = mark.ticket
        var outcome = statusName(t.status)
        if let level = t.evaluation?.level { outcome += "，" + levelName(level) }
        if let stars = t.evaluation?.stars { outcome += "，\(stars)星" }
        let unit = t.lead.map(name) ?? "热线工作机构"
        guard input.isPublic else {
            return TypicalCase(ticket: t.id, topic: t.topic, district: Alerts.placeName(t.area), unitName: unit, outcome: outcome,
                               summary: mark.summary, request: t.text)
        }
        return TypicalCase(ticket: nil, topic: t.topic, district: t.area.district, unitName: unit, outcome: outcome,
                           summary: scrub(mark.summary, caller: t.caller, address: t.address), request: nil)
    }

    /// Removes what could identify a caller from a text meant for publication: the caller's name, phone and
    /// address as recorded, and any run of seven or more digits (phones, ID card and account numbers).
    public static func scrub(_ text: String, caller: CallerInfo, address: String) -> String {
        var out = text
        for secret in [caller.name, caller.phone, address].compactMap({ $0 }) where !secret.isEmpty {
            out = out.replacingAll(secret, with: "＊＊")
        }
        var result = "", digits = ""
        func flush() {
            result += digits.count >= 7 ? "＊＊" : digits
            digits = ""
        }
        for ch in out {
            if ch.isASCII && ch.isNumber { digits.append(ch) } else {
                flush()
                result.append(ch)
            }
        }
        flush()
        return result
    }

    /// The newest reason the unit gave before `instant`: an extension request's reason or a progress note.
    static func statedReason(_ t: Ticket, before instant: Timestamp) -> String? {
        t.events.last { $0.at < instant && ($0.type == .extensionRequested || $0.type == .progress) }
            .flatMap { $0.reason ?? $0.note }
    }

    static func deadlineText(before e: TicketEvent, in t: Ticket) -> String {
        var state: Ticket?
        for x in t.events where x.id != e.id && x.at <= e.at { state = try? Lifecycle.apply(x, to: state) }
        return state?.deadlines.handleBy.map(ChinaTime.localText) ?? ""
    }

    public static func channelName(_ code: String) -> String {
        switch code {
        case "phone", "phone-12345": "电话"
        case "sms": "短信"
        case "app": "APP"
        case "wechat": "微信"
        case "weibo": "微博"
        case "mailbox", "mayor-mailbox": "市长信箱"
        case "web": "网站"
        case "transfer": "转办"
        default: code
        }
    }

    /// The escalation levels the profiles name, in Chinese.
    static func levelName(_ level: String?) -> String {
        switch level {
        case "general-office": "政府办公厅（室）"
        case "executive-meeting": "政府常务会议"
        case "superior-department": "上级主管部门"
        case "committee-office": "党委、政府督查部门"
        case "discipline-commission": "纪检监察机关"
        case "county-level": "县级政府"
        case "city-level": "市政府"
        case "government-leader": "政府分管领导"
        case let other?: other
        case nil: ""
        }
    }

    static func formName(_ form: String?) -> String {
        switch form {
        case "phone": "电话督办"
        case "written": "书面督办"
        case "meeting": "会议督办"
        case "on-site": "现场督办"
        case "media": "媒体督办"
        case "inspection": "专项督查"
        case "leader": "领导督办"
        case let other?: other
        case nil: "督办"
        }
    }

    public static func statusName(_ s: TicketStatus) -> String {
        switch s {
        case .received: "已受理"
        case .waitingMaterial: "待补充材料"
        case .answered: "直接答复"
        case .rejected: "不予受理"
        case .referred: "已转其他渠道"
        case .dispatched: "已派单"
        case .signed: "办理中"
        case .suspended: "挂账"
        case .returned: "已退回"
        case .replied: "已反馈"
        case .reviewed: "已审核"
        case .closed: "已办结"
        case .archived: "已归档"
        case .terminated: "已终止"
        }
    }

    static func levelName(_ l: SatisfactionLevel) -> String {
        switch l {
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .unsatisfied: "不满意"
        }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}
