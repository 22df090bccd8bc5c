import Foundation

/// One number or switch of a regulation with the article it comes from. `default: true` marks a network default
/// used where the regulation is silent (RULES.md "—") or vague ("promptly").
/// JSON: `{"value": {"workingDays": 5}, "article": "§16"}`.
public struct Ruled<Value: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public var value: Value
    public var article: String
    public var `default`: Bool?
    public init(_ value: Value, article: String, isDefault: Bool = false) {
        self.value = value
        self.article = article
        self.default = isDefault ? true : nil
    }
}

/// A kind of request (诉求类型).
public struct RequestKind: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var article: String
}

/// An urgency tier (BD §19(2): 2 h, 24 h, 3 wd, 5 wd; TH §16 emergency feedback within 12 h).
public struct HandlingTier: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var period: Period
    public var article: String
}

/// A clock-stopping event the profile allows, with its longest allowed length (AS19 §27 recusal ≤ 3 wd).
public struct ClockStop: Sendable, Codable, Equatable {
    public var reason: ClockStopReason
    public var maxLength: Period?
    public var article: String
}

/// What closes a ticket.
public enum ClosureRule: String, Sendable, Codable {
    /// Callback done closes (network default; JN, AS19, BD).
    case callbackDone = "callback-done"
    /// TH §19: satisfied, basically satisfied, or an answer complying with law → closed and archived the same day.
    case satisfiedOrLawful = "satisfied-or-lawful"
    /// ASD §16: review passed → closed.
    case reviewPassed = "review-passed"
}

/// Whether the centre sends a ticket back after an unsatisfied callback.
public enum SendBackRule: String, Sendable, Codable {
    case never
    /// JN §27: may send back.
    case may
    /// TH §20: unsatisfied and reasonable → send back (the centre judges reasonableness).
    case whenReasonable = "when-reasonable"
}

public enum EvaluationScale: String, Sendable, Codable {
    case threeLevels = "three-levels"
    case stars
}

/// Return (退单) rules.
public struct ReturnRules: Sendable, Codable, Equatable {
    public var window: Ruled<Period>?
    public var lateCountsAsOverdue: Ruled<Bool>
    public var requiresBasis: Ruled<Bool>
}

/// Extension (延期) rules.
public struct ExtensionRules: Sendable, Codable, Equatable {
    public var allowed: Ruled<Bool>
    /// A fixed length per extension (TH §16: 5 wd); when absent the request states its length.
    public var length: Ruled<Period>?
    public var maxLength: Ruled<Period>?
    public var maxCount: Ruled<Int>?
    /// Total cap counted from the original handling deadline (AS19 §22: 2 months; BD §19(3): 5 wd), or from the
    /// dispatch when `totalCapCountedFrom` says so (ASD §15: the matter finished within 2 months in all).
    public var totalCap: Ruled<Period>?
    public var totalCapCountedFrom: Ruled<TotalCapBase>?
    /// Where a law sets a longer period for the matter, it prevails over these caps (all five texts); absent: no such
    /// request is taken.
    public var statutoryLonger: Ruled<Bool>?
    /// From which extension on the unit's leader must sign off (TH §16: the 2nd).
    public var leaderSignOffFrom: Ruled<Int>?
    /// The request must arrive at least this long before the deadline (TH §16: 1 day).
    public var minNotice: Ruled<Period>?
    public var beyondLimit: Ruled<String>?
}

/// What an extensions' total cap is counted from.
public enum TotalCapBase: String, Sendable, Codable {
    /// The handling deadline set at dispatch: the extensions together add at most the cap (AS19 §22, BD §19(3)).
    case originalDeadline = "original-deadline"
    /// The dispatch itself: the matter is finished within the cap, extensions included (ASD §15, 办结累计).
    case dispatch
}

/// Supervision (督办) triggers and thresholds.
public struct SupervisionRules: Sendable, Codable, Equatable {
    public var triggers: Ruled<[SupervisionTriggerKind]>
    public var repeatWindowDays: Ruled<Int>
    public var manyCallersCount: Ruled<Int>
    public var manyCallersHours: Ruled<Int>
    public var unsatisfiedCount: Ruled<Int>
    /// Days overdue after which a case is chronic and escalates.
    public var chronicOverdueDays: Ruled<Int>
    /// Fractions of a handling period after which a warning is due (DESIGN: 50 % / 75 %).
    public var warnAtFractions: Ruled<[Double]>
    public var escalation: Ruled<[String]>
    /// 问题移送: the cases the centre refers to the discipline commission (ASD §20), each raised once a ticket reaches
    /// `referralCount` of it; nil where the text has no such mechanism.
    public var referral: Ruled<[ReferralTrigger]>?
    /// "多次": how many times make a case for referral.
    public var referralCount: Ruled<Int>?
}

