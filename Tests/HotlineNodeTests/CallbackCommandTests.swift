import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// `callback --satisfaction unsatisfied` at the centre, under each profile: an unsatisfied caller is always recorded;
/// the ticket goes back to its unit by default only where the regulation sends back after a callback (JN §27, TH §20,
/// BD §26). Before, the command asked for a send-back on every unsatisfied callback, and under the profiles that never
/// send back at callback (AS19, ASD) it was refused whole — as it was under BD, whose profile said "never" too.
struct CallbackCommandTests {
    /// A ticket the water company replied to, reviewed where the profile reviews, at a centre running `profile`.
    func replied(_ profile: String) throws -> (NodeFixture, String) {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--profile", profile])
        let id = try city.intake("\(city.context.profile.prefix)-20260302-000001").id
        let tier = city.context.profile.tierRequired.value ? city.context.profile.tiers.last?.code : nil
        try city.perform(.dispatch(lead: "w", assisting: [], tier: tier), on: id)
        try city.deliver(.ticketEvent, body: EventBody(event: city.event(.signed, ticket: id, node: "w", role: .unit)), origin: "w", from: "w")
        var reply = city.event(.replied, ticket: id, node: "w", role: .unit)
        reply.note = "已修复"
        reply.callerContacted = true
        reply.onTime = true
        try city.deliver(.ticketEvent, body: EventBody(event: reply), origin: "w", from: "w")
        #expect(try city.ticket(id).status == .replied, "\(city.log)")
        if city.context.profile.reviewRequired.value { try city.perform(.passReview, on: id) }
        return (city, id)
    }

    func callback(_ city: NodeFixture, _ argv: String...) throws -> AdminResponse { try callback(city, argv) }
    func callback(_ city: NodeFixture, _ argv: [String]) throws -> AdminResponse {
        try city.round { try city.service.execute(AdminRequest(argv: ["callback"] + argv, user: "operator", uid: 1000), now: city.now, links: { [] }) }
    }

    @Test(arguments: [("jinan-2018", TicketStatus.signed), ("tonghua-2021", .signed), ("baoding-2022", .signed),
                      ("anshan-2019", .closed), ("anshan-draft", .closed)])
    func anUnsatisfiedCallerIsRecordedAndSentBackOnlyWhereTheRegulationSendsBack(profile: String, after: TicketStatus) throws {
        let (city, id) = try replied(profile)
        let stars = city.context.profile.evaluationScale.value == .stars ? ["--stars", "1"] : []
        let answer = try callback(city, [id, "--satisfaction", "unsatisfied", "--resolved", "no"] + stars)
        #expect(answer.exitCode == 0, "\(profile): \(answer.text)")
        let ticket = try city.ticket(id)
        #expect(ticket.evaluation?.level == .unsatisfied, "\(profile)")
        #expect(ticket.status == after, "\(profile): \(ticket.status)")
        #expect(after != .signed || ticket.holder == "w")
    }

    @Test func baoding2022_s26_anUnsatisfiedCallerWhoseAnswerWasLawfulIsExplainedNotSentBack() throws {
        let (city, id) = try replied("baoding-2022")
        #expect(try callback(city, id, "--satisfaction", "unsatisfied", "--lawful").exitCode == 0)
        #expect(try city.ticket(id).status == .closed)
    }

    @Test func anshanDraft_s16_anAskedForSendBackAfterTheCallbackIsRefusedWithTheRule() throws {
        let (city, id) = try replied("anshan-draft")
        let refused = try callback(city, id, "--satisfaction", "unsatisfied", "--send-back")
        #expect(refused.exitCode != 0 && refused.text.contains("anshan-draft §16"), "\(refused.text)")
        #expect(try city.ticket(id).evaluation == nil, "nothing recorded")
    }

    @Test func tonghua2021_s29_theCentreRaisesThePromptWhenItRecordsTheSecondUnsatisfiedCallback() throws {
        let (city, id) = try replied("tonghua-2021")
        #expect(try callback(city, id, "--satisfaction", "unsatisfied").exitCode == 0)
        var reply = city.event(.replied, ticket: id, node: "w", role: .unit)
        reply.note = "再次处理"
        reply.callerContacted = true
        reply.onTime = true
        try city.deliver(.ticketEvent, body: EventBody(event: reply), origin: "w", from: "w")
        #expect(try callback(city, id, "--satisfaction", "unsatisfied", "--lawful").exitCode == 0)
        let rows = try city.context.db.query("SELECT kind, tickets FROM alerts WHERE kind = 'repeated-unsatisfied'")
        #expect(rows.count == 1 && rows.first?.string(1) == id)
        #expect(city.log.contains { $0.contains("event=alert kind=repeated-unsatisfied") })
    }
}
