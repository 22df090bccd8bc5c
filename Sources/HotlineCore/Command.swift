/// What a caller of the network wants to happen to a ticket. `Lifecycle.decide` turns it into events.
public enum Command: Sendable, Equatable {
    case receive(TicketIntake)
    /// `kbEntry`: the knowledge-base entry answered from (`id@version`), counted in the figures.
    case answer(note: String, kbEntry: String? = nil)
    case reject(ground: String, basis: String)
    case refer(to: String, note: String)
    case requestMaterial(note: String)
    case supplyMaterial(note: String)
    case dispatch(lead: String, assisting: [String], tier: String?)
    case forward(to: String)
    case sign
    case requestReturn(reason: String, basis: String?)
    case approveReturn(note: String)
    case refuseReturn(reason: String)
    /// `period` may be nil when the profile fixes the length (TH §16).
    /// `statutoryBasis`: a law sets a longer period for this matter, which prevails over the profile's extension caps
    /// (法律、法规另有规定的，从其规定); `callerInformed`: the unit told the caller why, how far it is and the new date.
    case requestExtension(period: Period?, reason: String, leaderSignOff: Bool, statutoryBasis: String? = nil, callerInformed: Bool = false)
    case approveExtension
    case refuseExtension(reason: String)
    case reportProgress(note: String)
    case reportAssist(note: String)
    /// `overdueReason`: why a late reply is late, for the monthly report of overdue items (TH §34).
    case reply(result: String, callerContacted: Bool, overdueReason: String? = nil)
    case passReview
    case sendBack(reason: String)
    case recordCallback(CallbackResult)
    case disputeEvaluation(reason: String)
    case reEvaluate(CallbackResult)
    case supervise(form: String, reason: String)
    case escalate(to: String, reason: String)
    case requestRecusal(reason: String)
    case decideRecusal(granted: Bool, note: String)
    case suspend(reason: String)
    case resume
    case terminate(reason: String, evidence: String?)
    case close(note: String)
    case archive
    case reopen(reason: String)
}

/// 受理 — what the centre records when it receives a request.
public struct TicketIntake: Sendable, Equatable {
    public var id: String
    public var channel: String
    public var kind: String
    public var topic: String
    public var area: Area
    public var address: String
    public var text: String
    public var attachments: [Attachment]
    public var caller: CallerInfo
    public var subject: String?
    public init(id: String, channel: String, kind: String, topic: String, area: Area, address: String = "",
                text: String, attachments: [Attachment] = [], caller: CallerInfo = CallerInfo(), subject: String? = nil) {
        self.id = id
        self.channel = channel
        self.kind = kind
        self.topic = topic
        self.area = area
        self.address = address
        self.text = text
        self.attachments = attachments
        self.caller = caller
        self.subject = subject
    }
}

/// 回访结果 — what the caller said at callback.
public struct CallbackResult: Sendable, Equatable {
    public var level: SatisfactionLevel?
    public var stars: Int?
    public var resolved: Bool?
    public var unreachable: Bool
    /// The answer complies with law and policy (TH §19 closes on it even when unsatisfied).
    public var lawfulAnswer: Bool
    /// The centre judges the dissatisfaction reasonable and sends the ticket back (TH §20, JN §27).
    public var sendBack: Bool
    public init(level: SatisfactionLevel? = nil, stars: Int? = nil, resolved: Bool? = nil, unreachable: Bool = false,
                lawfulAnswer: Bool = false, sendBack: Bool = false) {
        self.level = level
        self.stars = stars
        self.resolved = resolved
        self.unreachable = unreachable
        self.lawfulAnswer = lawfulAnswer
        self.sendBack = sendBack
    }

    /// Unsatisfied on either scale: the three-level "unsatisfied", or 1–2 stars.
    public var isUnsatisfied: Bool { level == .unsatisfied || (stars.map { $0 <= 2 } ?? false) }
}

/// What `decide` needs besides the ticket: the profile and the deadline calculator over the city's calendar.
public struct Rules: Sendable {
    public var profile: PolicyProfile
    public var deadlines: DeadlineCalculator
    public init(profile: PolicyProfile, deadlines: DeadlineCalculator) {
        self.profile = profile
        self.deadlines = deadlines
    }

    /// A deadline by the profile's reading: `{"days": 0}` is the same day (当日, TH §15), ending at 24:00.
    public func deadline(from start: Timestamp, _ period: Period) -> Timestamp {
        if case .days(0) = period { return ChinaTime.endOfDay(ChinaTime.date(of: start)) }
        return deadlines.deadline(from: start, period: period)
    }
}
