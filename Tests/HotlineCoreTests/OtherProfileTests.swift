import Testing
import HotlineCore

// MARK: jinan-2018

@Test func jinan2018_s24_noReplyWanted() throws {
    var quiet = try Harness("jinan-2018")
    try quiet.signed(caller: CallerInfo(phone: "13900000000", noReply: true))
    try quiet.run(.reply(result: "Fixed", callerContacted: false), by: waterUnit, at: at("2026-03-04T10:00"))
    #expect(quiet.t.status == .replied)

    var normal = try Harness("jinan-2018")
    try normal.signed()
    let error = normal.refusal(.reply(result: "Fixed", callerContacted: false), by: waterUnit, at: at("2026-03-04T10:00"))
    #expect(error?.rule == "jinan-2018 §24")
}

@Test func jinan2018_s24_replyWithinFiveWorkingDays() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    #expect(h.t.deadlines.handleBy == at("2026-03-10T00:00"))
    let events = try h.run(.reply(result: "Fixed", callerContacted: true), by: waterUnit, at: at("2026-03-10T08:00"))
    #expect(events.first?.onTime == false)
    #expect(h.t.verdicts.repliedLate && h.t.verdicts.overdue)
}

@Test func jinan2018_s27_unsatisfiedMaySendBack() throws {
    var h = try Harness("jinan-2018")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false, sendBack: true)), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .signed && h.t.holder == "water")
}

@Test func jinan2018_s27_reviewBeforeCallback() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    try h.run(.reply(result: "Fixed", callerContacted: true), by: waterUnit, at: at("2026-03-04T10:00"))
    let error = h.refusal(.recordCallback(CallbackResult(level: .satisfied)), at: at("2026-03-04T11:00"))
    #expect(error?.rule == "jinan-2018 §27")
}

@Test func jinan2018_s27_callbackDoneCloses() throws {
    var h = try Harness("jinan-2018")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(level: .satisfied, resolved: true)), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .closed)
    try h.run(.archive, at: at("2026-03-05T11:00"))
    #expect(h.t.status == .archived)
}

@Test func jinan2018_s29_escalationFollowsTheChain() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    #expect(h.refusal(.escalate(to: "discipline-commission", reason: "x"), at: at("2026-03-04T10:00"))?.rule == "jinan-2018 §29-§30")
    try h.run(.escalate(to: "general-office", reason: "chronic"), at: at("2026-03-04T10:00"))
}

// MARK: anshan-2019

@Test func anshan2019_s20_acceptanceAndDispatchDeadlines() throws {
    var h = try Harness("anshan-2019")
    try h.run(.receive(h.intake(kind: "situation")), at: at("2026-03-02T09:00"))
    #expect(h.t.deadlines.acceptBy == at("2026-03-06T00:00"))
    #expect(h.t.deadlines.dispatchBy == at("2026-03-05T00:00"))
}

@Test func anshan2019_s22_extensionTotalCappedAtTwoMonths() throws {
    var h = try Harness("anshan-2019")
    try h.signed()
    try h.run(.requestExtension(period: .months(1), reason: "works", leaderSignOff: false), by: waterUnit, at: at("2026-03-04T10:00"))
    try h.run(.approveExtension, at: at("2026-03-04T11:00"))
    #expect(h.t.deadlines.handleBy == at("2026-04-10T00:00"))
    let error = h.refusal(.requestExtension(period: .months(2), reason: "more", leaderSignOff: false), by: waterUnit,
                          at: at("2026-04-01T10:00"))
    #expect(error?.rule == "anshan-2019 §22")
    try h.run(.requestExtension(period: .days(20), reason: "more", leaderSignOff: false), by: waterUnit, at: at("2026-04-01T10:00"))
}

@Test func anshan2019_s22_extensionOnlyBeforeTheDeadline() throws {
    var h = try Harness("anshan-2019")
    try h.signed()
    let error = h.refusal(.requestExtension(period: .days(5), reason: "late", leaderSignOff: false), by: waterUnit,
                          at: at("2026-03-11T10:00"))
    #expect(error?.rule == "anshan-2019 §22")
}

