import Testing
import HotlineCore

/// The knowledge base's pure rules (issue 9; RULES.md §8).
struct KnowledgeTests {
    static let markdown = """
    ---
    id: residence-permit
    title: 居住证办理
    topic: 户籍
    areas: 历下区, 市中区
    effective: 2026-01-01
    review-by: 2026-06-30
    source: 济南市居住证管理办法
    published: 2026-03-10
    public: yes
    ---
    持有效身份证件和居住证明到居住地派出所办理。

    ## 答复口径
    - 居住证到居住地派出所办理，一般15个工作日内发证。
    ## 受理模板
    - 请问您在本市居住多久了？
    """

    @Test func markdownWithAHeaderBecomesAnEntry() throws {
        let e = try KnowledgeFile.parse(Self.markdown, owner: "u-police")
        #expect(e.id == "residence-permit" && e.title == "居住证办理" && e.topic == "户籍" && e.owner == "u-police")
        #expect(e.areas == ["历下区", "市中区"] && e.reviewBy?.iso == "2026-06-30" && e.effective?.iso == "2026-01-01")
        #expect(e.source == KnowledgeSource(document: "济南市居住证管理办法", published: LocalDate(iso: "2026-03-10")))
        #expect(e.body == "持有效身份证件和居住证明到居住地派出所办理。")
        #expect(e.scripts == ["居住证到居住地派出所办理，一般15个工作日内发证。"] && e.templates == ["请问您在本市居住多久了？"])
        #expect(e.status == .submitted && e.version == 1 && e.isPublic)
    }

    @Test func jsonWorksTooAndBadFilesNameTheField() throws {
        let e = try KnowledgeFile.parse(#"{"id": "gas-smell", "title": "闻到燃气味怎么办", "body": "立即开窗，不要开关电器，拨打96777。", "topic": "燃气"}"#, owner: "energy")
        #expect(e.isCityWide && e.owner == "energy")
        #expect(throws: KnowledgeError.invalid(field: "title", message: "is missing")) {
            try KnowledgeFile.parse(#"{"id": "x", "body": "b", "topic": "t"}"#, owner: "u")
        }
        #expect(throws: KnowledgeError.invalid(field: "topic", message: "is missing from the header")) {
            try KnowledgeFile.parse("---\nid: x\ntitle: t\n---\nbody", owner: "u")
        }
        #expect(throws: KnowledgeError.invalid(field: "review-by", message: "2026-13-01 is not a date like 2026-03-01")) {
            try KnowledgeFile.parse("---\nid: x\ntitle: t\ntopic: p\nreview-by: 2026-13-01\n---\nbody", owner: "u")
        }
        #expect(throws: KnowledgeError.self) { try KnowledgeFile.parse("---\nid: 有空格 的id\ntitle: t\ntopic: p\n---\nbody", owner: "u") }
        #expect(throws: KnowledgeError.self) { try KnowledgeFile.parse("plain text", owner: "u") }
        #expect(throws: KnowledgeError.self) { try KnowledgeFile.parse("---\nid: x\ntitle: t\n", owner: "u") }
    }

    func approved(_ reviewBy: String?, submitted: String = "2026-03-02T09:00", published: String? = nil) throws -> KnowledgeEntry {
        var e = try KnowledgeFile.parse(Self.markdown, owner: "u-police")
        e.reviewBy = reviewBy.flatMap { LocalDate(iso: $0) }
        e.source = published.map { KnowledgeSource(document: "某政策", published: LocalDate(iso: $0)) }
        e.status = .approved
        e.submittedAt = at(submitted)
        return e
    }

    @Test func jinan2018_s28_entryPastItsReviewByDateIsStale() throws {
        let profile = try Harness("jinan-2018").profile
        let e = try approved("2026-06-30")
        #expect(KnowledgeChecks.due(entries: [e], reports: [], now: at("2026-06-30T23:00"), profile: profile, calendar: .weekendsOnly).isEmpty)
        let due = KnowledgeChecks.due(entries: [e], reports: [], now: at("2026-07-01T08:00"), profile: profile, calendar: .weekendsOnly)
        #expect(due.map(\.kind) == [.stale] && due.first?.owner == "u-police" && due.first?.key == "stale|residence-permit|1")
    }

    /// ASD §21(2): published Tuesday 10 March → upload by the end of Monday 9 March.
    @Test func anshanDraft_s21_policyUploadedLessThanOneWorkingDayBeforePublication() throws {
        let profile = try Harness("anshan-draft").profile
        let inTime = try approved(nil, submitted: "2026-03-09T17:00", published: "2026-03-10")
        #expect(KnowledgeChecks.due(entries: [inTime], reports: [], now: at("2026-03-11T09:00"), profile: profile, calendar: .weekendsOnly).isEmpty)
        let late = try approved(nil, submitted: "2026-03-10T08:00", published: "2026-03-10")
        let due = KnowledgeChecks.due(entries: [late], reports: [], now: at("2026-03-11T09:00"), profile: profile, calendar: .weekendsOnly)
        #expect(due.map(\.kind) == [.lateUpload])
        // A policy published before the knowledge base went live is background, not a new policy.
        #expect(KnowledgeChecks.due(entries: [late], reports: [], now: at("2026-03-11T09:00"), profile: profile, calendar: .weekendsOnly,
                                    newPoliciesSince: LocalDate(iso: "2026-03-11")).isEmpty)
        // Published on a Monday: the working day before is the Friday.
        #expect(KnowledgeChecks.uploadDeadline(published: LocalDate(iso: "2026-03-09")!, lead: 1, calendar: .weekendsOnly).iso == "2026-03-06")
    }

    /// ASD §21(5): an error is corrected within 24 hours of the report.
    @Test func anshanDraft_s21_errorNotCorrectedWithin24Hours() throws {
        let profile = try Harness("anshan-draft").profile
        let e = try approved(nil)
        let report = KnowledgeReport(id: "r1", entry: e.id, text: "电话错了", at: at("2026-03-02T10:00"), by: "k")
        #expect(KnowledgeChecks.due(entries: [e], reports: [report], now: at("2026-03-03T09:59"), profile: profile, calendar: .weekendsOnly).isEmpty)
        let due = KnowledgeChecks.due(entries: [e], reports: [report], now: at("2026-03-03T10:01"), profile: profile, calendar: .weekendsOnly)
        #expect(due.map(\.kind) == [.uncorrectedError] && due.first?.owner == "u-police")
        var corrected = report
        corrected.correctedAt = at("2026-03-02T15:00")
        #expect(KnowledgeChecks.due(entries: [e], reports: [corrected], now: at("2026-03-05T10:00"), profile: profile, calendar: .weekendsOnly).isEmpty)
    }

    @Test func kbAnswersAreCountedAmongDirectAnswers() throws {
        var h = try Harness("jinan-2018")
        try h.run(.receive(h.intake(topic: "户籍")), at: at("2026-03-02T09:00"))
        try h.run(.answer(note: "到派出所办理", kbEntry: "residence-permit@1"), at: at("2026-03-02T09:05"))
        #expect(h.t.events.last?.kbEntry == "residence-permit@1")
        let row = try #require(Figures.compute(tickets: [h.t], from: march1, to: march31, by: .all).first)
        #expect(row.directAnswers == 1 && row.knowledgeAnswers == 1)
    }
}
