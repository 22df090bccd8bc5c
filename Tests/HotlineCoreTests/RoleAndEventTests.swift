import Foundation
import Testing
import HotlineCore

@Test func unitCannotReview() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    try h.run(.reply(result: "Fixed", callerContacted: true), by: waterUnit, at: at("2026-03-04T10:00"))
    let error = h.refusal(.passReview, by: waterUnit, at: at("2026-03-04T11:00"))
    #expect(error == .roleNotAllowed(.reviewPassed, role: .unit, who: "the city centre"))
}

@Test func countyCannotDecideReturn() throws {
    var h = try Harness("tonghua-2021")
    try h.dispatched()
    try h.run(.requestReturn(reason: "x", basis: "y"), by: waterUnit, at: at("2026-03-02T11:00"))
    let error = h.refusal(.approveReturn(note: "ok"), by: eastCounty, at: at("2026-03-02T12:00"))
    #expect(error?.description == "only the city centre may record 'return-approved' (role county); ask that node to do it")
}

@Test func unitCannotActOnATicketItDoesNotHold() throws {
    var h = try Harness("jinan-2018")
    try h.dispatched()
    #expect(h.refusal(.sign, by: Actor(node: "gas", role: .unit), at: at("2026-03-02T10:00"))
        == .notResponsible(.signed, node: "gas", holder: "water"))
}

@Test func cityCannotSignForAUnit() throws {
    var h = try Harness("jinan-2018")
    try h.dispatched()
    #expect(h.refusal(.sign, at: at("2026-03-02T10:00")) != nil)
}

@Test func countyForwardsAndDeadlinesStay() throws {
    var h = try Harness("tonghua-2021")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    try h.run(.dispatch(lead: "east", assisting: [], tier: nil), at: at("2026-03-02T09:30"))
    let before = h.t.deadlines
    #expect(h.refusal(.forward(to: "town"), by: waterUnit, at: at("2026-03-02T10:00")) != nil)
    try h.run(.forward(to: "town"), by: eastCounty, at: at("2026-03-02T10:00"))
    #expect(h.t.holder == "town" && h.t.deadlines == before)
    try h.run(.sign, by: Actor(node: "town", role: .unit), at: at("2026-03-02T10:30"))
    #expect(h.t.status == .signed)
}

@Test func countyHoldingATicketHandlesItLikeAUnit() throws {
    var h = try Harness("jinan-2018")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    try h.run(.dispatch(lead: "east", assisting: [], tier: nil), at: at("2026-03-02T09:30"))
    try h.run(.sign, by: eastCounty, at: at("2026-03-02T10:00"))
    try h.run(.reply(result: "done", callerContacted: true), by: eastCounty, at: at("2026-03-03T10:00"))
    #expect(h.t.status == .replied)
}

@Test func assistingUnitReportsToTheLead() throws {
    var h = try Harness("baoding-2022")
    try h.signed()
    try h.run(.reportAssist(note: "road closed for the repair"), by: roadsUnit, at: at("2026-03-03T10:00"))
    #expect(h.refusal(.reportAssist(note: "x"), by: waterUnit, at: at("2026-03-03T10:00")) != nil)
    #expect(h.refusal(.reply(result: "x", callerContacted: true), by: roadsUnit, at: at("2026-03-03T10:00")) != nil)
}

@Test func countyMaySuperviseAndUnitMayNot() throws {
    var h = try Harness("jinan-2018")
    try h.signed()
    try h.run(.supervise(form: "phone", reason: "slow"), by: eastCounty, at: at("2026-03-04T10:00"))
    #expect(h.t.supervisions == 1)
    #expect(h.t.events.last?.supervisionLevel == .county)
    #expect(h.refusal(.supervise(form: "phone", reason: "x"), by: roadsUnit, at: at("2026-03-04T10:00")) != nil)
}

@Test func pendingRequestBlocksAnother() throws {
    var h = try Harness("tonghua-2021")
    try h.signed()
    try h.run(.requestExtension(period: nil, reason: "x", leaderSignOff: false), by: waterUnit, at: at("2026-03-03T10:00"))
    #expect(h.refusal(.requestReturn(reason: "x", basis: "y"), by: waterUnit, at: at("2026-03-03T11:00"))
        == .requestPending(.returnRequested, pending: .extension))
    #expect(h.t.status == .signed)
}

