import Testing
import HotlineCore

@Test func jinan2018_s28_overdueTriggersSupervision() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    #expect(Supervision.due(tickets: [h.t], now: at("2026-03-09T23:59"), profile: h.profile).isEmpty)
    let triggers = Supervision.due(tickets: [h.t], now: at("2026-03-10T00:01"), profile: h.profile)
    #expect(triggers.map(\.kind) == [.overdue])
    #expect(triggers.first?.node == "water" && triggers.first?.tickets == [h.t.id])
    #expect(triggers.first?.reason.hasPrefix("jinan-2018 §28") == true)
}

@Test func baoding2022_s24_overdueIsNotATriggerThere() throws {
    var h = try Harness("baoding-2022")
    try h.signed(tier: "2h")
    let kinds = Supervision.due(tickets: [h.t], now: at("2026-03-02T12:00"), profile: h.profile).map(\.kind)
    #expect(!kinds.contains(.overdue))
}

@Test func jinan2018_s28_repeatedRequestsBySameCaller() throws {
    var tickets: [Ticket] = []
    for sequence in 1...2 {
        var h = try Harness("jinan-2018")
        try h.run(.receive(h.intake(topic: sequence == 1 ? "noise" : "water", street: "S\(sequence)", sequence: sequence)),
                  at: at("2026-03-0\(sequence + 1)T09:00"))
        tickets.append(h.t)
    }
    let profile = try Harness("jinan-2018").profile
    let triggers = Supervision.due(tickets: tickets, now: at("2026-03-04T09:00"), profile: profile)
    #expect(triggers.map(\.kind) == [.repeatedCaller])
    #expect(triggers.first?.tickets.count == 2)
    // Outside the 30-day window the same two requests are no longer a repeat.
    #expect(Supervision.due(tickets: tickets, now: at("2026-04-15T09:00"), profile: profile).isEmpty)
}

@Test func anshan2019_s25_manyCallersOnOneMatter() throws {
    var tickets: [Ticket] = []
    for sequence in 1...5 {
        var h = try Harness("anshan-2019")
        try h.run(.receive(h.intake(caller: CallerInfo(phone: "1390000000\(sequence)"), sequence: sequence)),
                  at: at("2026-03-02T09:0\(sequence)"))
        tickets.append(h.t)
    }
    let profile = try Harness("anshan-2019").profile
    let kinds = Supervision.due(tickets: tickets, now: at("2026-03-02T12:00"), profile: profile).map(\.kind)
    #expect(kinds.contains(.manyCallers) && kinds.contains(.repeatedPlace))
    let fewer = Supervision.due(tickets: Array(tickets.prefix(4)), now: at("2026-03-02T12:00"), profile: profile).map(\.kind)
    #expect(!fewer.contains(.manyCallers))
}

@Test func tonghua2021_s29_secondUnsatisfiedTriggersAccountability() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(level: .unsatisfied, sendBack: true)), at: at("2026-03-05T10:00"))
    #expect(!Supervision.due(tickets: [h.t], now: at("2026-03-05T11:00"), profile: h.profile).contains { $0.kind == .repeatedUnsatisfied })
    try h.run(.reply(result: "again", callerContacted: true), by: waterUnit, at: at("2026-03-06T10:00"))
    try h.run(.recordCallback(CallbackResult(level: .unsatisfied)), at: at("2026-03-06T11:00"))
    #expect(h.t.evaluation?.unsatisfiedCount == 2)
    let trigger = Supervision.due(tickets: [h.t], now: at("2026-03-06T12:00"), profile: h.profile)
        .first { $0.kind == .repeatedUnsatisfied }
    #expect(trigger?.node == "water")
    #expect(trigger?.reason.contains("§29") == true)
}

@Test func tonghua2021_s18_lateReturnTriggersSupervision() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    try h.run(.requestReturn(reason: "x", basis: "y"), by: waterUnit, at: at("2026-03-05T10:00"))
    #expect(Supervision.due(tickets: [h.t], now: at("2026-03-05T11:00"), profile: h.profile).contains { $0.kind == .lateReturn })
}

@Test func warningsAtHalfAndThreeQuartersOfTheHandlingPeriod() throws {
    var h = try Harness("baoding-2022")
    try h.signed(tier: "24h")
    let fractions = h.profile.supervision.warnAtFractions.value
    #expect(Deadlines.warnings(h.t, now: at("2026-03-02T20:00"), fractions: fractions).isEmpty)
    let half = Deadlines.warnings(h.t, now: at("2026-03-02T22:00"), fractions: fractions)
    #expect(half.map(\.fraction) == [0.5] && half.first?.clock == .handle)
    #expect(Deadlines.warnings(h.t, now: at("2026-03-03T04:00"), fractions: fractions).map(\.fraction) == [0.75])
    #expect(Deadlines.warnings(h.t, now: at("2026-03-03T10:00"), fractions: fractions).isEmpty)
}

@Test func signWarningWhileNotSigned() throws {
    var h = try Harness("jinan-2018")
    try h.dispatched()
    let warnings = Deadlines.warnings(h.t, now: at("2026-03-03T20:00"), fractions: [0.5, 0.75])
    #expect(warnings.contains { $0.clock == .sign && $0.fraction == 0.75 })
}
