/// 知识库条目 — one version of a knowledge-base entry (RULES.md §8). A unit or county owns its entries and submits
/// new versions; the city approves or rejects each version; nothing is overwritten (`id` + `version` is the key).
public struct KnowledgeEntry: Sendable, Codable, Equatable {
    public var id: String
    public var version: Int
    public var title: String
    public var body: String
    public var topic: String
    /// Districts or district/street the entry applies to; empty or `*` means the whole city.
    public var areas: [String]
    /// The owning unit (a node id): it keeps the entry current and is supervised when it does not.
    public var owner: String
    public var effective: LocalDate?
    public var reviewBy: LocalDate?
    /// The policy document it rests on and that document's publication date (ASD §21(2)).
    public var source: KnowledgeSource?
    /// 答复口径: what operators say about a hot issue.
    public var scripts: [String]
    /// 受理模板: what to ask the caller at intake.
    public var templates: [String]
    /// Published in the public self-service export (BD §28).
    public var isPublic: Bool
    public var status: KnowledgeStatus
    public var submittedAt: Timestamp?
    public var decidedAt: Timestamp?
    /// Why a version was rejected.
    public var decisionNote: String?

    public init(id: String, version: Int = 1, title: String, body: String, topic: String, areas: [String] = [],
                owner: String, effective: LocalDate? = nil, reviewBy: LocalDate? = nil, source: KnowledgeSource? = nil,
                scripts: [String] = [], templates: [String] = [], isPublic: Bool = true, status: KnowledgeStatus = .submitted) {
        self.id = id
        self.version = version
        self.title = title
        self.body = body
        self.topic = topic
        self.areas = areas
        self.owner = owner
        self.effective = effective
        self.reviewBy = reviewBy
        self.source = source
        self.scripts = scripts
        self.templates = templates
        self.isPublic = isPublic
        self.status = status
    }

    public var isCityWide: Bool { areas.isEmpty || areas.contains("*") }

    /// Checks what a submission must hold; names the field and says what to write.
    public func validate() throws(KnowledgeError) {
        guard !id.isEmpty, id.count <= 80, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw .invalid(field: "id", message: "use letters, digits, - and _ (at most 80), e.g. water-outage-notice")
        }
        if title.trimmingWhitespace.isEmpty { throw .invalid(field: "title", message: "must not be empty") }
        if body.trimmingWhitespace.isEmpty { throw .invalid(field: "body", message: "must not be empty") }
        if topic.trimmingWhitespace.isEmpty { throw .invalid(field: "topic", message: "must not be empty, e.g. 供水") }
        if title.count > 200 { throw .invalid(field: "title", message: "at most 200 characters") }
        if body.utf8.count > 200_000 { throw .invalid(field: "body", message: "at most 200 KB") }
        if version < 1 { throw .invalid(field: "version", message: "must be 1 or more") }
        if let e = effective, let r = reviewBy, r < e {
            throw .invalid(field: "review-by", message: "\(r.iso) is before the effective date \(e.iso)")
        }
    }
}

public struct KnowledgeSource: Sendable, Codable, Equatable {
    public var document: String
    public var published: LocalDate?
    public init(document: String, published: LocalDate?) {
        self.document = document
        self.published = published
    }
}

public enum KnowledgeStatus: String, Sendable, Codable, CaseIterable {
    case submitted, approved, rejected
    /// An approved version replaced by a newer approved one.
    case superseded
}

public enum KnowledgeError: Error, Equatable, CustomStringConvertible {
    case invalid(field: String, message: String)
    case malformed(String)

    public var description: String {
        switch self {
        case let .invalid(field, message): return "\(field): \(message)"
        case .malformed(let text): return text
        }
    }
}

extension String {
    var trimmingWhitespace: Substring {
        let s = drop { $0.isWhitespace }
        return s.dropLast(s.reversed().prefix { $0.isWhitespace }.count)
    }
}
