extension Lifecycle {
    /// Folds one event into the ticket. Deterministic and profile-free: everything it needs is on the event. Checks
    /// legality again (state and role) because events arrive from other nodes.
    public static func apply(_ event: TicketEvent, to ticket: Ticket?) throws(LifecycleError) -> Ticket {
        if let ticket {
            if ticket.contains(eventId: event.id) { throw .duplicateEvent(id: event.id) }
            if event.ticket != ticket.id { throw .wrongTicket(event: event.ticket, ticket: ticket.id) }
        }
        try checkLegal(event.type, ticket: ticket, node: event.node, role: event.role)
        guard var t = ticket else { return try create(event) }
        let e = event
        switch e.type {
        case .received:
            throw .ticketExists(id: t.id)
        case .answered: t.status = .answered
        case .rejected: t.status = .rejected
        case .referred: t.status = .referred
        case .materialRequested:
            if t.status == .received { t.status = .waitingMaterial }
            try pause(&t, e)
        case .materialSupplied:
            if t.status == .waitingMaterial { t.status = .received } else { try resume(&t, e) }
        case .dispatched:
            guard let lead = e.to, let handleBy = e.handleBy else { throw .missingField(e.type, field: "to/handleBy") }
            t.lead = lead
            t.holder = lead
            t.assisting = e.assisting ?? []
            t.tier = e.tier
            t.status = .dispatched
            t.deadlines.signBy = e.signBy
            t.deadlines.returnBy = e.returnBy
            t.deadlines.handleBy = handleBy
            t.deadlines.originalHandleBy = handleBy
            t.handlingUnit = e.handlingUnit
            t.extensions = 0
            t.pause = nil
        case .forwarded:
            guard let to = e.to else { throw .missingField(e.type, field: "to") }
            t.holder = to
            t.lead = to
        case .signed:
            t.status = .signed
            if e.onTime == false { t.verdicts.signedLate = true }
        case .returnRequested:
            t.pending = .returnRequest
            if e.onTime == false { t.verdicts.returnedLate = true }
            if e.countsAsOverdue == true { t.verdicts.overdue = true }
        // An approved return, or a granted recusal, takes the ticket back to the centre for re-dispatch.
        case .returnApproved:
            try takeBack(&t, e)
        case .recusalDecided where e.granted == true:
            try takeBack(&t, e)
        case .returnRefused, .extensionRefused, .recusalDecided:
            try resumeIfPaused(&t, e)
            t.pending = nil
        case .extensionRequested:
            t.pending = .extension
        case .extensionApproved:
            guard let handleBy = e.handleBy else { throw .missingField(e.type, field: "handleBy") }
            t.pending = nil
            t.deadlines.handleBy = handleBy
            t.extensions += 1
        case .progress, .assistReported, .escalated:
            break
        case .replied:
            t.status = .replied
            t.holder = t.centre
            if e.onTime == false {
                t.verdicts.repliedLate = true
                t.verdicts.overdue = true
            }
        case .reviewPassed: t.status = .reviewed
        case .reviewSentBack:
            guard let lead = t.lead else { throw .missingField(e.type, field: "lead") }
            t.status = .signed
            t.holder = lead
            t.sendBacks += 1
        case .callback, .reEvaluated:
            var ev = t.evaluation ?? Evaluation(level: nil, stars: nil, resolved: nil, unreachable: false, disputed: false,
                                                unsatisfiedCount: 0)
            ev.level = e.level
            ev.stars = e.stars
            ev.resolved = e.resolved
            ev.unreachable = e.unreachable ?? false
            ev.disputed = false
            let unsatisfied = e.level == .unsatisfied || (e.stars.map { $0 <= 2 } ?? false)
            if unsatisfied && e.type == .callback { ev.unsatisfiedCount += 1 }
            t.evaluation = ev
        case .evaluationDisputed:
            guard t.evaluation != nil else { throw .missingField(e.type, field: "evaluation") }
            t.evaluation?.disputed = true
        case .supervised: t.supervisions += 1
        case .recusalRequested:
            t.pending = .recusal
            try pause(&t, e)
        case .suspended:
            t.status = .suspended
            try pause(&t, e)
        case .resumed:
            t.status = .signed
            try resume(&t, e)
        case .terminated:
            t.status = .terminated
            t.holder = t.centre
            t.pending = nil
            t.pause = nil
            t.closedAt = e.at
        case .closed:
            t.status = .closed
            t.holder = t.centre
            t.closedAt = e.at
        case .archived: t.status = .archived
        case .reopened:
            t.status = .received
            t.holder = t.centre
            t.lead = nil
            t.assisting = []
            t.closedAt = nil
            t.deadlines.signBy = nil
            t.deadlines.returnBy = nil
            t.deadlines.handleBy = nil
            t.deadlines.originalHandleBy = nil
        }
        t.events.append(e)
        return t
    }

    static func create(_ e: TicketEvent) throws(LifecycleError) -> Ticket {
        guard let profile = e.profile, let channel = e.channel, let kind = e.kind, let topic = e.topic,
              let area = e.area, let text = e.text, let caller = e.caller else {
            throw .missingField(.received, field: "profile/channel/kind/topic/area/text/caller")
        }
        var deadlines = TicketDeadlines()
        deadlines.acceptBy = e.acceptBy
        deadlines.dispatchBy = e.dispatchBy
        return Ticket(id: e.ticket, profile: profile, channel: channel, kind: kind, topic: topic, area: area,
                      address: e.address ?? "", text: text, attachments: e.attachments ?? [], caller: caller,
                      subject: e.subject, tier: nil, lead: nil, assisting: [], centre: e.node, holder: e.node,
                      status: .received, pending: nil, deadlines: deadlines, handlingUnit: nil, extensions: 0,
                      pause: nil, verdicts: Verdicts(), evaluation: nil, supervisions: 0, sendBacks: 0,
                      receivedAt: e.at, closedAt: nil, events: [e])
    }

    static func pause(_ t: inout Ticket, _ e: TicketEvent) throws(LifecycleError) {
        guard let reason = e.pauses else { return }
        if t.pause != nil { throw .invalidInput("the clock is already stopped; resume it first") }
        t.pause = Pause(since: e.at, reason: reason, unit: t.handlingUnit ?? .workingDays)
    }

    static func resume(_ t: inout Ticket, _ e: TicketEvent) throws(LifecycleError) {
        guard t.pause != nil else { return }
        guard let handleBy = e.handleBy else { throw .missingField(e.type, field: "handleBy") }
        t.deadlines.handleBy = handleBy
        t.pause = nil
    }

    static func takeBack(_ t: inout Ticket, _ e: TicketEvent) throws(LifecycleError) {
        try resumeIfPaused(&t, e)
        t.pending = nil
        t.status = .returned
        t.holder = t.centre
        t.lead = nil
        t.assisting = []
        t.pause = nil
    }

    static func resumeIfPaused(_ t: inout Ticket, _ e: TicketEvent) throws(LifecycleError) {
        if t.pause?.reason == .recusal, e.type == .recusalDecided { try resume(&t, e) }
    }
}