@Test func anshan2019_s23_starRatingAndDispute() throws {
    var h = try Harness("anshan-2019")
    try h.awaitingCallback()
    #expect(h.refusal(.recordCallback(CallbackResult(level: .satisfied)), at: at("2026-03-05T10:00"))?.rule == "anshan-2019 §23")
    try h.run(.recordCallback(CallbackResult(stars: 2, resolved: false)), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .closed && h.t.evaluation?.stars == 2)
    try h.run(.disputeEvaluation(reason: "caller misunderstood"), by: waterUnit, at: at("2026-03-05T12:00"))
    #expect(h.t.evaluation?.disputed == true)
    try h.run(.reEvaluate(CallbackResult(stars: 4, resolved: true)), at: at("2026-03-06T09:00"))
    #expect(h.t.evaluation?.stars == 4 && h.t.evaluation?.disputed == false)
}

@Test func anshan2019_s23_theReEvaluationIsWhatTheUnitsFiguresCount() throws {
    var h = try Harness("anshan-2019")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(stars: 2, resolved: false)), at: at("2026-03-05T10:00"))
    let march = { (t: Ticket) in Figures.compute(tickets: [t], from: LocalDate(iso: "2026-03-01")!, to: LocalDate(iso: "2026-03-31")!, by: .unit) }
    #expect(march(h.t).first { $0.group == "water" }?.starAverage == 2)
    try h.run(.disputeEvaluation(reason: "caller misunderstood"), by: waterUnit, at: at("2026-03-05T12:00"))
    try h.run(.reEvaluate(CallbackResult(stars: 4, resolved: true)), at: at("2026-04-01T09:00"))
    // Counted once, in March where the callback is, with the stars and resolution the re-evaluation gave.
    let row = march(h.t).first { $0.group == "water" }
    #expect(row?.starAverage == 4 && row?.starRatings == 1 && row?.resolutionRate == 1)
    let april = Figures.compute(tickets: [h.t], from: LocalDate(iso: "2026-04-01")!, to: LocalDate(iso: "2026-04-30")!, by: .unit)
    #expect(april.allSatisfy { $0.starRatings == 0 })
}

@Test func anshan2019_s27_recusalDaysNotCounted() throws {
    var h = try Harness("anshan-2019")
    try h.signed()
    #expect(h.t.deadlines.handleBy == at("2026-03-10T00:00"))
    try h.run(.requestRecusal(reason: "relative of the caller"), by: waterUnit, at: at("2026-03-04T10:00"))
    #expect(h.t.pause?.reason == .recusal && h.t.pending == .recusal)
    let events = try h.run(.decideRecusal(granted: false, note: "no conflict"), at: at("2026-03-06T10:00"))
    #expect(events.first?.onTime == true)
    // Thu, Fri, Mon remained after Wed; granted again after Fri: Mon, Tue, Wed.
    #expect(h.t.deadlines.handleBy == at("2026-03-12T00:00"))
    #expect(h.t.pause == nil && h.t.pending == nil)
}

@Test func anshan2019_s27_grantedRecusalReturnsTheTicket() throws {
    var h = try Harness("anshan-2019")
    try h.signed()
    try h.run(.requestRecusal(reason: "relative"), by: waterUnit, at: at("2026-03-04T10:00"))
    try h.run(.decideRecusal(granted: true, note: "another unit"), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .returned && h.t.holder == "city")
}

@Test func anshan2019_s9_vulnerableCallerIsRecorded() throws {
    var h = try Harness("anshan-2019")
    try h.run(.receive(h.intake(caller: CallerInfo(name: "Li", vulnerable: ["elderly"]))), at: at("2026-03-02T09:00"))
    #expect(h.profile.vulnerableAssistance.value)
    #expect(h.t.caller.vulnerable == ["elderly"])
}

// MARK: baoding-2022

@Test func baoding2022_s20_aTicketIsSignedForNoLaterThanItIsToBeHandled() throws {
    var twoHours = try Harness("baoding-2022")
    try twoHours.dispatched(tier: "2h")
    #expect(twoHours.t.deadlines.signBy == twoHours.t.deadlines.handleBy)
    #expect(twoHours.t.deadlines.handleBy == at("2026-03-02T11:30"))
    var fiveDays = try Harness("baoding-2022")
    try fiveDays.dispatched(tier: "5wd")
    #expect(fiveDays.t.deadlines.signBy == at("2026-03-04T00:00"), "the network's 1 working day where it is the sooner")
}

