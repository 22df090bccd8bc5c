/// 工单事件 — one fact in a ticket's history. The payload is a flat set of optional fields so the JSON stays readable:
/// `{"id":"e1","ticket":"JN-20260302-000123","type":"signed","at":"2026-03-02T10:00:00+08:00","node":"jn-water",
/// "role":"unit","onTime":true}`. Every verdict and deadline is computed by `Lifecycle.decide` and stored here, so
/// `Lifecycle.apply` needs neither calendar nor profile.
public struct TicketEvent: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var ticket: String
    public var type: EventType
    public var at: Timestamp
    public var node: String
    public var role: Role

    // received
    public var profile: String?
    public var channel: String?
    public var kind: String?
    public var topic: String?
    public var area: Area?
    public var address: String?
    public var text: String?
    public var attachments: [Attachment]?
    public var caller: CallerInfo?
    public var subject: String?
    public var acceptBy: Timestamp?
    public var dispatchBy: Timestamp?

    /// dispatched: the lead; forwarded: the new holder; referred: the other line; escalated: the level.
    public var to: String?
    public var assisting: [String]?
    public var tier: String?
    public var signBy: Timestamp?
    public var returnBy: Timestamp?
    public var handleBy: Timestamp?
    public var handlingUnit: PeriodUnit?

    public var reason: String?
    public var basis: String?
    /// answered: the knowledge-base entry the answer came from (`id@version`).
    public var kbEntry: String?
    public var note: String?

    /// The frozen verdict of the step: signed / returned / replied / recusal decided in time.
    public var onTime: Bool?
    /// A late return that counts as overdue (TH §15).
    public var countsAsOverdue: Bool?

    public var period: Period?
    public var leaderSignOff: Bool?
    public var extensionNumber: Int?

    public var callerContacted: Bool?
    public var level: SatisfactionLevel?
    public var stars: Int?
    public var resolved: Bool?
    public var unreachable: Bool?
    public var lawfulAnswer: Bool?
    public var sentBack: Bool?

    /// supervised: the supervising level (city or county) and form (TH §18: phone, written, meeting…).
    public var supervisionLevel: Role?
    public var form: String?

    /// recusal-decided: granted or not; terminated: the evidence.
    public var granted: Bool?
    public var evidence: String?
    /// The clock stop this event starts (recusal-requested, material-requested, suspended).
    public var pauses: ClockStopReason?

    public init(id: String, ticket: String, type: EventType, at: Timestamp, node: String, role: Role) {
        self.id = id
        self.ticket = ticket
        self.type = type
        self.at = at
        self.node = node
        self.role = role
    }
}
