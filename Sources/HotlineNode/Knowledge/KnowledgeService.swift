import Foundation
import HotlineCore
import HotlineStore
import HotlineWire

/// Bodies of the knowledge-base messages (protocols/README.md §8).
struct KnowledgeEntryBody: Codable {
    var entry: KnowledgeEntry
}

struct KnowledgeReportBody: Codable {
    var report: KnowledgeReport
}

/// The knowledge base on the network: units and county stations submit entries up to the city, the city reviews
/// them and replicates approved versions down to the nodes whose areas they concern, anyone may report an error.
extension TicketService {
    var knowledge: KnowledgeStore { KnowledgeStore(db: context.db) }

    /// kb.submit and kb.report go to the city from the node that wrote them; kb.entry comes only from the city.
    func checkKnowledgeSender(_ kind: AppMessageKind, _ m: DataMessage, origin: TopologyNode) throws {
        switch kind {
        case .kbEntry:
            guard origin.kind == .city else { throw ServiceError.refused("only the city sends reviewed knowledge-base entries, not \(m.origin)") }
        case .kbSubmit, .kbReport:
            guard context.topology.node(m.dest)?.kind == .city else {
                throw ServiceError.refused("\(kind.rawValue) goes to the city, not to \(m.dest)")
            }
        default:
            return
        }
    }

    func applyKnowledge(_ kind: AppMessageKind, _ m: DataMessage, now: Timestamp) throws {
        switch kind {
        case .kbSubmit:
            var entry = try decode(KnowledgeEntryBody.self, m).entry
            guard entry.owner == m.origin else {
                throw ServiceError.refused("\(m.origin) submitted an entry owned by \(entry.owner): a node submits only its own entries")
            }
            try receiveSubmission(&entry, at: Timestamp(millis: m.at ?? now.millis), now: now)
        case .kbEntry:
            let entry = try decode(KnowledgeEntryBody.self, m).entry
            try knowledge.store(entry)
            logAfterCommit("kb-entry", ["entry": entry.id, "version": "\(entry.version)", "status": entry.status.rawValue])
        case .kbReport:
            let report = try decode(KnowledgeReportBody.self, m).report
            guard report.by == m.origin else { throw ServiceError.refused("\(m.origin) sent a report made by \(report.by)") }
            try receiveReport(report, now: now)
        default:
            return
        }
    }

    /// At the city: numbers the version, stores it for review, supervises a policy uploaded too late (ASD §21(2))
    /// and tells the owner which version it became.
    func receiveSubmission(_ entry: inout KnowledgeEntry, at submitted: Timestamp, now: Timestamp) throws {
        do { try entry.validate() } catch { throw ServiceError.refused("knowledge-base entry \(entry.id): \(error)") }
        if let owner = try knowledge.versions(entry.id).last?.owner, owner != entry.owner {
            throw ServiceError.refused("knowledge-base entry \(entry.id) belongs to \(owner); choose another id")
        }
        entry.version = try knowledge.nextVersion(entry.id)
        entry.status = .submitted
        entry.submittedAt = submitted
        entry.decidedAt = nil
        entry.decisionNote = nil
        try knowledge.store(entry)
        logAfterCommit("kb-submitted", ["entry": entry.id, "version": "\(entry.version)", "owner": entry.owner])
        // The knowledge base went live with its first submission; policies published before that are not new.
        let since: LocalDate
        if let text = try context.db.meta("kb.since"), let d = LocalDate(iso: text) { since = d } else {
            since = ChinaTime.date(of: submitted)
            try context.db.setMeta("kb.since", since.iso)
        }
        let late = KnowledgeChecks.due(entries: [entry], reports: [], now: now, profile: context.profile,
                                       calendar: context.deadlines.calendar, newPoliciesSince: since).filter { $0.kind == .lateUpload }
        try raiseKnowledgeSupervisions(late, now: now)
        if entry.owner != context.nodeId {
            try send(.kbEntry, body: try encode(KnowledgeEntryBody(entry: entry)), to: entry.owner, now: now)
        }
    }