@Test func baoding2022_s19_twoHourTierOverdueAt2h() throws {
    var late = try Harness("baoding-2022")
    try late.signed(tier: "2h")
    #expect(late.t.deadlines.handleBy == at("2026-03-02T11:30"))
    let events = try late.run(.reply(result: "done", callerContacted: true), by: waterUnit, at: at("2026-03-02T11:31"))
    #expect(events.first?.onTime == false && late.t.verdicts.overdue)

    var onTime = try Harness("baoding-2022")
    try onTime.signed(tier: "2h")
    try onTime.run(.reply(result: "done", callerContacted: true), by: waterUnit, at: at("2026-03-02T11:30"))
    #expect(onTime.t.verdicts.overdue == false)
}

@Test(arguments: [("24h", "2026-03-03T09:30"), ("3wd", "2026-03-06T00:00"), ("5wd", "2026-03-10T00:00")])
func baoding2022_s19_tiers(tier: String, deadline: String) throws {
    var h = try Harness("baoding-2022")
    try h.dispatched(tier: tier)
    #expect(h.t.deadlines.handleBy == at(deadline))
    #expect(h.t.tier == tier)
}

@Test func baoding2022_s19_tierRequiredAtDispatch() throws {
    var h = try Harness("baoding-2022")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    let error = h.refusal(.dispatch(lead: "water", assisting: [], tier: nil), at: at("2026-03-02T09:10"))
    #expect(error?.rule == "baoding-2022 §19(2)")
}

@Test func baoding2022_s19_extensionAtMostFiveWorkingDays() throws {
    var h = try Harness("baoding-2022")
    try h.signed(tier: "3wd")
    let error = h.refusal(.requestExtension(period: .workingDays(6), reason: "x", leaderSignOff: false), by: waterUnit,
                          at: at("2026-03-04T10:00"))
    #expect(error?.rule == "baoding-2022 §19(3)")
    try h.run(.requestExtension(period: .workingDays(5), reason: "x", leaderSignOff: false), by: waterUnit, at: at("2026-03-04T10:00"))
}

@Test func baoding2022_s19_extensionsTogetherAtMostFiveWorkingDays() throws {
    // 延长期限一般不得超过五个工作日: the time added, not each request (before, 5 wd could be asked for again and again).
    var h = try Harness("baoding-2022")
    try h.signed(tier: "3wd")
    try h.run(.requestExtension(period: .workingDays(3), reason: "x", leaderSignOff: false), by: waterUnit, at: at("2026-03-04T10:00"))
    try h.run(.approveExtension, at: at("2026-03-04T11:00"))
    let error = h.refusal(.requestExtension(period: .workingDays(3), reason: "y", leaderSignOff: false), by: waterUnit,
                          at: at("2026-03-06T10:00"))
    #expect(error?.rule == "baoding-2022 §19(3)")
    try h.run(.requestExtension(period: .workingDays(2), reason: "y", leaderSignOff: false), by: waterUnit, at: at("2026-03-06T10:00"))
}

@Test func baoding2022_s19_suspensionStopsTheClock() throws {
    var h = try Harness("baoding-2022")
    try h.signed(tier: "5wd")
    try h.run(.suspend(reason: "needs city budget (挂账)"), at: at("2026-03-04T10:00"))
    #expect(h.t.status == .suspended)
    #expect(Supervision.due(tickets: [h.t], now: at("2026-04-01T10:00"), profile: h.profile).allSatisfy { $0.kind != .overdue })
    try h.run(.resume, at: at("2026-03-16T10:00"))
    // Thu, Fri, Mon remained after Wed 03-04; granted again after Mon 03-16: Tue, Wed, Thu.
    #expect(h.t.status == .signed && h.t.deadlines.handleBy == at("2026-03-20T00:00"))
}

@Test func baoding2022_s20_refusedReturnUnitContinues() throws {
    var h = try Harness("baoding-2022")
    try h.signed()
    try h.run(.requestReturn(reason: "not ours", basis: "duty list"), by: waterUnit, at: at("2026-03-02T11:00"))
    #expect(h.refusal(.approveReturn(note: "x"), by: eastCounty, at: at("2026-03-02T12:00"))?.description
        .contains("only the city centre") == true)
    try h.run(.refuseReturn(reason: "your duty per list"), at: at("2026-03-02T12:00"))
    #expect(h.t.status == .signed && h.t.holder == "water" && h.t.pending == nil)
}

