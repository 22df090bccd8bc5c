/// Rules for keeping the knowledge base current (RULES.md §8). Absent in a profile → `networkDefault`.
public struct KnowledgeRules: Sendable, Codable, Equatable {
    /// An entry past its review-by date is a supervision trigger (JN §28, TH §18, ASD §19).
    public var staleEntries: Ruled<Bool>
    /// A new policy is uploaded at least this many working days before it is published (ASD §21(2): 1).
    public var policyLeadWorkingDays: Ruled<Int>
    /// A reported error is corrected within this many hours (ASD §21(5): 24).
    public var errorCorrectionHours: Ruled<Int>

    public init(staleEntries: Ruled<Bool>, policyLeadWorkingDays: Ruled<Int>, errorCorrectionHours: Ruled<Int>) {
        self.staleEntries = staleEntries
        self.policyLeadWorkingDays = policyLeadWorkingDays
        self.errorCorrectionHours = errorCorrectionHours
    }

    public static let networkDefault = KnowledgeRules(
        staleEntries: Ruled(true, article: "network default (RULES.md §8: JN §28, TH §18, ASD §19)", isDefault: true),
        policyLeadWorkingDays: Ruled(1, article: "network default (RULES.md §8: ASD §21(2))", isDefault: true),
        errorCorrectionHours: Ruled(24, article: "network default (RULES.md §8: ASD §21(5))", isDefault: true))
}

/// 纠错 — an error reported in an entry; open until a newer version of the entry is approved.
public struct KnowledgeReport: Sendable, Codable, Equatable {
    public var id: String
    public var entry: String
    public var text: String
    public var at: Timestamp
    /// The node that reported it.
    public var by: String
    public var correctedAt: Timestamp?
    public init(id: String, entry: String, text: String, at: Timestamp, by: String, correctedAt: Timestamp? = nil) {
        self.id = id
        self.entry = entry
        self.text = text
        self.at = at
        self.by = by
        self.correctedAt = correctedAt
    }
}

/// A reason to supervise an entry's owner, raised once per `key`.
public struct KnowledgeSupervision: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case stale, lateUpload = "late-upload", uncorrectedError = "uncorrected-error" }
    public var kind: Kind
    public var key: String
    public var entry: String
    public var owner: String
    public var reason: String

    public init(kind: Kind, key: String, entry: String, owner: String, reason: String) {
        self.kind = kind
        self.key = key
        self.entry = entry
        self.owner = owner
        self.reason = reason
    }

    /// The key of an approved version past its review-by date: `stale|ID|VERSION`.
    public static func staleKey(_ entry: String, _ version: Int) -> String { "stale|\(entry)|\(version)" }
    /// The key of an error report not corrected in time: `uncorrected-error|REPORT`.
    public static func uncorrectedErrorKey(_ report: String) -> String { "uncorrected-error|\(report)" }
}

public enum KnowledgeChecks {
    /// What is due at `now`: approved entries past review-by, versions whose policy was uploaded too late, and
    /// error reports still open after the correction window. `entries` holds every version; `calendar` counts
    /// the working days before a publication date. Only policies published on or after `newPoliciesSince` (the day
    /// the knowledge base went live) are new policies in the sense of ASD §21(2): the documents loaded at go-live
    /// were published before anyone could upload them.
    public static func due(entries: [KnowledgeEntry], reports: [KnowledgeReport], now: Timestamp, profile: PolicyProfile,
                           calendar: WorkingCalendar, newPoliciesSince: LocalDate? = nil) -> [KnowledgeSupervision] {
        let rules = profile.knowledge ?? .networkDefault
        let today = ChinaTime.date(of: now)
        var out: [KnowledgeSupervision] = []
        if rules.staleEntries.value {
            for e in entries where e.status == .approved {
                guard let reviewBy = e.reviewBy, reviewBy < today else { continue }
                out.append(KnowledgeSupervision(kind: .stale, key: KnowledgeSupervision.staleKey(e.id, e.version), entry: e.id, owner: e.owner,
                                                reason: "\(profile.cite(rules.staleEntries.article)): 「\(e.title)」已过复核期 \(reviewBy.iso)，未更新"))
            }
        }
        for e in entries where e.status != .rejected {
            guard let published = e.source?.published, let submitted = e.submittedAt,
                  newPoliciesSince.map({ published >= $0 }) ?? true else { continue }
            let latest = uploadDeadline(published: published, lead: rules.policyLeadWorkingDays.value, calendar: calendar)
            guard submitted >= ChinaTime.endOfDay(latest) else { continue }
            out.append(KnowledgeSupervision(
                kind: .lateUpload, key: "late-upload|\(e.id)|\(e.version)", entry: e.id, owner: e.owner,
                reason: "\(profile.cite(rules.policyLeadWorkingDays.article)): 政策《\(e.source?.document ?? "")》\(published.iso)公布，应于\(latest.iso)前上传，实际\(ChinaTime.localText(submitted))上传"))
        }
        let window = Int64(rules.errorCorrectionHours.value) * 3_600_000
        for r in reports where r.correctedAt == nil && now.millis - r.at.millis > window {
            let owner = entries.first { $0.id == r.entry }?.owner ?? ""
            out.append(KnowledgeSupervision(
                kind: .uncorrectedError, key: KnowledgeSupervision.uncorrectedErrorKey(r.id), entry: r.entry, owner: owner,
                reason: "\(profile.cite(rules.errorCorrectionHours.article)): \(ChinaTime.localText(r.at))报告的差错\(rules.errorCorrectionHours.value)小时内未更正：\(r.text)"))
        }
        return out
    }

    /// The last day an upload is in time: `lead` working days before the publication date.
    public static func uploadDeadline(published: LocalDate, lead: Int, calendar: WorkingCalendar) -> LocalDate {
        var day = published
        var counted = 0
        while counted < lead {
            day = day.adding(days: -1)
            if calendar.isWorkingDay(day) { counted += 1 }
        }
        return day
    }
}
