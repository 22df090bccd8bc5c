/// The profile-heavy steps of `decide`: dispatch deadlines, returns, extensions and callbacks.
extension Decider {
    func dispatch(_ e: inout TicketEvent, lead: String, assisting: [String], tierCode: String?) throws(LifecycleError) {
        if lead.isEmpty { throw .invalidInput("dispatch needs a lead unit (主办)") }
        if assisting.contains(lead) { throw .invalidInput("the lead unit cannot also assist") }
        let period: Period
        if let tierCode {
            guard let tier = profile.tier(tierCode) else {
                throw .invalidInput("unknown tier '\(tierCode)'; \(profile.id) has: \(profile.tiers.map(\.code).joined(separator: ", "))")
            }
            period = tier.period
        } else if profile.tierRequired.value {
            throw violated(profile.tierRequired.article, "choose a handling tier at dispatch (\(profile.tiers.map(\.code).joined(separator: ", ")))")
        } else if let standard = profile.handlingDefault {
            period = standard.value
        } else {
            throw .invalidInput("\(profile.id) has no default handling period; choose a tier")
        }
        e.to = lead
        e.assisting = assisting
        e.tier = tierCode
        let handleBy = rules.deadline(from: now, period)
        e.handleBy = handleBy
        // A ticket is signed for no later than it is to be handled: BD's 2-hour and 24-hour tiers end before the
        // network's 1-working-day sign-for period would (before, a 2-hour ticket signed a day late was on time).
        e.signBy = min(rules.deadline(from: now, profile.signDeadline.value), handleBy)
        e.returnBy = profile.returns.window.map { rules.deadline(from: now, $0.value) }
        e.handlingUnit = period.unit
        e.onTime = ticket?.deadlines.dispatchBy.map { now <= $0 } ?? true
    }

    func requestReturn(_ e: inout TicketEvent, reason: String, basis: String?, ticket t: Ticket) throws(LifecycleError) {
        if reason.isEmpty { throw .invalidInput("a return must give its reason") }
        if profile.returns.requiresBasis.value && (basis ?? "").isEmpty {
            throw violated(profile.returns.requiresBasis.article, "a return must carry its reason and basis (依据)")
        }
        e.reason = reason
        e.basis = basis
        let onTime = t.deadlines.returnBy.map { now <= $0 } ?? true
        e.onTime = onTime
        e.countsAsOverdue = !onTime && profile.returns.lateCountsAsOverdue.value
    }

    func requestExtension(_ e: inout TicketEvent, period requested: Period?, reason: String, leaderSignOff: Bool,
                          statutoryBasis: String? = nil, ticket t: Ticket) throws(LifecycleError) {
        let x = profile.extensions
        if !x.allowed.value { throw violated(x.allowed.article, "this regulation provides no extension") }
        guard let handleBy = t.deadlines.handleBy else { throw .missingField(.extensionRequested, field: "handleBy") }
        // A period a law sets for the matter prevails over the caps (JN §24(2), AS19 §22, TH §16, BD §19(3), ASD §15):
        // asked for like any extension — before the deadline, with its notice and sign-off — with its length and the
        // provision it rests on; the count, length and total caps do not apply. The centre decides.
        if let basis = statutoryBasis {
            guard let rule = x.statutoryLonger, rule.value else {
                throw violated(x.allowed.article, "this regulation names no statutory longer period")
            }
            if basis.trimmingCharacters(in: .whitespaces).isEmpty { throw violated(rule.article, "name the provision that sets the longer period") }
            if requested == nil { throw .invalidInput("state the length the law sets") }
            e.basis = basis
        }
        let capped = statutoryBasis == nil
        if capped, let max = x.maxCount, t.extensions >= max.value {
            let beyond = x.beyondLimit.map { "; \($0.value)" } ?? ""
            throw violated(max.article, "at most \(max.value) extensions\(beyond)")
        }
        if now > handleBy { throw violated(x.allowed.article, "ask for an extension before the deadline expires") }
        if let notice = x.minNotice {
            let latest = latestRequest(before: handleBy, notice: notice.value)
            if now > latest {
                throw violated(notice.article, "ask for an extension at least \(notice.value) before the deadline (\(latest.iso8601))")
            }
        }
        let number = t.extensions + 1
        if let from = x.leaderSignOffFrom, number >= from.value, !leaderSignOff {
            throw violated(from.article, "extension no. \(number) needs the unit leader's sign-off")
        }
        guard let period = capped ? x.length?.value ?? requested : requested else {
            throw .invalidInput("state the length of the extension")
        }
        if capped, let fixed = x.length, let requested, requested != fixed.value {
            throw violated(fixed.article, "each extension is \(fixed.value)")
        }
        let proposed = rules.deadlines.extend(handleBy, by: period)
        if capped, let max = x.maxLength, proposed > rules.deadlines.extend(handleBy, by: max.value) {
            throw violated(max.article, "an extension is at most \(max.value)")
        }
        if capped, let cap = x.totalCap {
            if x.totalCapCountedFrom?.value == .dispatch {
                if let dispatched = t.events.last(where: { $0.type == .dispatched })?.at,
                   proposed > rules.deadlines.deadline(from: dispatched, period: cap.value) {
                    throw violated(cap.article, "the matter is finished within \(cap.value) of its dispatch, extensions included")
                }
            } else if let original = t.deadlines.originalHandleBy, proposed > rules.deadlines.extend(original, by: cap.value) {
                throw violated(cap.article, "extensions total at most \(cap.value) beyond the original deadline")
            }
        }
        e.period = period
        e.reason = reason
        e.leaderSignOff = leaderSignOff
        e.extensionNumber = number
        e.handleBy = proposed
    }