@Test func baoding2022_s24_refusedToSignTriggersSupervision() throws {
    var h = try Harness("baoding-2022")
    try h.dispatched()
    try h.run(.requestReturn(reason: "not ours", basis: "list"), by: waterUnit, at: at("2026-03-02T11:00"))
    try h.run(.refuseReturn(reason: "yours"), at: at("2026-03-02T12:00"))
    let kinds = Supervision.due(tickets: [h.t], now: at("2026-03-04T12:00"), profile: h.profile).map(\.kind)
    #expect(kinds.contains(.refusedToSign) && kinds.contains(.notSignedInTime))
}

@Test func baoding2022_s26_unsatisfiedCallerSendsWhatWasLeftUndoneBackOrTheUnitExplains() throws {
    // (一) something the unit should have done and did not: back to it, to do.
    var undone = try Harness("baoding-2022")
    try undone.signed(tier: "5wd")
    try undone.run(.reply(result: "done", callerContacted: true), by: waterUnit, at: at("2026-03-04T15:00"))
    let events = try undone.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false, sendBack: true)),
                                at: at("2026-03-05T10:00"))
    #expect(events.map(\.type) == [.callback, .reviewSentBack])
    #expect(undone.t.status == .signed && undone.t.holder == "water")
    // (二) beyond what law and policy allow: the unit explained; the callback records the result and closes (§25, §27).
    var explained = try Harness("baoding-2022")
    try explained.signed(tier: "5wd")
    try explained.run(.reply(result: "超出政策范围，已解释", callerContacted: true), by: waterUnit, at: at("2026-03-04T15:00"))
    try explained.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false, lawfulAnswer: true)), at: at("2026-03-05T10:00"))
    #expect(explained.t.status == .closed && explained.t.evaluation?.level == .unsatisfied)
}

// MARK: anshan-draft

@Test func anshanDraft_s12_materialWaitStopsClock() throws {
    var h = try Harness("anshan-draft")
    try h.signed()
    try h.run(.requestMaterial(note: "photo of the meter"), at: at("2026-03-03T10:00"))
    #expect(h.t.pause?.reason == .material)
    try h.run(.supplyMaterial(note: "photo"), at: at("2026-03-10T10:00"))
    // Wed..Mon (4 wd) remained after Tue 03-03; granted again after Tue 03-10: Wed, Thu, Fri, Mon.
    #expect(h.t.deadlines.handleBy == at("2026-03-17T00:00"))
}

@Test func anshanDraft_s12_materialBeforeDispatchWaits() throws {
    var h = try Harness("anshan-draft")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    try h.run(.requestMaterial(note: "address"), at: at("2026-03-02T09:05"))
    #expect(h.t.status == .waitingMaterial)
    try h.run(.supplyMaterial(note: "address"), at: at("2026-03-02T12:00"))
    #expect(h.t.status == .received)
}

@Test func anshanDraft_s14_terminationNeedsApproval() throws {
    var h = try Harness("anshan-draft")
    try h.signed()
    #expect(h.refusal(.terminate(reason: "unreachable", evidence: "3 calls"), by: waterUnit, at: at("2026-03-04T10:00")) != nil)
    #expect(h.refusal(.terminate(reason: "unreachable", evidence: nil), at: at("2026-03-04T10:00"))?.rule == "anshan-draft §14(4)")
    try h.run(.terminate(reason: "unreachable", evidence: "3 calls on 3 days"), at: at("2026-03-04T10:00"))
    #expect(h.t.status == .terminated)
}

@Test func anshanDraft_s16_reviewPassedCloses() throws {
    var h = try Harness("anshan-draft")
    try h.awaitingCallback()
    #expect(h.t.status == .closed)
    try h.run(.recordCallback(CallbackResult(level: .satisfied, resolved: true)), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .closed && h.t.evaluation?.level == .satisfied)
}

@Test func anshanDraft_s15_extensionTotalCappedAtTwoMonths() throws {
    var h = try Harness("anshan-draft")
    try h.signed()
    let error = h.refusal(.requestExtension(period: .months(3), reason: "x", leaderSignOff: false), by: waterUnit,
                          at: at("2026-03-04T10:00"))
    #expect(error?.rule == "anshan-draft §15")
}

