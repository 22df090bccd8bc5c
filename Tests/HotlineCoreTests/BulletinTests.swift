import Testing
import HotlineCore

/// The monthly bulletin's content (issue 7 point 2; TH §32, §34; JN §33), built from the figures fixture.
struct BulletinTests {
    func input(_ tickets: [Ticket], profile: PolicyProfile, typical: [TypicalMark] = [], isPublic: Bool = false) -> BulletinInput {
        BulletinInput(tickets: tickets, year: 2026, month: 3, profile: profile, cityName: "济南市",
                      names: ["water": "供水集团", "roads": "市政公用局", "east": "历下区工作站", "city": "市热线"],
                      countyOf: ["east": "east"], counties: ["east"], centre: "city", typical: typical,
                      generatedAt: at("2026-04-01T09:00"), isPublic: isPublic)
    }

    func profile(rankMin: Int) throws -> PolicyProfile {
        var p = try Harness("jinan-2018").profile
        var r = p.reportingRules
        r.rankMinDispatched = Ruled(rankMin, article: "test")
        p.reporting = r
        return p
    }

    @Test func totalsIntakeByDayAndTheCoreFiguresFirst() throws {
        let b = try #require(Bulletin.build(input(try figuresFixture(), profile: try profile(rankMin: 1))))
        #expect(b.title == "济南市2026年3月工作通报" && b.month == "2026-03" && b.from == "2026-03-01" && b.to == "2026-03-31")
        #expect(b.totals.received == 4 && b.totals.dispatched == 3 && b.totals.closed == 2 && b.totals.overdue == 1)
        #expect(b.totals.supervisions == 1 && b.totals.answeredDirectly == 1)
        #expect(b.intakeByDay.count == 31 && b.intakeByDay[1] == BulletinCount(label: "03-02", count: 4))
        #expect(b.intakeByDay.map(\.count).reduce(0, +) == 4)
        // jinan-2018 §33: completion first, then on-time completion and satisfaction.
        #expect(b.figures.prefix(3).map(\.key) == [.completionRate, .onTimeCompletionRate, .satisfactionRate])
        #expect(b.figures.prefix(3).allSatisfy(\.core) && !b.figures[3].core)
        let completion = b.figures[0]
        #expect(completion.numerator == 2 && completion.denominator == 3)
        #expect(b.byTopic.first == BulletinCount(label: "water-supply", count: 2))
        #expect(b.byKind.map(\.count).reduce(0, +) == 4)
    }

    @Test func unitsAreRankedByTheCoreFiguresAndSmallOnesAreNotRanked() throws {
        let ranked = try #require(Bulletin.build(input(try figuresFixture(), profile: try profile(rankMin: 1))))
        // roads: completion 0/1; water: completion 2/2 → water first.
        #expect(ranked.units.map(\.group) == ["water", "roads"])
        #expect(ranked.units.map(\.rank) == [1, 2])
        #expect(ranked.units[0].name == "供水集团")
        let fair = try #require(Bulletin.build(input(try figuresFixture(), profile: try profile(rankMin: 2))))
        // roads had one dispatch: listed, not ranked.
        #expect(fair.units.map(\.rank) == [1, nil])
    }

    @Test func tonghua2021_s34_overdueItemsCarryTheUnitsReason() throws {
        var late = try Harness("jinan-2018")
        try late.signed()
        try late.run(.reply(result: "done", callerContacted: true, overdueReason: "等待配件"), by: waterUnit, at: at("2026-03-20T10:00"))
        var open = try Harness("jinan-2018")
        try open.signed()
        try open.run(.reportProgress(note: "管网改造需要审批"), by: waterUnit, at: at("2026-03-05T10:00"))
        let b = try #require(Bulletin.build(input([late.t, open.t], profile: try profile(rankMin: 1))))
        #expect(b.overdue.count == 2)
        #expect(b.overdue.contains { $0.state == "逾期反馈" && $0.reason == "等待配件" && $0.unitName == "供水集团" })
        #expect(b.overdue.contains { $0.state == "逾期未办结" && $0.reason == "管网改造需要审批" })
    }

    @Test func supervisionAndEscalationList() throws {
        var h = try Harness("jinan-2018")
        try h.signed()
        try h.run(.supervise(form: "written", reason: "超期"), at: at("2026-03-12T10:00"))
        try h.run(.escalate(to: "general-office", reason: "督办无果"), at: at("2026-03-20T10:00"))
        let b = try #require(Bulletin.build(input([h.t], profile: try profile(rankMin: 1))))
        #expect(b.supervisions.map(\.action) == ["督办", "提级"])
        #expect(b.supervisions[0].detail == "书面督办" && b.supervisions[1].detail == "政府办公厅（室）")
        #expect(b.totals.escalations == 1)
    }

    @Test func hotIssuesCompareWithThePreviousMonth() throws {
        var tickets: [Ticket] = []
        for (i, time) in ["2026-02-10T09:00", "2026-03-02T09:00", "2026-03-03T09:00", "2026-03-03T10:00"].enumerated() {
            var h = try Harness("jinan-2018")
            try h.run(.receive(h.intake(topic: "供暖", sequence: i + 1)), at: at(time))
            tickets.append(h.t)
        }
        let b = try #require(Bulletin.build(input(tickets, profile: try profile(rankMin: 1))))
        let hot = try #require(b.hotIssues.first)
        #expect(hot.topic == "供暖" && hot.count == 3 && hot.previousMonth == 1 && hot.change == 2.0)
        #expect(hot.daily.count == 31 && hot.daily[1] == 1 && hot.daily[2] == 2)
        #expect(hot.areas == [BulletinCount(label: "Lixia", count: 3)])
    }

    @Test func jinan2018_s33_publicEditionHasNoIdsTextsOrPersonalData() throws {
        var h = try Harness("jinan-2018")
        try h.awaitingCallback(caller: CallerInfo(name: "李秀英", phone: "13987654321", confidential: true))
        try h.run(.recordCallback(CallbackResult(level: .satisfied, resolved: true)), at: at("2026-03-05T10:00"))
        let mark = TypicalMark(ticket: h.t, summary: "李秀英（13987654321，住1 Main Road）反映停水，身份证370102199001011234，当日恢复")
        let b = try #require(Bulletin.build(input([h.t], profile: try profile(rankMin: 1), typical: [mark], isPublic: true)))
        #expect(b.isPublic && b.title.hasSuffix("（公开版）"))
        let c = try #require(b.typicalCases.first)
        #expect(c.ticket == nil && c.request == nil)
        #expect(!c.summary.contains("李秀英") && !c.summary.contains("13987654321") && !c.summary.contains("1 Main Road"))
        #expect(!c.summary.contains("370102199001011234") && c.summary.contains("当日恢复"))
        #expect(b.overdue.isEmpty && b.supervisions.isEmpty)
        // The internal edition keeps the id and the caller's words for the centre.
        let centreEdition = try #require(Bulletin.build(input([h.t], profile: try profile(rankMin: 1), typical: [mark])))
        #expect(centreEdition.typicalCases.first?.ticket == h.t.id && centreEdition.typicalCases.first?.request == h.t.text)
    }

    @Test func aMonthThatDoesNotExistBuildsNothing() throws {
        var i = input([], profile: try profile(rankMin: 1))
        i.month = 13
        #expect(Bulletin.build(i) == nil)
    }
}
