/// 工单生命周期 — the state machine. `decide` validates a command against the ticket, the actor's role and the
/// profile and returns the events, with every deadline and verdict computed and frozen into them; `apply` folds an
/// event into the ticket without calendar or profile. Pure: time and ids are arguments.
public enum Lifecycle {
    /// The five kinds every hotline takes (咨询, 求助, 建议, 投诉, 举报), whatever a profile adds to them.
    public static let commonKinds = ["consult", "help", "suggest", "complain", "report"]

    public static func decide(_ command: Command, ticket: Ticket?, actor: Actor, now: Timestamp, rules: Rules,
                              makeId: () -> String) throws(LifecycleError) -> [TicketEvent] {
        let decider = Decider(ticket: ticket, actor: actor, now: now, rules: rules)
        return try decider.decide(command).map { event in
            var numbered = event
            numbered.id = makeId()
            return numbered
        }
    }

    /// Replays events from nothing; throws on the first illegal one.
    public static func replay(_ events: [TicketEvent]) throws(LifecycleError) -> Ticket? {
        var ticket: Ticket?
        for event in events { ticket = try apply(event, to: ticket) }
        return ticket
    }
}

/// The working state of one `decide` call; events get their ids from the caller afterwards.
struct Decider {
    let ticket: Ticket?
    let actor: Actor
    let now: Timestamp
    let rules: Rules
    var profile: PolicyProfile { rules.profile }

    func event(_ type: EventType) -> TicketEvent {
        TicketEvent(id: "", ticket: ticket?.id ?? "", type: type, at: now, node: actor.node, role: actor.role)
    }

    func violated(_ article: String, _ message: String) -> LifecycleError {
        .ruleViolated(rule: profile.cite(article), message: message)
    }

    /// The regulations list the grounds for not accepting and the channels a matter is referred to (JN §23(3),
    /// AS19 §20(3)-(6), TH §10, BD §12 and §16(5), ASD §12): a code outside the profile's list is refused, naming the
    /// list, so that what the caller is told and what the figures count is one of the regulation's cases.
    func checkListed(_ code: String, _ list: Ruled<[String]>, what: String) throws(LifecycleError) {
        guard !list.value.contains(code) else { return }
        if list.value.isEmpty { throw violated(list.article, "this profile lists no \(what)") }
        let named = code.isEmpty ? "none was given" : "\"\(code)\" is not"
        throw violated(list.article, "\(named) one of the profile's \(what): \(list.value.joined(separator: ", "))")
    }

    /// The handling deadline granted again after a clock stop, if one is running.
    func resumedDeadline(_ t: Ticket) -> Timestamp? {
        guard let pause = t.pause, let handleBy = t.deadlines.handleBy else { return nil }
        return rules.deadlines.resume(deadline: handleBy, unit: pause.unit, pausedAt: pause.since, resumedAt: now)
    }

