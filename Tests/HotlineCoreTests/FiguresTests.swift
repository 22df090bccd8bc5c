import Testing
import HotlineCore

/// Four hand-built jinan-2018 tickets in March 2026 (see each comment) and the figures they must give.
func figuresFixture() throws -> [Ticket] {
    // 1: water signs in time, replies in time, caller satisfied and resolved.
    var one = try Harness("jinan-2018")
    try one.awaitingCallback()
    try one.run(.recordCallback(CallbackResult(level: .satisfied, resolved: true)), at: at("2026-03-05T10:00"))
    // 2: water signs late (Wed; sign-by was the end of Tue), replies late, caller unsatisfied and unresolved.
    var two = try Harness("jinan-2018")
    try two.dispatched()
    try two.run(.sign, by: waterUnit, at: at("2026-03-04T10:00"))
    try two.run(.supervise(form: "phone", reason: "late"), at: at("2026-03-04T11:00"))
    try two.run(.reply(result: "done", callerContacted: true), by: waterUnit, at: at("2026-03-11T10:00"))
    try two.run(.passReview, at: at("2026-03-11T11:00"))
    try two.run(.recordCallback(CallbackResult(level: .unsatisfied, resolved: false)), at: at("2026-03-12T10:00"))
    // 3: roads signs in time and gets a return approved.
    var three = try Harness("jinan-2018")
    try three.run(.receive(three.intake(topic: "roads")), at: at("2026-03-02T09:00"))
    try three.run(.dispatch(lead: "roads", assisting: [], tier: nil), at: at("2026-03-02T09:30"))
    try three.run(.sign, by: roadsUnit, at: at("2026-03-02T10:00"))
    try three.run(.requestReturn(reason: "not ours", basis: nil), by: roadsUnit, at: at("2026-03-02T11:00"))
    try three.run(.approveReturn(note: "ok"), at: at("2026-03-02T12:00"))
    // 4: answered on the spot by the centre.
    var four = try Harness("jinan-2018")
    try four.run(.receive(four.intake(topic: "policy")), at: at("2026-03-02T09:00"))
    try four.run(.answer(note: "explained"), at: at("2026-03-02T09:05"))
    return [one.t, two.t, three.t, four.t]
}

let march1 = LocalDate(year: 2026, month: 3, day: 1) ?? LocalDate(dayNumber: 0)
let march31 = LocalDate(year: 2026, month: 3, day: 31) ?? LocalDate(dayNumber: 0)

@Test func figuresPerUnitMatchTheHandComputedFixture() throws {
    let rows = Figures.compute(tickets: try figuresFixture(), from: march1, to: march31, by: .unit)
    #expect(rows.map(\.group) == ["city", "roads", "water"])
    let water = try #require(rows.first { $0.group == "water" })
    #expect(water.dispatched == 2 && water.signed == 2 && water.signedOnTime == 1)
    #expect(water.responseRate == 0.5)
    #expect(water.replied == 2 && water.repliedOnTime == 1 && water.onTimeCompletionRate == 0.5)
    #expect(water.closed == 2 && water.completionRate == 1.0)
    #expect(water.callbacksWithResolution == 2 && water.resolutionRate == 0.5)
    #expect(water.evaluated == 2 && water.satisfied == 1 && water.satisfactionRate == 0.5)
    #expect(water.supervisions == 1)
    let roads = try #require(rows.first { $0.group == "roads" })
    #expect(roads.dispatched == 1 && roads.returns == 1 && roads.returnRate == 1.0 && roads.responseRate == 1.0)
    #expect(roads.satisfactionRate == nil)
    let city = try #require(rows.first { $0.group == "city" })
    #expect(city.directAnswers == 1 && city.dispatched == 0)
}

@Test func figuresForTheWholeCity() throws {
    let rows = Figures.compute(tickets: try figuresFixture(), from: march1, to: march31, by: .all)
    let all = try #require(rows.first)
    #expect(rows.count == 1)
    #expect(all.dispatched == 3 && all.signedOnTime == 2 && all.closed == 2 && all.returns == 1 && all.directAnswers == 1)
    #expect(all.extensionRate == 0)
}

@Test func figuresByCountyTopicAndChannel() throws {
    let tickets = try figuresFixture()
    let byCounty = Figures.compute(tickets: tickets, from: march1, to: march31, by: .county(["water": "east", "roads": "east"]))
    #expect(byCounty.first { $0.group == "east" }?.dispatched == 3)
    let byTopic = Figures.compute(tickets: tickets, from: march1, to: march31, by: .topic)
    #expect(byTopic.map(\.group) == ["policy", "roads", "water-supply"])
    let byChannel = Figures.compute(tickets: tickets, from: march1, to: march31, by: .channel)
    #expect(byChannel.map(\.group) == ["phone-12345"])
}

@Test func figuresCountOnlyEventsInsideThePeriod() throws {
    let from = LocalDate(year: 2026, month: 3, day: 5) ?? march1
    let rows = Figures.compute(tickets: try figuresFixture(), from: from, to: march31, by: .all)
    let all = try #require(rows.first)
    #expect(all.dispatched == 0 && all.responseRate == nil)
    #expect(all.replied == 1 && all.evaluated == 2)
}

@Test func anshan2019_s23_starAverage() throws {
    var h = try Harness("anshan-2019")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(stars: 4, resolved: true)), at: at("2026-03-05T10:00"))
    let row = try #require(Figures.compute(tickets: [h.t], from: march1, to: march31, by: .all).first)
    #expect(row.starRatings == 1 && row.starAverage == 4.0)
}