@Test func baoding2022_s19_aLongerPeriodSetByLawPrevailsOverTheExtensionCap() throws {
    // 法律、法规另有规定的，从其规定: 20 working days from a law, where the profile caps extensions at 5 in all.
    var h = try Harness("baoding-2022")
    try h.signed(tier: "5wd")
    let capped = h.refusal(.requestExtension(period: .workingDays(20), reason: "需鉴定", leaderSignOff: false), by: waterUnit,
                           at: at("2026-03-04T10:00"))
    #expect(capped?.rule == "baoding-2022 §19(3)")
    let unnamed = h.refusal(.requestExtension(period: .workingDays(20), reason: "需鉴定", leaderSignOff: false, statutoryBasis: " "),
                            by: waterUnit, at: at("2026-03-04T10:00"))
    #expect(unnamed?.rule == "baoding-2022 §19(3)")
    let events = try h.run(.requestExtension(period: .workingDays(20), reason: "需鉴定", leaderSignOff: false,
                                             statutoryBasis: "《某法》第三十条 二十个工作日", callerInformed: true),
                           by: waterUnit, at: at("2026-03-04T10:00"))
    #expect(events.first?.basis == "《某法》第三十条 二十个工作日" && events.first?.callerContacted == true)
    try h.run(.approveExtension, at: at("2026-03-04T11:00"))
    #expect(h.t.extensions == 1 && h.t.deadlines.handleBy! > h.t.deadlines.originalHandleBy!.adding(hours: 24 * 20))
}

@Test func anshanDraft_s15_theMatterIsFinishedWithinTwoMonthsOfItsDispatch() throws {
    // 自接到转交诉求事项之日起……办结累计不超过两个月: dispatched 2 March, finished by 2 May, extensions included
    // (before, two months were counted from the original deadline of 9 March: a week more).
    var h = try Harness("anshan-draft")
    try h.signed()
    let late = h.refusal(.requestExtension(period: .months(2), reason: "x", leaderSignOff: false), by: waterUnit, at: at("2026-03-04T10:00"))
    #expect(late?.rule == "anshan-draft §15")
    try h.run(.requestExtension(period: .workingDays(30), reason: "x", leaderSignOff: false), by: waterUnit, at: at("2026-03-04T10:00"))
    try h.run(.approveExtension, at: at("2026-03-04T11:00"))
    #expect(h.t.deadlines.handleBy! <= at("2026-05-06T00:00"))
}

@Test func anshanDraft_s13_returnNeedsSupportingMaterial() throws {
    var h = try Harness("anshan-draft")
    try h.signed()
    #expect(h.refusal(.requestReturn(reason: "x", basis: nil), by: waterUnit, at: at("2026-03-02T11:00"))?.rule == "anshan-draft §13")
}

@Test func anshanDraft_s20_chronicOverdueEscalatesToDisciplineCommission() throws {
    var h = try Harness("anshan-draft")
    try h.signed()
    let triggers = Supervision.due(tickets: [h.t], now: at("2026-03-25T10:00"), profile: h.profile)
    #expect(triggers.contains { $0.kind == .overdue })
    #expect(triggers.contains { $0.kind == .chronic && $0.reason.contains("discipline-commission") })
}

@Test func jinan2018_s23_aMatterInLitigationIsReferredOnlyToItsLegalRoute() throws {
    var h = try Harness("jinan-2018")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    // JN §23 names no emergency lines: "110" is another profile's channel.
    let refused = h.refusal(.refer(to: "110", note: "n"), at: at("2026-03-02T09:10"))
    #expect(refused?.rule == "jinan-2018 §23(3)")
    #expect(refused?.description.contains("litigation, administrative-review, arbitration") == true)
    #expect(h.refusal(.refer(to: "", note: "n"), at: at("2026-03-02T09:10"))?.description.contains("none was given") == true)
    try h.run(.refer(to: "administrative-review", note: "已告知行政复议途径"), at: at("2026-03-02T09:10"))
    #expect(h.t.status == .referred && h.t.events.last?.to == "administrative-review")
}

@Test func baoding2022_s16_emergenciesGoToTheFourEmergencyLines() throws {
    var h = try Harness("baoding-2022")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    #expect(h.refusal(.refer(to: "12388", note: "n"), at: at("2026-03-02T09:10"))?.rule == "baoding-2022 §16(5)")
    try h.run(.refer(to: "119", note: "正在发生的火情"), at: at("2026-03-02T09:10"))
    #expect(h.t.status == .referred)
}
