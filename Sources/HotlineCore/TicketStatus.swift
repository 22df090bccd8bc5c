/// 工单状态 — the main status of a ticket. Stable lowercase words (they are stored and sent):
///
/// | status | meaning | holder |
/// |---|---|---|
/// | `received` | accepted at the centre (受理), not yet dispatched | city |
/// | `waiting-material` | the centre asked the caller for missing material (ASD §12(2)) | city |
/// | `answered` | answered on the spot (直接答复) | city |
/// | `rejected` | not accepted (不予受理), ground and basis told | city |
/// | `referred` | referred to another line or channel (110, 12388, petition…) | city |
/// | `dispatched` | dispatched (派单) to a county station or unit, not yet signed for | lead |
/// | `signed` | signed for (签收), in handling | lead |
/// | `suspended` | long-term item (挂账, BD §19(4)); clock stopped | lead |
/// | `returned` | return approved (退单), awaiting re-dispatch | city |
/// | `replied` | the unit replied (答复), awaiting the centre's review | city |
/// | `reviewed` | review passed (审核), awaiting callback (回访) | city |
/// | `closed` | closed (办结) | city |
/// | `archived` | archived (归档); only `reopened` may follow | city |
/// | `terminated` | terminated (终止), e.g. caller unreachable (ASD §14(4)) | city |
public enum TicketStatus: String, Sendable, Codable, CaseIterable {
    case received
    case waitingMaterial = "waiting-material"
    case answered, rejected, referred, dispatched, signed, suspended, returned, replied, reviewed, closed, archived,
         terminated

    /// Statuses in which a handling unit is responsible (the holder is the lead, not the city).
    public var isWithUnit: Bool { self == .dispatched || self == .signed || self == .suspended }
    /// Statuses after which only archiving or reopening may happen.
    public var isFinished: Bool {
        [.answered, .rejected, .referred, .closed, .archived, .terminated].contains(self)
    }
}

/// A request awaiting the centre's decision. Kept beside the status so a ticket with a pending extension is still
/// `signed`.
public enum PendingRequest: String, Sendable, Codable {
    case returnRequest = "return", `extension`, recusal
}

/// 满意度 — the three-level scale (TH §19 and the network default).
public enum SatisfactionLevel: String, Sendable, Codable, CaseIterable {
    case satisfied
    case basicallySatisfied = "basically-satisfied"
    case unsatisfied
}

/// A running clock stop (停止计时): recusal (AS19 §27), waiting for material (ASD §12(2)) or 挂账 (BD §19(4)).
public struct Pause: Sendable, Equatable, Codable {
    public var since: Timestamp
    public var reason: ClockStopReason
    /// The unit of the handling period being paused, so resuming needs no profile.
    public var unit: PeriodUnit

    package init(since: Timestamp, reason: ClockStopReason, unit: PeriodUnit) {
        self.since = since
        self.reason = reason
        self.unit = unit
    }
}

/// Why a clock stopped.
public enum ClockStopReason: String, Sendable, Codable, CaseIterable {
    case recusal, material, suspension
}

/// Deadlines written onto the ticket by the city (DESIGN: the city's clock decides deadlines).
public struct TicketDeadlines: Sendable, Equatable, Codable {
    public var acceptBy: Timestamp?
    public var dispatchBy: Timestamp?
    public var signBy: Timestamp?
    public var returnBy: Timestamp?
    /// The current handling deadline, including approved extensions and clock stops.
    public var handleBy: Timestamp?
    /// The handling deadline set at dispatch, before any extension.
    public var originalHandleBy: Timestamp?
    public init() {}
}

/// Verdicts frozen at the moment they happened (DESIGN: freeze verdicts), so figures never change afterwards.
public struct Verdicts: Sendable, Equatable, Codable {
    public var signedLate = false
    public var returnedLate = false
    public var repliedLate = false
    /// Overdue for figures: replied late, or returned late where the profile says that counts as overdue (TH §15).
    public var overdue = false
    public init() {}
}

/// 回访评价 — the latest evaluation of the caller at callback.
public struct Evaluation: Sendable, Equatable, Codable {
    public var level: SatisfactionLevel?
    public var stars: Int?
    public var resolved: Bool?
    public var unreachable: Bool
    public var disputed: Bool
    /// How many callbacks so far judged unsatisfied (TH §29: a second one leads to accountability).
    public var unsatisfiedCount: Int

    package init(level: SatisfactionLevel?, stars: Int?, resolved: Bool?, unreachable: Bool, disputed: Bool,
                 unsatisfiedCount: Int) {
        self.level = level
        self.stars = stars
        self.resolved = resolved
        self.unreachable = unreachable
        self.disputed = disputed
        self.unsatisfiedCount = unsatisfiedCount
    }
}
