import Testing
import HotlineCore

@Test func tonghua2021_s15_sameDayDispatch() throws {
    var h = try Harness("tonghua-2021")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    #expect(h.t.deadlines.dispatchBy == at("2026-03-03T00:00"))
}

@Test func tonghua2021_s15_returnWithinTwoWorkingDaysIsNotOverdue() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    #expect(h.t.deadlines.returnBy == at("2026-03-05T00:00"))
    let events = try h.run(.requestReturn(reason: "not our duty", basis: "water is the county's"), by: waterUnit,
                           at: at("2026-03-04T17:00"))
    #expect(events.first?.onTime == true)
    #expect(h.t.verdicts.overdue == false)
    #expect(h.t.pending == .returnRequest)
}

@Test func tonghua2021_s15_lateReturnIsOverdue() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    let events = try h.run(.requestReturn(reason: "not our duty", basis: "duty list"), by: waterUnit,
                           at: at("2026-03-05T09:00"))
    #expect(events.first?.onTime == false)
    #expect(events.first?.countsAsOverdue == true)
    #expect(h.t.verdicts.returnedLate && h.t.verdicts.overdue)
}

@Test func tonghua2021_s15_returnNeedsReasonAndBasis() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    let error = h.refusal(.requestReturn(reason: "not ours", basis: nil), by: waterUnit, at: at("2026-03-02T11:00"))
    #expect(error?.rule == "tonghua-2021 §15")
}

@Test func tonghua2021_s15_approvedReturnGoesBackForRedispatch() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    try h.run(.requestReturn(reason: "not ours", basis: "duty list"), by: waterUnit, at: at("2026-03-02T11:00"))
    try h.run(.approveReturn(note: "re-dispatch"), at: at("2026-03-02T12:00"))
    #expect(h.t.status == .returned && h.t.holder == "city" && h.t.lead == nil)
    try h.run(.dispatch(lead: "roads", assisting: [], tier: nil), at: at("2026-03-02T13:00"))
    #expect(h.t.holder == "roads" && h.t.status == .dispatched)
}

@Test func tonghua2021_s16_fiveWorkingDaysDefault() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    #expect(h.t.deadlines.handleBy == at("2026-03-10T00:00"))
}

@Test func tonghua2021_s16_emergencyFeedbackWithinTwelveHours() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched(tier: "emergency")
    #expect(h.t.deadlines.handleBy == at("2026-03-02T21:30"))
}

@Test func tonghua2021_s16_extensionIsFiveWorkingDays() throws {
    var h = try Harness("tonghua-2021")
    try h.signed()
    try h.run(.requestExtension(period: nil, reason: "parts on order", leaderSignOff: false), by: waterUnit,
              at: at("2026-03-05T10:00"))
    try h.run(.approveExtension, at: at("2026-03-05T11:00"))
    #expect(h.t.deadlines.handleBy == at("2026-03-17T00:00"))
    #expect(h.t.deadlines.originalHandleBy == at("2026-03-10T00:00"))
    #expect(h.t.extensions == 1)
}

@Test func tonghua2021_s16_secondExtensionNeedsLeaderSignOff() throws {
    var h = try Harness("tonghua-2021")
    try h.signed()
    try h.run(.requestExtension(period: nil, reason: "parts", leaderSignOff: false), by: waterUnit, at: at("2026-03-05T10:00"))
    try h.run(.approveExtension, at: at("2026-03-05T11:00"))
    let error = h.refusal(.requestExtension(period: nil, reason: "parts", leaderSignOff: false), by: waterUnit,
                          at: at("2026-03-12T10:00"))
    #expect(error?.rule == "tonghua-2021 §16")
    #expect(error?.description.contains("leader") == true)
}

@Test func tonghua2021_s16_thirdExtensionRefused() throws {
    var h = try Harness("tonghua-2021")
    try h.signed()
    try h.run(.requestExtension(period: nil, reason: "parts", leaderSignOff: false), by: waterUnit, at: at("2026-03-05T10:00"))
    try h.run(.approveExtension, at: at("2026-03-05T11:00"))
    try h.run(.requestExtension(period: nil, reason: "parts", leaderSignOff: true), by: waterUnit, at: at("2026-03-12T10:00"))
    try h.run(.approveExtension, at: at("2026-03-12T11:00"))
    let error = h.refusal(.requestExtension(period: nil, reason: "parts", leaderSignOff: true), by: waterUnit,
                          at: at("2026-03-18T10:00"))
    #expect(error?.description.contains("tonghua-2021 §16: at most 2 extensions") == true)
    #expect(error?.description.contains("government leader") == true)
}