@Test func countyForwardCountsAsADispatchToTheUnitItNames() throws {
    var h = try Harness("jinan-2018")
    try h.run(.receive(h.intake(topic: "roads")), at: at("2026-03-02T09:00"))
    try h.run(.dispatch(lead: "east", assisting: [], tier: nil), at: at("2026-03-02T09:30"))
    try h.run(.forward(to: "roads"), by: eastCounty, at: at("2026-03-02T10:00"))
    try h.run(.sign, by: roadsUnit, at: at("2026-03-02T11:00"))
    let rows = Figures.compute(tickets: [h.t], from: march1, to: march31, by: .unit)
    let roads = try #require(rows.first { $0.group == "roads" })
    let east = try #require(rows.first { $0.group == "east" })
    // The unit's response rate is measured from the forward it received, never above 100 %.
    #expect(roads.dispatched == 1 && roads.signedOnTime == 1 && roads.responseRate == 1.0)
    // The county station responded by forwarding, before its sign-for deadline.
    #expect(east.dispatched == 1 && east.signed == 0 && east.responded == 1 && east.responseRate == 1.0)
    // By county, the forward stays inside the county: one dispatch into it, one response (the first).
    let byCounty = Figures.compute(tickets: [h.t], from: march1, to: march31, by: .county(["roads": "east", "east": "east"]))
    #expect(byCounty.map(\.group) == ["city", "east"])
    let county = try #require(byCounty.first { $0.group == "east" })
    #expect(county.dispatched == 1 && county.responded == 1 && county.respondedOnTime == 1 && county.responseRate == 1.0)
}

@Test func countyForwardAfterTheSignForDeadlineIsALateResponse() throws {
    var h = try Harness("jinan-2018")
    try h.run(.receive(h.intake(topic: "roads")), at: at("2026-03-02T09:00"))
    try h.run(.dispatch(lead: "east", assisting: [], tier: nil), at: at("2026-03-02T09:30"))
    try h.run(.forward(to: "roads"), by: eastCounty, at: at("2026-03-06T10:00"))
    let east = try #require(Figures.compute(tickets: [h.t], from: march1, to: march31, by: .unit).first { $0.group == "east" })
    #expect(east.responded == 1 && east.respondedOnTime == 0 && east.responseRate == 0)
}

/// The fixture by hand: 4 requests received; 3 dispatches; water replied late once (ticket 2) → 1 overdue of 3
/// dispatches; 1 direct answer.
@Test func figuresCountIntakeOverdueAndEveryRateOfTheFixture() throws {
    let all = try #require(Figures.compute(tickets: try figuresFixture(), from: march1, to: march31, by: .all).first)
    #expect(all.received == 4 && all.directAnswers == 1)
    #expect(all.dispatched == 3 && all.responded == 3 && all.respondedOnTime == 2)
    #expect(all.fraction(.responseRate) == (2, 3))
    #expect(all.fraction(.onTimeCompletionRate) == (1, 2))
    #expect(all.fraction(.completionRate) == (2, 3))
    #expect(all.fraction(.resolutionRate) == (1, 2))
    #expect(all.fraction(.satisfactionRate) == (1, 2))
    #expect(all.fraction(.returnRate) == (1, 3))
    #expect(all.fraction(.extensionRate) == (0, 3))
    #expect(all.overdue == 1 && all.fraction(.overdueRate) == (1, 3))
    #expect(all.starAverage == nil && all.fraction(.starAverage) == (0, 0))
}

@Test func figuresCountApprovedExtensions() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    try h.run(.requestExtension(period: .workingDays(3), reason: "need the owners' committee", leaderSignOff: true),
              by: waterUnit, at: at("2026-03-03T10:00"))
    try h.run(.approveExtension, at: at("2026-03-03T11:00"))
    let all = try #require(Figures.compute(tickets: [h.t], from: march1, to: march31, by: .all).first)
    #expect(all.extensions == 1 && all.extensionRate == 1.0)
}

@Test func figuresByDayAndMonthPutEachEventInItsPeriod() throws {
    let tickets = try figuresFixture()
    let byDay = Figures.compute(tickets: tickets, from: march1, to: march31, by: .day)
    let second = try #require(byDay.first { $0.group == "2026-03-02" })
    #expect(second.received == 4 && second.dispatched == 3)
    let eleventh = try #require(byDay.first { $0.group == "2026-03-11" })
    #expect(eleventh.replied == 1 && eleventh.overdue == 1)
    let byMonth = Figures.compute(tickets: tickets, from: march1, to: march31, by: .month)
    #expect(byMonth.map(\.group) == ["2026-03"])
    #expect(byMonth.first?.received == 4 && byMonth.first?.closed == 2)
}

@Test func aLateReplyKeepsTheReasonTheUnitGave() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    try h.run(.reply(result: "done", callerContacted: true, overdueReason: "waiting for a spare part"), by: waterUnit,
              at: at("2026-03-20T10:00"))
    let reply = try #require(h.t.events.last)
    #expect(reply.onTime == false && reply.reason == "waiting for a spare part")
    var early = try Harness("jinan-2018")
    try early.signed()
    try early.run(.reply(result: "done", callerContacted: true, overdueReason: "not late at all"), by: waterUnit,
                  at: at("2026-03-03T10:00"))
    #expect(early.t.events.last?.reason == nil)
}