/// ASD §20: 多次督办无果, 多次无理由退转, 多次办理仍在投诉 (明显超期未办结 is `chronic`, escalated to its first level).
public enum ReferralTrigger: String, Sendable, Codable, CaseIterable {
    /// Supervised that many times since the ticket was last dispatched or replied to, without a reply between.
    case repeatedSupervision = "repeated-supervision"
    /// That many returns refused (the matter within the node's duty) since the ticket was last dispatched.
    case repeatedUnjustifiedReturn = "repeated-unjustified-return"
    /// That many unsatisfied callbacks: handled again and again, and the caller still complains.
    case repeatedComplaint = "repeated-complaint"
}

/// 政策配置 — every number and switch of one regulation (RULES.md), each with its article. Rules are data: a sixth
/// city is a new JSON file. `decode` validates and names the offending field.
public struct PolicyProfile: Sendable, Codable, Equatable {
    public var id: String
    public var prefix: String
    public var title: String
    public var channels: Ruled<[String]>
    public var kinds: [RequestKind]
    public var serviceHours: Ruled<String>
    public var acceptanceDeadline: Ruled<Period>?
    /// `{"days": 0}` means the same day (当日, TH §15).
    public var dispatchDeadline: Ruled<Period>
    public var signDeadline: Ruled<Period>
    public var handlingDefault: Ruled<Period>?
    public var tiers: [HandlingTier]
    public var tierRequired: Ruled<Bool>
    public var directAnswer: Ruled<Bool>
    public var rejectionGrounds: Ruled<[String]>
    public var referralTargets: Ruled<[String]>
    public var returns: ReturnRules
    public var extensions: ExtensionRules
    public var clockStops: [ClockStop]
    /// The centre reviews each reply before callback.
    public var reviewRequired: Ruled<Bool>
    /// The reply must reach the caller unless the caller asked for none (JN §24).
    public var replyToCaller: Ruled<Bool>
    public var evaluationScale: Ruled<EvaluationScale>
    public var evaluationDispute: Ruled<Bool>
    public var closure: Ruled<ClosureRule>
    public var sendBackOnUnsatisfied: Ruled<SendBackRule>
    public var terminationNeedsEvidence: Ruled<Bool>
    public var recusalDecisionWithin: Ruled<Period>?
    public var vulnerableAssistance: Ruled<Bool>
    public var supervision: SupervisionRules
    /// Figures, bulletin and warnings; absent in a profile file → `ReportingRules.networkDefault`.
    public var reporting: ReportingRules?

    public var reportingRules: ReportingRules { reporting ?? .networkDefault }
    /// Keeping the knowledge base current; absent → `KnowledgeRules.networkDefault`.
    public var knowledge: KnowledgeRules?

    /// "tonghua-2021 §16"
    public func cite(_ article: String) -> String { "\(id) \(article)" }

    /// Whether a callback sends the ticket back when the operator does not say: an unsatisfied caller does, where the
    /// regulation sends back after a callback at all (JN §27, TH §20, BD §26), unless the answer was lawful; where it
    /// never does (AS19, ASD: the review sends back) the callback only records the result. (Before, every unsatisfied
    /// callback asked for a send-back, and under those profiles was refused whole: nothing was recorded.)
    public func sendsBackByDefault(_ level: SatisfactionLevel?, lawfulAnswer: Bool) -> Bool {
        level == .unsatisfied && !lawfulAnswer && sendBackOnUnsatisfied.value != .never
    }

    public func kind(_ code: String) -> RequestKind? { kinds.first { $0.code == code } }
    public func tier(_ code: String) -> HandlingTier? { tiers.first { $0.code == code } }
    public func clockStop(_ reason: ClockStopReason) -> ClockStop? { clockStops.first { $0.reason == reason } }

