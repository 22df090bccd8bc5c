import Foundation

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
                // The ticket as it stood just before this event: a late reply is judged against that deadline.
                let before = state
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
                                               deadline: before?.deadlines.handleBy.map(ChinaTime.localText) ?? "", state: "逾期反馈",
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
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}
