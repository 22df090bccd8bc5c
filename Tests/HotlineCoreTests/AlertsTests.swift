import Testing
import HotlineCore

/// Early warnings (issue 7 point 4; BD §31, AS19 §31): each kind fires on its threshold from the profile and not below it.
struct AlertsTests {
    /// A ticket received at `time` about `topic` in `street`, from `phone`.
    func received(_ profile: String, _ time: String, topic: String = "燃气", street: String = "解放路街道",
                  phone: String, sequence: Int) throws -> Ticket {
        var h = try Harness(profile)
        var form = h.intake(caller: CallerInfo(phone: phone), topic: topic, street: street, sequence: sequence)
        form.area = Area(district: "历下区", street: street)
        try h.run(.receive(form), at: at(time))
        return h.t
    }

    @Test func baoding2022_s31_topicSpikeAgainstItsOwnTrailingBaseline() throws {
        var tickets: [Ticket] = []
        // Baseline: one 燃气 request every other day for four weeks (mean 0.5 a day).
        for day in stride(from: 1, through: 27, by: 2) {
            let date = day < 10 ? "2026-02-0\(day)" : "2026-02-\(day)"
            tickets.append(try received("baoding-2022", "\(date)T10:00", street: "S\(day)", phone: "1380000\(1000 + day)", sequence: day))
        }
        // Five in the last 24 hours, from different streets and callers: ≥ 3 × 0.5 and ≥ 5.
        for i in 1...5 {
            tickets.append(try received("baoding-2022", "2026-03-02T0\(i):00", street: "T\(i)", phone: "1390000000\(i)", sequence: 100 + i))
        }
        let profile = try Harness("baoding-2022").profile
        let alerts = Alerts.compute(tickets: tickets, now: at("2026-03-02T10:00"), profile: profile)
        let spike = try #require(alerts.first { $0.kind == .topicSpike })
        #expect(spike.subject == "燃气" && spike.tickets.count == 5)
        #expect(spike.basis == "baoding-2022 §31")
        #expect(spike.key == "topic-spike|燃气|2026-03-02")
        // Four are below the profile's minimum count.
        let fewer = tickets.filter { $0.id != spike.tickets[0] }
        #expect(!Alerts.compute(tickets: fewer, now: at("2026-03-02T10:00"), profile: profile).contains { $0.kind == .topicSpike })
    }

    @Test func spikeThresholdComesFromTheProfile() throws {
        var tickets: [Ticket] = []
        for i in 1...5 {
            tickets.append(try received("jinan-2018", "2026-03-02T0\(i):00", street: "T\(i)", phone: "1390000000\(i)", sequence: i))
        }
        var profile = try Harness("jinan-2018").profile
        #expect(Alerts.compute(tickets: tickets, now: at("2026-03-02T10:00"), profile: profile).contains { $0.kind == .topicSpike })
        var rules = profile.reportingRules
        rules.spikeMinCount = Ruled(6, article: "test")
        profile.reporting = rules
        #expect(!Alerts.compute(tickets: tickets, now: at("2026-03-02T10:00"), profile: profile).contains { $0.kind == .topicSpike })
    }

    @Test func anshan2019_s31_manyCallersOnOnePlaceAndTopicWithinHours() throws {
        var tickets: [Ticket] = []
        for i in 1...5 {
            tickets.append(try received("anshan-2019", "2026-03-02T09:0\(i)", phone: "1390000000\(i)", sequence: i))
        }
        let profile = try Harness("anshan-2019").profile
        let cluster = try #require(Alerts.compute(tickets: tickets, now: at("2026-03-02T12:00"), profile: profile).first { $0.kind == .cluster })
        #expect(cluster.tickets.count == 5 && cluster.message.contains("5位诉求人"))
        // The same five calls a day and a half later are outside the 24-hour window.
        #expect(!Alerts.compute(tickets: tickets, now: at("2026-03-03T21:00"), profile: profile).contains { $0.kind == .cluster })
        // One caller calling five times is not five callers.
        var same: [Ticket] = []
        for i in 1...5 { same.append(try received("anshan-2019", "2026-03-02T09:0\(i)", phone: "13900000001", sequence: i)) }
        #expect(!Alerts.compute(tickets: same, now: at("2026-03-02T12:00"), profile: profile).contains { $0.kind == .cluster })
    }