    /// Decodes and validates a profile file.
    public static func decode(_ data: Data) throws(ProfileError) -> PolicyProfile {
        let profile: PolicyProfile
        do {
            profile = try JSONDecoder().decode(PolicyProfile.self, from: data)
        } catch let error as DecodingError {
            throw ProfileError(decoding: error)
        } catch {
            throw .malformed(String(describing: error))
        }
        try profile.validate()
        return profile
    }

    /// Semantic checks JSON decoding cannot make.
    public func validate() throws(ProfileError) {
        if id.isEmpty { throw .invalid(field: "id", message: "must not be empty") }
        if prefix.isEmpty || !prefix.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            throw .invalid(field: "prefix", message: "must be uppercase ASCII letters, e.g. \"JN\"")
        }
        if kinds.isEmpty { throw .invalid(field: "kinds", message: "must list at least one kind of request") }
        if Set(kinds.map(\.code)).count != kinds.count { throw .invalid(field: "kinds", message: "codes must be unique") }
        if Set(tiers.map(\.code)).count != tiers.count { throw .invalid(field: "tiers", message: "codes must be unique") }
        if handlingDefault == nil && tiers.isEmpty {
            throw .invalid(field: "handlingDefault", message: "needed when there are no tiers")
        }
        if tierRequired.value && tiers.isEmpty {
            throw .invalid(field: "tierRequired", message: "is true but no tiers are defined")
        }
        var periods: [(String, Period)] = [("dispatchDeadline", dispatchDeadline.value), ("signDeadline", signDeadline.value)]
        if let p = acceptanceDeadline { periods.append(("acceptanceDeadline", p.value)) }
        if let p = handlingDefault { periods.append(("handlingDefault", p.value)) }
        if let p = returns.window { periods.append(("returns.window", p.value)) }
        if let p = extensions.length { periods.append(("extensions.length", p.value)) }
        if let p = extensions.maxLength { periods.append(("extensions.maxLength", p.value)) }
        if let p = extensions.totalCap { periods.append(("extensions.totalCap", p.value)) }
        if let p = extensions.minNotice { periods.append(("extensions.minNotice", p.value)) }
        if let p = recusalDecisionWithin { periods.append(("recusalDecisionWithin", p.value)) }
        for (i, t) in tiers.enumerated() { periods.append(("tiers[\(i)].period", t.period)) }
        for (i, c) in clockStops.enumerated() { if let p = c.maxLength { periods.append(("clockStops[\(i)].maxLength", p)) } }
        for (field, period) in periods {
            if let why = period.implausibility { throw .invalid(field: field, message: why) }
        }
        if let n = extensions.maxCount, n.value < 0 { throw .invalid(field: "extensions.maxCount", message: "must not be negative") }
        if let n = extensions.leaderSignOffFrom, n.value < 1 {
            throw .invalid(field: "extensions.leaderSignOffFrom", message: "must be 1 or more")
        }
        if extensions.allowed.value && extensions.length == nil && extensions.maxLength == nil && extensions.totalCap == nil {
            throw .invalid(field: "extensions", message: "allowed extensions need a length, maxLength or totalCap")
        }
        let s = supervision
        let counts = [("supervision.repeatWindowDays", s.repeatWindowDays.value), ("supervision.manyCallersCount", s.manyCallersCount.value),
                      ("supervision.manyCallersHours", s.manyCallersHours.value), ("supervision.unsatisfiedCount", s.unsatisfiedCount.value),
                      ("supervision.chronicOverdueDays", s.chronicOverdueDays.value)]
        for (field, value) in counts where value < 0 { throw .invalid(field: field, message: "must not be negative") }
        if let n = s.referralCount, n.value < 1 { throw .invalid(field: "supervision.referralCount", message: "must be 1 or more") }
        if s.referral != nil && s.referralCount == nil {
            throw .invalid(field: "supervision.referralCount", message: "is needed with supervision.referral (how many times, 多次)")
        }
        for f in s.warnAtFractions.value where !(f > 0 && f < 1) {
            throw .invalid(field: "supervision.warnAtFractions", message: "each fraction must be between 0 and 1 (got \(f))")
        }
        try reporting?.validate()
        if closure.value == .reviewPassed && !reviewRequired.value {
            throw .invalid(field: "closure", message: "review-passed closure needs reviewRequired true")
        }
    }
}

extension Period {
    /// The number in the period, whatever its unit.
    public var amount: Int {
        switch self {
        case .hours(let n), .days(let n), .workingDays(let n), .months(let n): return n
        }
    }
}