@Test func tonghua2021_s16_aStatutoryPeriodIsNotHeldToTheFiveDayExtensionsButToTheirNoticeAndSignOff() throws {
    var h = try Harness("tonghua-2021")
    try h.signed()
    // Twenty working days a law sets, asked for as the first extension: not the fixed five.
    try h.run(.requestExtension(period: .workingDays(20), reason: "需司法鉴定", leaderSignOff: false, statutoryBasis: "《某法》第三十条"),
              by: waterUnit, at: at("2026-03-05T10:00"))
    try h.run(.approveExtension, at: at("2026-03-05T11:00"))
    #expect(h.t.deadlines.handleBy! > at("2026-04-01T00:00"))
    // The second still needs the leader's sign-off, and any request its day's notice.
    let unsigned = h.refusal(.requestExtension(period: .workingDays(10), reason: "x", leaderSignOff: false, statutoryBasis: "《某法》第三十条"),
                             by: waterUnit, at: at("2026-03-12T10:00"))
    #expect(unsigned?.description.contains("leader") == true)
    let deadline = try #require(h.t.deadlines.handleBy)
    let late = h.refusal(.requestExtension(period: .workingDays(10), reason: "x", leaderSignOff: true, statutoryBasis: "《某法》第三十条"),
                         by: waterUnit, at: deadline.adding(hours: -2))
    #expect(late?.rule == "tonghua-2021 §16")
}

@Test func tonghua2021_s16_extensionAtLeastOneDayBeforeExpiry() throws {
    var h = try Harness("tonghua-2021")
    try h.signed()
    let error = h.refusal(.requestExtension(period: nil, reason: "late", leaderSignOff: false), by: waterUnit,
                          at: at("2026-03-09T10:00"))
    #expect(error?.rule == "tonghua-2021 §16")
}

@Test func tonghua2021_s19_basicallySatisfiedCloses() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    let events = try h.run(.recordCallback(CallbackResult(level: .basicallySatisfied, resolved: true)), at: at("2026-03-05T10:00"))
    #expect(events.map(\.type) == [.callback, .closed, .archived])
    #expect(h.t.status == .archived)
    #expect(h.t.closedAt == at("2026-03-05T10:00"))
}

@Test func tonghua2021_s19_lawfulAnswerClosesEvenIfUnsatisfied() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false, lawfulAnswer: true)), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .archived)
}

@Test func tonghua2021_s19_unsatisfiedWithoutLawfulAnswerStaysOpen() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false)), at: at("2026-03-05T10:00"))
    #expect(h.t.status == .replied)
    #expect(h.t.evaluation?.unsatisfiedCount == 1)
}

@Test func tonghua2021_s20_unsatisfiedAndReasonableIsSentBack() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    let events = try h.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false, sendBack: true)),
                           at: at("2026-03-05T10:00"))
    #expect(events.map(\.type) == [.callback, .reviewSentBack])
    #expect(h.t.status == .signed && h.t.holder == "water" && h.t.sendBacks == 1)
}

@Test func tonghua2021_s20_satisfiedIsNotSentBack() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    let error = h.refusal(.recordCallback(CallbackResult(level: .satisfied, sendBack: true)), at: at("2026-03-05T10:00"))
    #expect(error?.rule == "tonghua-2021 §20")
}

@Test func tonghua2021_s19_threeLevelScaleRequired() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    let error = h.refusal(.recordCallback(CallbackResult(stars: 5)), at: at("2026-03-05T10:00"))
    #expect(error?.rule == "tonghua-2021 §19")
}

@Test func tonghua2021_s18_notSignedInTimeTriggersSupervision() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    let triggers = Supervision.due(tickets: [h.t], now: at("2026-03-04T09:00"), profile: h.profile)
    #expect(triggers.contains { $0.kind == .notSignedInTime && $0.node == "water" })
    #expect(triggers.first?.reason.hasPrefix("tonghua-2021 §18") == true)
}

@Test func tonghua2021_s10_refusalNeedsGroundAndBasis() throws {
    var h = try Harness("tonghua-2021")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    #expect(h.refusal(.reject(ground: "outside-the-city", basis: ""), at: at("2026-03-02T09:10"))?.rule == "tonghua-2021 §10")
    try h.run(.reject(ground: "outside-the-city", basis: "§10(6)"), at: at("2026-03-02T09:10"))
    #expect(h.t.status == .rejected)
}

@Test func tonghua2021_s10_onlyTheSevenListedGroundsAreNotAccepted() throws {
    var h = try Harness("tonghua-2021")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    let refused = h.refusal(.reject(ground: "too-many-calls", basis: "§10"), at: at("2026-03-02T09:10"))
    #expect(refused?.rule == "tonghua-2021 §10")
    #expect(refused?.description.contains("\"too-many-calls\" is not one of the profile's grounds") == true)
    #expect(refused?.description.contains("outside-the-city") == true, "the error names the grounds that may be used")
    #expect(h.t.status == .received)
    try h.run(.reject(ground: "handled-elsewhere", basis: "§10(4)"), at: at("2026-03-02T09:10"))
    #expect(h.t.status == .rejected && h.t.events.last?.reason == "handled-elsewhere")
}