    /// At the city: approves or rejects a submitted version. An approval supersedes the previous version, closes
    /// the error reports made before it and goes to every node that needs the entry; a rejection goes to the owner.
    func decide(entry id: String, version: Int?, approve: Bool, note: String?, now: Timestamp) throws -> KnowledgeEntry {
        let candidates = try knowledge.versions(id)
        guard !candidates.isEmpty else { throw ServiceError.usage("no knowledge-base entry \(id); see `kb list --status submitted`") }
        guard var entry = version.map({ v in candidates.first { $0.version == v } }) ?? candidates.last(where: { $0.status == .submitted })
        else {
            throw ServiceError.usage("\(id) has no version waiting for review (versions: \(candidates.map { "\($0.version) \($0.status.rawValue)" }.joined(separator: ", ")))")
        }
        guard entry.status == .submitted else {
            throw ServiceError.usage("\(id) version \(entry.version) is \(entry.status.rawValue), not waiting for review")
        }
        entry.status = approve ? .approved : .rejected
        entry.decidedAt = now
        entry.decisionNote = note
        try knowledge.store(entry)
        if approve { try knowledge.markCorrected(entry: id, at: now) }
        let body = try encode(KnowledgeEntryBody(entry: entry))
        // An owner that has left the network (`topology --install`) hears of nothing more.
        for node in approve ? recipients(of: entry) : [entry.owner] where node != context.nodeId && context.topology.node(node) != nil {
            try send(.kbEntry, body: body, to: node, now: now)
        }
        return entry
    }

    /// The nodes an approved entry goes to: all of them for a city-wide entry; otherwise the owner, city-wide units
    /// and the nodes (or whose county station) cover one of its areas.
    func recipients(of entry: KnowledgeEntry) -> [String] {
        let topology = context.topology
        func overlaps(_ a: String, _ b: String) -> Bool { a == "*" || b == "*" || a == b || a.hasPrefix(b + "/") || b.hasPrefix(a + "/") }
        return topology.nodes.filter { node in
            guard node.kind != .city else { return false }
            if entry.isCityWide || node.id == entry.owner { return true }
            let county = topology.county(of: node.id).flatMap { topology.node($0) }
            let areas = node.areas + (county?.areas ?? [])
            return areas.contains { a in entry.areas.contains { overlaps(a, $0) } }
        }.map(\.id)
    }

    /// At the city: records an error report and tells the owning unit.
    func receiveReport(_ report: KnowledgeReport, now: Timestamp) throws {
        guard let current = try knowledge.versions(report.entry).last else {
            throw ServiceError.refused("no knowledge-base entry \(report.entry) at the city")
        }
        try knowledge.addReport(report)
        logAfterCommit("kb-error-reported", ["entry": report.entry, "by": report.by, "report": report.id], warn: true)
        if current.owner != context.nodeId, current.owner != report.by, context.topology.node(current.owner) != nil {
            let text = "知识库纠错：条目 \(report.entry)「\(current.title)」被报告有误（\(report.by)）：\(report.text)。请在规定时限内更正（kb submit 新版本）。"
            try send(.notice, body: try encode(NoticeBody(ticket: nil, refusedMessage: report.id, text: text)), to: current.owner, now: now)
        }
    }

    /// At the city, once a minute of its clock: entries past review-by and error reports not corrected in time
    /// supervise the owner (each once: those supervised already are not read again).
    func scanKnowledge(now: Timestamp) throws {
        let rules = context.profile.knowledge ?? .networkDefault
        let window = Int64(rules.errorCorrectionHours.value) * 3_600_000
        let stale = try knowledge.unsupervisedStale(before: ChinaTime.date(of: now))
        let open = try knowledge.unsupervisedOpenReports(before: now.adding(millis: -window))
        guard !stale.isEmpty || !open.isEmpty else { return }
        var entries = stale
        for r in open where !entries.contains(where: { $0.id == r.entry }) { entries += try knowledge.versions(r.entry) }
        let due = KnowledgeChecks.due(entries: entries, reports: open, now: now, profile: context.profile,
                                      calendar: context.deadlines.calendar).filter { $0.kind != .lateUpload }
        try raiseKnowledgeSupervisions(due, now: now)
    }

    func raiseKnowledgeSupervisions(_ due: [KnowledgeSupervision], now: Timestamp) throws {
        let raised = try knowledge.raise(due, at: now)
        for s in raised where s.owner != context.nodeId && context.topology.node(s.owner) != nil {
            let text = "知识库督办：\(s.reason)（条目 \(s.entry)）"
            try send(.notice, body: try encode(NoticeBody(ticket: nil, refusedMessage: s.key, text: text)), to: s.owner, now: now)
        }
        guard !raised.isEmpty else { return }
        let log = context.log
        afterCommit.append {
            for s in raised {
                log.warn("kb-supervision", ["kind": s.kind.rawValue, "entry": s.entry, "owner": s.owner, "reason": s.reason])
            }
        }
    }
}