    @Test func aCallerRepeatingTheSameMatterIsKeyedByTheNewestCall() throws {
        let profile = try Harness("jinan-2018").profile
        let first = try received("jinan-2018", "2026-03-02T09:00", phone: "13900000009", sequence: 1)
        let second = try received("jinan-2018", "2026-03-05T09:00", phone: "13900000009", sequence: 2)
        let other = try received("jinan-2018", "2026-03-05T10:00", topic: "供水", phone: "13900000009", sequence: 3)
        let alerts = Alerts.compute(tickets: [first, second, other], now: at("2026-03-05T12:00"), profile: profile)
            .filter { $0.kind == .repeatCaller }
        #expect(alerts.count == 1)
        #expect(alerts.first?.tickets == [first.id, second.id].sorted() && alerts.first?.key == "repeat-caller|\(second.id)")
        // The message goes to the log: it names tickets, never the phone.
        #expect(alerts.first?.message.contains("13900000009") == false)
    }

    @Test func jinan2018_nearOverdueAtTheProfilesFractions() throws {
        var h = try Harness("jinan-2018")
        try h.signed()
        let profile = h.profile
        let handleBy = try #require(h.t.deadlines.handleBy)
        let start = at("2026-03-02T09:30")
        let atFraction = { (f: Double) in Timestamp(millis: start.millis + Int64(Double(handleBy.millis - start.millis) * f)) }
        #expect(Alerts.compute(tickets: [h.t], now: atFraction(0.4), profile: profile).filter { $0.kind == .nearOverdue }.isEmpty)
        let half = Alerts.compute(tickets: [h.t], now: atFraction(0.6), profile: profile).filter { $0.kind == .nearOverdue }
        #expect(half.map(\.key) == ["near-overdue|\(h.t.id)|handle|50"])
        let late = Alerts.compute(tickets: [h.t], now: atFraction(0.8), profile: profile).filter { $0.kind == .nearOverdue }
        #expect(late.map(\.key) == ["near-overdue|\(h.t.id)|handle|75"])
        // Past the deadline it is overdue, which supervision handles; no more warnings.
        #expect(Alerts.compute(tickets: [h.t], now: handleBy.adding(millis: 60_000), profile: profile).filter { $0.kind == .nearOverdue }.isEmpty)
    }

    @Test func jinan2018_s28_aHandlingDeadlinePassedIsASupervisionPromptAndTenDaysLaterAnEscalation() throws {
        var h = try Harness("jinan-2018")
        try h.signed()
        let handleBy = try #require(h.t.deadlines.handleBy)  // 2026-03-10 00:00
        func breaches(_ now: Timestamp) -> [Alert] {
            Alerts.compute(tickets: [h.t], now: now, profile: h.profile).filter { [.overdue, .chronic, .notSigned].contains($0.kind) }
        }
        #expect(breaches(handleBy).isEmpty, "due by 24:00: not yet late at that instant")
        let late = breaches(handleBy.adding(millis: 60_000))
        #expect(late.map(\.kind) == [.overdue])
        #expect(late.first?.key == "overdue|\(h.t.id)|\(handleBy.millis)" && late.first?.basis == "jinan-2018 §28")
        #expect(late.first?.message.contains("超过办理时限") == true && late.first?.subject == "water")
        let chronic = breaches(handleBy.adding(hours: 24 * 10))
        #expect(chronic.map(\.kind) == [.overdue, .chronic])
        #expect(chronic.last?.basis == "jinan-2018 §29-§30" && chronic.last?.message.contains("应提级（general-office）") == true)
        // A reply ends it.
        try h.run(.reply(result: "done", callerContacted: true), by: waterUnit, at: handleBy.adding(hours: 24 * 11))
        #expect(breaches(handleBy.adding(hours: 24 * 12)).isEmpty)
    }

