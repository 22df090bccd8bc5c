import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// `extend --statutory PROVISION --caller-informed` at a unit: a period a law sets is asked for past the profile's
/// caps, with the provision and the caller's being told on the event that goes to the centre.
struct ExtendCommandTests {
    @Test func jinan2018_s24_aUnitAsksForTheLawsLongerPeriodAndSaysTheCallerWasTold() throws {
        let ticket = try DataAtRestTests().assigned(to: "s1").1
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"), origin: "c", from: "k")
        try unit.perform(.sign, on: ticket.id)
        func extend(_ argv: String...) throws -> AdminResponse {
            try unit.round { try unit.service.execute(AdminRequest(argv: ["extend", ticket.id] + argv, user: "operator", uid: 1000),
                                                     now: unit.now, links: { [] }) }
        }
        let missingDays = try extend("--reason", "需鉴定", "--statutory", "《某法》第三十条")
        #expect(missingDays.exitCode != 0 && missingDays.text.contains("--statutory needs --days N"), "\(missingDays.text)")
        let capped = try extend("--days", "30", "--reason", "需鉴定")
        #expect(capped.exitCode != 0 && capped.text.contains("at most 5 wd"), "\(capped.text)")
        let asked = try extend("--days", "30", "--reason", "需鉴定", "--statutory", "《某法》第三十条", "--caller-informed")
        #expect(asked.exitCode == 0, "\(asked.text)")
        let event = try #require(try unit.ticket(ticket.id).events.last)
        #expect(event.type == .extensionRequested && event.basis == "《某法》第三十条" && event.callerContacted == true)
        #expect(event.period == .workingDays(30))
    }
}
