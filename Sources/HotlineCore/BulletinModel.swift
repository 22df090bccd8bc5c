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