    @Test func tonghua2021_s18_aTicketNotSignedForInTimeIsASupervisionPromptWhereTheProfileSaysSo() throws {
        var th = try Harness("tonghua-2021")
        try th.dispatched()
        let signBy = try #require(th.t.deadlines.signBy)
        let prompts = Alerts.compute(tickets: [th.t], now: signBy.adding(millis: 1), profile: th.profile).filter { $0.kind == .notSigned }
        #expect(prompts.map(\.key) == ["not-signed|\(th.t.id)|\(signBy.millis)"])
        // jinan-2018 §28 names no sign-for trigger: no prompt there.
        var jn = try Harness("jinan-2018")
        try jn.dispatched()
        let none = Alerts.compute(tickets: [jn.t], now: try #require(jn.t.deadlines.signBy).adding(millis: 1), profile: jn.profile)
        #expect(!none.contains { $0.kind == .notSigned })
    }

    @Test func tonghua2021_s29_theSecondUnsatisfiedCallbackAndALateReturnAreSupervisionPrompts() throws {
        var h = try Harness("tonghua-2021")
        try h.awaitingCallback()
        let first = try h.run(.recordCallback(CallbackResult(level: .unsatisfied, sendBack: true)), at: at("2026-03-05T10:00"))
        #expect(Alerts.afterEvents(first, ticket: h.t, profile: h.profile).isEmpty, "the first is not yet a repeat")
        try h.run(.reply(result: "again", callerContacted: true), by: waterUnit, at: at("2026-03-06T10:00"))
        let second = try h.run(.recordCallback(CallbackResult(level: .unsatisfied)), at: at("2026-03-06T11:00"))
        let prompts = Alerts.afterEvents(second, ticket: h.t, profile: h.profile)
        #expect(prompts.map(\.key) == ["repeated-unsatisfied|\(h.t.id)|2"] && prompts.first?.subject == "water")

        // TH §15: a return asked for after its window.
        var late = try Harness("tonghua-2021")
        try late.dispatched()
        let returnBy = try #require(late.t.deadlines.returnBy)
        let asked = try late.run(.requestReturn(reason: "not ours", basis: "list"), by: waterUnit, at: returnBy.adding(hours: 1))
        #expect(Alerts.afterEvents(asked, ticket: late.t, profile: late.profile).map(\.kind) == [.lateReturn])
        // jinan-2018 §28 names neither trigger.
        var jn = try Harness("jinan-2018")
        try jn.awaitingCallback()
        let jnEvents = try jn.run(.recordCallback(CallbackResult(level: .unsatisfied, sendBack: true)), at: at("2026-03-05T10:00"))
        #expect(Alerts.afterEvents(jnEvents, ticket: jn.t, profile: jn.profile).isEmpty)
    }

    @Test func tonghua2021_s15_aTicketNotDispatchedTheSameDayPromptsTheCentre() throws {
        var h = try Harness("tonghua-2021")
        try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
        func prompts(_ now: Timestamp) -> [Alert] {
            Alerts.compute(tickets: [h.t], now: now, rules: h.rules).filter { $0.kind == .notDispatched }
        }
        #expect(prompts(at("2026-03-02T23:59")).isEmpty, "当日派清: the whole day")
        let late = prompts(at("2026-03-03T00:01"))
        #expect(late.count == 1 && late[0].subject == "city" && late[0].basis == "tonghua-2021 §15 same day (当日派清)", "\(late)")
        #expect(late.first?.message.contains("超过派单时限（2026-03-03 00:00）") == true, "\(late)")
        // Dispatched late, it is the unit's clock that runs; no prompt for the centre any more.
        try h.run(.dispatch(lead: "water", assisting: [], tier: nil), at: at("2026-03-03T08:00"))
        #expect(prompts(at("2026-03-03T09:00")).isEmpty)
    }

    @Test func anshan2019_s20_theCentreDecidesOnAcceptanceWithinThreeWorkingDays() throws {
        var h = try Harness("anshan-2019")
        try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))  // a Monday
        let due = try #require(h.t.deadlines.acceptBy)
        #expect(due == at("2026-03-06T00:00"), "three working days: to the end of Thursday")
        func prompts(_ now: Timestamp) -> [Alert] {
            Alerts.compute(tickets: [h.t], now: now, rules: h.rules).filter { $0.kind == .notDispatched }
        }
        // Not on day 2 (the dispatch deadline counted from receipt would say so): on day 3 the decision is still in time.
        #expect(h.t.deadlines.dispatchBy == at("2026-03-05T00:00"))
        #expect(prompts(at("2026-03-05T10:00")).isEmpty)
        let late = prompts(due.adding(millis: 60_000))
        #expect(late.count == 1 && late[0].basis == "anshan-2019 §20(2)" && late[0].message.contains("超过受理时限"), "\(late)")
        // A refusal is a decision too.
        try h.run(.reject(ground: "petition", basis: "§20(4)"), at: due.adding(hours: 1))
        #expect(prompts(due.adding(hours: 2)).isEmpty)
    }

    @Test func baoding2022_s24_aReturnAskedForAgainAfterTheCentreRefusedOneIsARefusalToSign() throws {
        func run(_ profile: String) throws -> (first: [Alert], again: [Alert]) {
            var h = try Harness(profile)
            try h.dispatched()
            let ask = { (hour: String) throws -> [Alert] in
                let events = try h.run(.requestReturn(reason: "不属于本单位职责", basis: "职责清单"), by: waterUnit, at: at("2026-03-02T\(hour)"))
                return Alerts.afterEvents(events, ticket: h.t, profile: h.profile).filter { $0.kind == .refusedToSign }
            }
            let first = try ask("10:00")
            try h.run(.refuseReturn(reason: "属本单位职责"), at: at("2026-03-02T11:00"))
            return (first, try ask("12:00"))
        }
        let bd = try run("baoding-2022")
        #expect(bd.first.isEmpty, "a first return is the unit's right (§20)")
        #expect(bd.again.count == 1 && bd.again[0].subject == "water" && bd.again[0].basis == "baoding-2022 §24", "\(bd.again)")
        #expect(bd.again.first?.message.contains("拒不接收") == true)
        // jinan-2018 §28 names no such trigger.
        #expect(try run("jinan-2018").again.isEmpty)
    }

    @Test func anshanDraft_s20_repeatedSupervisionWithoutResultAndRepeatedUnjustifiedReturnsAreReferred() throws {
        var h = try Harness("anshan-draft")
        try h.signed()
        func referrals(_ events: [TicketEvent]) -> [Alert] {
            Alerts.afterEvents(events, ticket: h.t, profile: h.profile).filter { $0.kind == .referDiscipline }
        }
        // 多次督办无果: the second supervision with no reply between.
        #expect(referrals(try h.run(.supervise(form: "phone", reason: "超期"), at: at("2026-03-10T09:00"))).isEmpty)
        let second = referrals(try h.run(.supervise(form: "written", reason: "仍未办结"), at: at("2026-03-11T09:00")))
        #expect(second.count == 1 && second[0].basis == "anshan-draft §20" && second[0].message.contains("多次督办无果（2次督办"), "\(second)")
        #expect(second.first?.message.hasSuffix("应及时移送纪委监委") == true)
        #expect(referrals(try h.run(.supervise(form: "meeting", reason: "x"), at: at("2026-03-12T09:00"))).isEmpty, "raised once")

        // 多次无理由退转: the second refused return.
        var r = try Harness("anshan-draft")
        try r.signed()
        var raised: [Alert] = []
        for hour in ["10", "12"] {
            try r.run(.requestReturn(reason: "不属于本单位", basis: "职责清单"), by: waterUnit, at: at("2026-03-03T\(hour):00"))
            raised += Alerts.afterEvents(try r.run(.refuseReturn(reason: "属本单位职责"), at: at("2026-03-03T\(hour):30")),
                                         ticket: r.t, profile: r.profile).filter { $0.kind == .referDiscipline }
        }
        #expect(raised.count == 1 && raised[0].message.contains("多次无理由退转（2次退单被驳回）"), "\(raised)")

        // Other profiles name no referral mechanism.
        var jn = try Harness("jinan-2018")
        try jn.signed()
        for day in ["10", "11", "12"] {
            let events = try jn.run(.supervise(form: "phone", reason: "超期"), at: at("2026-03-\(day)T09:00"))
            #expect(Alerts.afterEvents(events, ticket: jn.t, profile: jn.profile).filter { $0.kind == .referDiscipline }.isEmpty)
        }
    }

    @Test func jinan2018_s23_aReopenedOrReturnedTicketGetsItsDispatchPeriodAgainFromThatStep() throws {
        var h = try Harness("jinan-2018")
        try h.signed()
        try h.run(.requestReturn(reason: "不属于本单位", basis: "职责清单"), by: waterUnit, at: at("2026-03-03T10:00"))
        try h.run(.approveReturn(note: "改派"), at: at("2026-03-03T11:00"))  // Tuesday
        func prompts(_ now: Timestamp) -> [Alert] {
            Alerts.compute(tickets: [h.t], now: now, rules: h.rules).filter { $0.kind == .notDispatched }
        }
        #expect(prompts(at("2026-03-04T23:59")).isEmpty, "one working day from the approved return")
        let late = prompts(at("2026-03-05T00:01"))
        #expect(late.count == 1 && late[0].message.contains("退单后超过派单时限（2026-03-05 00:00）仍未重新派单"), "\(late)")
        // A closed ticket reopened counts from the reopening, not from its first receipt a month before.
        var r = try Harness("jinan-2018")
        try r.run(.receive(r.intake()), at: at("2026-03-02T09:00"))
        try r.run(.answer(note: "已告知"), at: at("2026-03-02T09:10"))
        try r.run(.close(note: "答复完毕"), at: at("2026-03-02T09:20"))
        try r.run(.reopen(reason: "问题再次出现"), at: at("2026-04-01T09:00"))  // Wednesday
        let reopened = Alerts.compute(tickets: [r.t], now: at("2026-04-01T10:00"), rules: r.rules).filter { $0.kind == .notDispatched }
        #expect(reopened.isEmpty, "\(reopened)")
        #expect(Alerts.compute(tickets: [r.t], now: at("2026-04-03T00:01"), rules: r.rules).contains { $0.kind == .notDispatched })
    }
}