    func decide(_ command: Command) throws(LifecycleError) -> [TicketEvent] {
        if case .receive(let intake) = command { return [try receive(intake)] }
        let type = command.eventType
        try Lifecycle.checkLegal(type, ticket: ticket, node: actor.node, role: actor.role)
        guard let t = ticket else { throw .noTicket(type) }
        var e = event(type)
        switch command {
        case .receive:
            throw .ticketExists(id: t.id)
        case let .answer(note, kbEntry):
            if !profile.directAnswer.value { throw violated(profile.directAnswer.article, "direct answers are not provided") }
            e.note = note
            e.kbEntry = kbEntry
        case let .reject(ground, basis):
            if basis.isEmpty || ground.isEmpty {
                throw violated(profile.rejectionGrounds.article, "a refusal must state its ground and basis to the caller")
            }
            try checkListed(ground, profile.rejectionGrounds, what: "grounds for not accepting (不予受理)")
            e.reason = ground
            e.basis = basis
        case let .refer(to, note):
            try checkListed(to, profile.referralTargets, what: "channels to refer to (转其他渠道)")
            e.to = to
            e.note = note
        case .requestMaterial(let note):
            e.note = note
            if t.status == .signed {
                guard profile.clockStop(.material) != nil else {
                    throw violated("§—", "this profile has no clock stop for missing material; ask for it without stopping the clock")
                }
                if t.pause != nil { throw .invalidInput("the clock is already stopped; resume it first") }
                e.pauses = .material
            }
        case .supplyMaterial(let note):
            if t.status == .signed && t.pause?.reason != .material {
                throw .invalidInput("no material was requested for this ticket")
            }
            e.note = note
            e.handleBy = resumedDeadline(t)
        case let .dispatch(lead, assisting, tierCode):
            try dispatch(&e, lead: lead, assisting: assisting, tierCode: tierCode)
        case .forward(let to):
            if to.isEmpty || to == actor.node { throw .invalidInput("forward to another node of the county") }
            e.to = to
            // A county station's forward is its response to the dispatch: in time when before the sign-for deadline.
            e.onTime = t.deadlines.signBy.map { now <= $0 } ?? true
        case .sign:
            e.onTime = t.deadlines.signBy.map { now <= $0 } ?? true
        case let .requestReturn(reason, basis):
            try requestReturn(&e, reason: reason, basis: basis, ticket: t)
        case .approveReturn(let note):
            e.note = note
        case .refuseReturn(let reason), .refuseExtension(let reason):
            if reason.isEmpty { throw .invalidInput("a refusal must give the reason") }
            e.reason = reason
        case let .requestExtension(period, reason, leaderSignOff, statutoryBasis, callerInformed):
            try requestExtension(&e, period: period, reason: reason, leaderSignOff: leaderSignOff, statutoryBasis: statutoryBasis, ticket: t)
            if callerInformed { e.callerContacted = true }
        case .approveExtension:
            try approveExtension(&e, ticket: t)
        case .reportProgress(let note), .reportAssist(let note):
            e.note = note
        case let .reply(result, callerContacted, overdueReason):
            if profile.replyToCaller.value && !callerContacted && !t.caller.noReply {
                throw violated(profile.replyToCaller.article, "reply to the caller first (the caller did not ask for no reply)")
            }
            e.note = result
            e.callerContacted = callerContacted
            e.onTime = t.deadlines.handleBy.map { now <= $0 } ?? true
            if e.onTime == false, let why = overdueReason, !why.isEmpty { e.reason = why }
        case .passReview:
            var events = [e]
            if profile.closure.value == .reviewPassed {
                events.append(event(.closed))
            }
            return events
        case .sendBack(let reason):
            e.reason = reason
        case .recordCallback(let result):
            return try callback(e, result: result, ticket: t)
        case .disputeEvaluation(let reason):
            if !profile.evaluationDispute.value {
                throw violated(profile.evaluationDispute.article, "this regulation provides no dispute of an evaluation")
            }
            if t.evaluation == nil { throw .invalidInput("there is no evaluation to dispute yet") }
            e.reason = reason
        case .reEvaluate(let result):
            if t.evaluation?.disputed != true { throw .invalidInput("re-evaluate only a disputed evaluation") }
            try checkScale(result)
            fill(&e, result)
        case let .supervise(form, reason):
            e.supervisionLevel = actor.role
            e.form = form
            e.reason = reason
        case let .escalate(to, reason):
            let chain = profile.supervision.escalation
            if !chain.value.contains(to) {
                throw violated(chain.article, "escalation goes to one of: \(chain.value.joined(separator: ", "))")
            }
            e.to = to
            e.reason = reason
        case .requestRecusal(let reason):
            e.reason = reason
            if profile.clockStop(.recusal) != nil && t.pause == nil && t.deadlines.handleBy != nil { e.pauses = .recusal }
        case let .decideRecusal(granted, note):
            e.granted = granted
            e.note = note
            if let within = profile.recusalDecisionWithin,
               let asked = t.events.last(where: { $0.type == .recusalRequested }) {
                e.onTime = now <= rules.deadline(from: asked.at, within.value)
            }
            if t.pause?.reason == .recusal { e.handleBy = resumedDeadline(t) }
        case .suspend(let reason):
            guard let stop = profile.clockStop(.suspension) else {
                throw .ruleViolated(rule: profile.id, message: "this regulation has no long-term items (挂账); ask for an extension instead")
            }
            if t.pause != nil { throw violated(stop.article, "the clock is already stopped; resume it first") }
            e.reason = reason
            e.pauses = .suspension
        case .resume:
            e.handleBy = resumedDeadline(t)
        case let .terminate(reason, evidence):
            if profile.terminationNeedsEvidence.value && (evidence ?? "").isEmpty {
                throw violated(profile.terminationNeedsEvidence.article,
                               "termination needs evidence that the caller is unreachable or uncooperative, approved by the centre")
            }
            e.reason = reason
            e.evidence = evidence
        case .close(let note):
            if t.status == .replied && profile.reviewRequired.value {
                throw violated(profile.reviewRequired.article, "the centre reviews each reply before the ticket closes")
            }
            e.note = note
        case .archive:
            break
        case .reopen(let reason):
            e.reason = reason
        }
        return [e]
    }