@Test func duplicateEventIsRefused() throws {
    var h = try Harness("jinan-2018")
    try h.dispatched()
    let last = try #require(h.t.events.last)
    #expect(throws: LifecycleError.duplicateEvent(id: last.id)) { try Lifecycle.apply(last, to: h.t) }
}

@Test func eventForAnotherTicketIsRefused() throws {
    var h = try Harness("jinan-2018")
    try h.dispatched()
    var sign = TicketEvent(id: "x1", ticket: "JN-20260302-000999", type: .signed, at: at("2026-03-02T10:00"), node: "water", role: .unit)
    sign.onTime = true
    #expect(throws: LifecycleError.self) { try Lifecycle.apply(sign, to: h.t) }
}

@Test func illegalEventFromAnotherNodeIsRefusedOnApply() throws {
    var h = try Harness("jinan-2018")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    let sign = TicketEvent(id: "x1", ticket: h.t.id, type: .signed, at: at("2026-03-02T10:00"), node: "water", role: .unit)
    #expect(throws: LifecycleError.illegalInStatus(.signed, status: .received, allowed: [.dispatched])) {
        try Lifecycle.apply(sign, to: h.t)
    }
}

@Test func archivedTicketOnlyReopens() throws {
    var h = try Harness("tonghua-2021")
    try h.awaitingCallback()
    try h.run(.recordCallback(CallbackResult(level: .satisfied, resolved: true)), at: at("2026-03-05T10:00"))
    #expect(h.refusal(.supervise(form: "phone", reason: "x"), at: at("2026-03-06T10:00")) != nil)
    #expect(h.refusal(.dispatch(lead: "water", assisting: [], tier: nil), at: at("2026-03-06T10:00")) != nil)
    try h.run(.reopen(reason: "same fault again"), at: at("2026-03-06T10:00"))
    #expect(h.t.status == .received && h.t.holder == "city" && h.t.deadlines.handleBy == nil)
}

@Test func unknownKindIsRefusedAtIntake() throws {
    var h = try Harness("jinan-2018")
    #expect(h.refusal(.receive(h.intake(kind: "situation")), at: at("2026-03-02T09:00")) != nil)
}

@Test func signedEventEncodesAsFlatReadableJSON() throws {
    var h = try Harness("jinan-2018")
    try h.dispatched()
    let events = try h.run(.sign, by: waterUnit, at: at("2026-03-02T10:00"))
    let data = try JSONEncoder().encode(try #require(events.first))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["type"] as? String == "signed")
    #expect(object["onTime"] as? Bool == true)
    #expect(object["role"] as? String == "unit")
    #expect(object["node"] as? String == "water")
    #expect(object["at"] as? String == "2026-03-02T10:00:00+08:00")
    #expect(Set(object.keys) == ["id", "ticket", "type", "at", "node", "role", "onTime"])
    #expect(try JSONDecoder().decode(TicketEvent.self, from: data) == events.first)
}

@Test func ticketRoundTripsThroughJSON() throws {
    var h = try Harness("anshan-2019")
    try h.awaitingCallback()
    let data = try JSONEncoder().encode(h.t)
    #expect(try JSONDecoder().decode(Ticket.self, from: data) == h.t)
}

@Test(arguments: EventType.allCases)
func eventTypesAreStableKebabWords(type: EventType) {
    #expect(type.rawValue.allSatisfy { $0.isLowercase || $0 == "-" })
}

/// Which nodes a ticket concerns: the centre sends them its copy after a restore (`resync`) or when they ask.
@Test func aTicketConcernsItsHolderLeadAssistantsAndEveryNodeInItsHistoryOnly() throws {
    var h = try Harness("jinan-2018")
    try h.run(.receive(h.intake()), at: at("2026-03-02T09:00"))
    #expect(h.t.concerns(any: ["city"]))
    #expect(!h.t.concerns(any: ["water", "roads", "east"]))
    try h.run(.dispatch(lead: "water", assisting: ["roads"], tier: nil), at: at("2026-03-02T09:30"))
    #expect(h.t.concerns(any: ["water"]) && h.t.concerns(any: ["roads"]))
    #expect(!h.t.concerns(any: ["east", "gas"]))
    #expect(h.t.concerns(any: ["east", "roads"]), "any one of the nodes is enough")
}