    /// The last moment a request with this notice may arrive.
    func latestRequest(before deadline: Timestamp, notice: Period) -> Timestamp {
        switch notice {
        case .hours(let n): return deadline.adding(hours: -n)
        case .days(let n), .workingDays(let n): return deadline.adding(hours: -24 * n)
        case .months(let n): return deadline.adding(hours: -24 * 30 * n)
        }
    }

    func approveExtension(_ e: inout TicketEvent, ticket t: Ticket) throws(LifecycleError) {
        guard let request = t.events.last(where: { $0.type == .extensionRequested }), let period = request.period,
              let handleBy = t.deadlines.handleBy else {
            throw .missingField(.extensionRequested, field: "period")
        }
        e.period = period
        e.extensionNumber = t.extensions + 1
        e.handleBy = rules.deadlines.extend(handleBy, by: period)
    }

    func checkScale(_ r: CallbackResult) throws(LifecycleError) {
        let scale = profile.evaluationScale
        if r.unreachable { return }
        switch scale.value {
        case .threeLevels:
            if r.level == nil { throw violated(scale.article, "record satisfied, basically satisfied or unsatisfied") }
        case .stars:
            guard let stars = r.stars, (1...5).contains(stars) else {
                throw violated(scale.article, "record a star rating from 1 to 5")
            }
        }
    }

    func fill(_ e: inout TicketEvent, _ r: CallbackResult) {
        e.level = r.level
        e.stars = r.stars
        e.resolved = r.resolved
        e.unreachable = r.unreachable
        e.lawfulAnswer = r.lawfulAnswer
    }

    /// 回访: records the evaluation, then sends back or closes by the profile's rule.
    func callback(_ first: TicketEvent, result r: CallbackResult, ticket t: Ticket) throws(LifecycleError) -> [TicketEvent] {
        if t.status == .replied && profile.reviewRequired.value {
            throw violated(profile.reviewRequired.article, "the centre reviews the reply before the callback")
        }
        if t.status == .closed && profile.closure.value != .reviewPassed {
            throw .illegalInStatus(.callback, status: t.status, allowed: [.replied, .reviewed])
        }
        try checkScale(r)
        var e = first
        fill(&e, r)
        var events = [e]
        let rule = profile.sendBackOnUnsatisfied
        if r.sendBack {
            if rule.value == .never { throw violated(rule.article, "this regulation does not send a ticket back after callback") }
            if !(r.isUnsatisfied || r.unreachable) {
                throw violated(rule.article, "only an unsatisfied (or not completed) callback sends the ticket back")
            }
            if t.status == .closed { throw .invalidInput("the ticket is closed; reopen it instead") }
            var back = event(.reviewSentBack)
            back.reason = "callback: unsatisfied"
            events.append(back)
            return events
        }
        if t.status == .closed { return events }
        let closes: Bool
        switch profile.closure.value {
        case .callbackDone: closes = true
        case .satisfiedOrLawful: closes = r.level == .satisfied || r.level == .basicallySatisfied || r.lawfulAnswer
        case .reviewPassed: closes = false
        }
        if closes {
            var closed = event(.closed)
            closed.note = profile.cite(profile.closure.article)
            events.append(closed)
            if profile.closure.value == .satisfiedOrLawful { events.append(event(.archived)) }
        }
        return events
    }
}