    func receive(_ intake: TicketIntake) throws(LifecycleError) -> TicketEvent {
        try Lifecycle.checkLegal(.received, ticket: ticket, node: actor.node, role: actor.role)
        guard TicketID.parse(intake.id)?.prefix == profile.prefix else {
            throw .invalidInput("ticket id '\(intake.id)' must be \(profile.prefix)-YYYYMMDD-NNNNNN (TicketID.make)")
        }
        guard profile.kind(intake.kind) != nil || Lifecycle.commonKinds.contains(intake.kind) else {
            let known = Lifecycle.commonKinds + profile.kinds.map(\.code).filter { !Lifecycle.commonKinds.contains($0) }
            throw .invalidInput("unknown kind '\(intake.kind)'; \(profile.id) knows: \(known.joined(separator: ", "))")
        }
        var e = TicketEvent(id: "", ticket: intake.id, type: .received, at: now, node: actor.node, role: actor.role)
        e.profile = profile.id
        e.channel = intake.channel
        e.kind = intake.kind
        e.topic = intake.topic
        e.area = intake.area
        e.address = intake.address
        e.text = intake.text
        e.attachments = intake.attachments
        e.caller = intake.caller
        e.subject = intake.subject
        e.acceptBy = profile.acceptanceDeadline.map { rules.deadline(from: now, $0.value) }
        e.dispatchBy = rules.deadline(from: now, profile.dispatchDeadline.value)
        return e
    }
}

extension Command {
    /// The event a command chiefly produces.
    public var eventType: EventType {
        switch self {
        case .receive: .received
        case .answer: .answered
        case .reject: .rejected
        case .refer: .referred
        case .requestMaterial: .materialRequested
        case .supplyMaterial: .materialSupplied
        case .dispatch: .dispatched
        case .forward: .forwarded
        case .sign: .signed
        case .requestReturn: .returnRequested
        case .approveReturn: .returnApproved
        case .refuseReturn: .returnRefused
        case .requestExtension: .extensionRequested
        case .approveExtension: .extensionApproved
        case .refuseExtension: .extensionRefused
        case .reportProgress: .progress
        case .reportAssist: .assistReported
        case .reply: .replied
        case .passReview: .reviewPassed
        case .sendBack: .reviewSentBack
        case .recordCallback: .callback
        case .disputeEvaluation: .evaluationDisputed
        case .reEvaluate: .reEvaluated
        case .supervise: .supervised
        case .escalate: .escalated
        case .requestRecusal: .recusalRequested
        case .decideRecusal: .recusalDecided
        case .suspend: .suspended
        case .resume: .resumed
        case .terminate: .terminated
        case .close: .closed
        case .archive: .archived
        case .reopen: .reopened
        }
    }
}
