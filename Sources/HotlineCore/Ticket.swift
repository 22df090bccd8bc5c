/// 诉求工单 — a ticket: the state rebuilt by applying its events in order (`Lifecycle.apply`). Never edited directly.
public struct Ticket: Sendable, Equatable, Codable {
    public var id: String
    /// The policy profile id the ticket was received under (e.g. "tonghua-2021").
    public var profile: String
    public var channel: String
    /// The kind of request (诉求类型), a code from the profile's kinds.
    public var kind: String
    public var topic: String
    public var area: Area
    public var address: String
    public var text: String
    public var attachments: [Attachment]
    public var caller: CallerInfo
    /// The node complained about, if any: it must never see the caller (JN §32, AS19 §26, TH §23).
    public var subject: String?
    /// The handling tier chosen at dispatch (BD §19(2), TH §16 emergency).
    public var tier: String?
    /// The lead unit (主办, 首接负责).
    public var lead: String?
    public var assisting: [String]
    /// The node that received the ticket: holder whenever no unit is responsible.
    public var centre: String
    /// The node currently responsible.
    public var holder: String
    public var status: TicketStatus
    public var pending: PendingRequest?
    public var deadlines: TicketDeadlines
    public var handlingUnit: PeriodUnit?
    /// Approved extensions; the total granted is `deadlines.handleBy - deadlines.originalHandleBy`.
    public var extensions: Int
    public var pause: Pause?
    public var verdicts: Verdicts
    public var evaluation: Evaluation?
    public var supervisions: Int
    public var sendBacks: Int
    public var receivedAt: Timestamp
    public var closedAt: Timestamp?
    public var events: [TicketEvent]

    /// Every stored property, in declaration order: for readers outside this module (the hand-written JSON reader
    /// in HotlineNode). Tickets are made by `Lifecycle.apply`, not by callers.
    package init(id: String, profile: String, channel: String, kind: String, topic: String, area: Area, address: String,
                 text: String, attachments: [Attachment], caller: CallerInfo, subject: String?, tier: String?,
                 lead: String?, assisting: [String], centre: String, holder: String, status: TicketStatus,
                 pending: PendingRequest?, deadlines: TicketDeadlines, handlingUnit: PeriodUnit?, extensions: Int,
                 pause: Pause?, verdicts: Verdicts, evaluation: Evaluation?, supervisions: Int, sendBacks: Int,
                 receivedAt: Timestamp, closedAt: Timestamp?, events: [TicketEvent]) {
        self.id = id
        self.profile = profile
        self.channel = channel
        self.kind = kind
        self.topic = topic
        self.area = area
        self.address = address
        self.text = text
        self.attachments = attachments
        self.caller = caller
        self.subject = subject
        self.tier = tier
        self.lead = lead
        self.assisting = assisting
        self.centre = centre
        self.holder = holder
        self.status = status
        self.pending = pending
        self.deadlines = deadlines
        self.handlingUnit = handlingUnit
        self.extensions = extensions
        self.pause = pause
        self.verdicts = verdicts
        self.evaluation = evaluation
        self.supervisions = supervisions
        self.sendBacks = sendBacks
        self.receivedAt = receivedAt
        self.closedAt = closedAt
        self.events = events
    }

    /// Whether an event with this id is already in the history. By index: `contains(where:)` hands each event to
    /// the predicate as a copy (46 members, a retain each), and every event a node receives is looked for here.
    public func contains(eventId: String) -> Bool {
        for i in events.indices where events[i].id == eventId { return true }
        return false
    }

    /// When the last event happened (nil without events), read in place (`events.last` copies the event).
    public var lastEventAt: Timestamp? { events.isEmpty ? nil : events[events.count - 1].at }
}

extension Ticket {
    /// Whether the ticket concerns any node of `nodes`: held, led or assisted there, or any of its events recorded
    /// by one of them or sent to one (a dispatch, a forward, an assignment to assist). The centre sends such nodes
    /// its copy when they were restored from a backup or ask for it.
    public func concerns(any nodes: Set<String>) -> Bool {
        if nodes.contains(holder) || lead.map(nodes.contains) == true || assisting.contains(where: nodes.contains) { return true }
        return events.contains { e in
            nodes.contains(e.node) || e.to.map(nodes.contains) == true || e.assisting?.contains(where: nodes.contains) == true
        }
    }
}
