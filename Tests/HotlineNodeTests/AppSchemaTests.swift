import Foundation
import Testing
import HotlineCore
import HotlineProfiles
@testable import HotlineNode

/// protocols/schemas/app/ describes what the node layer really sends.
struct AppSchemaTests {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("protocols/schemas/app")

    func schema(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.schemas.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func dispatchedTicket() throws -> Ticket {
        let rules = Rules(profile: try ProfileLibrary.builtin("jinan-2018"), deadlines: DeadlineCalculator(calendar: try CalendarLibrary.builtin()))
        let city = Actor(node: "c", role: .city)
        let now = try #require(Timestamp(iso8601: "2026-03-02T09:00:00+08:00"))
        var ticket: Ticket?
        var n = 0
        let intake = TicketIntake(id: "JN-20260302-000001", channel: "phone", kind: "complain", topic: "供水",
                                  area: Area(district: "历下区", street: "解放路街道"), text: "停水",
                                  caller: CallerInfo(name: "张三", phone: "13812345678"))
        for command in [Command.receive(intake), .dispatch(lead: "w", assisting: [], tier: nil)] {
            for e in try Lifecycle.decide(command, ticket: ticket, actor: city, now: now, rules: rules, makeId: { n += 1; return "e\(n)" }) {
                ticket = try Lifecycle.apply(e, to: ticket)
            }
        }
        return try #require(ticket)
    }

    @Test func ticketAndEventCarryEveryRequiredField() throws {
        let ticket = try dispatchedTicket()
        let encoded = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ticket)) as? [String: Any])
        for key in try #require(try schema("ticket.json")["required"] as? [String]) {
            #expect(encoded[key] != nil, "ticket lacks \(key)")
        }
        let events = try #require(encoded["events"] as? [[String: Any]])
        #expect(events.count == 2)
        for key in try #require(try schema("event.json")["required"] as? [String]) {
            #expect(events.allSatisfy { $0[key] != nil }, "event lacks \(key)")
        }
    }

    @Test func schemaListsExactlyTheEventTypesAndStatusesOfTheCore() throws {
        let event = try schema("event.json")
        let props = try #require(event["properties"] as? [String: Any])
        let types = try #require((props["type"] as? [String: Any])?["enum"] as? [String])
        #expect(Set(types) == Set(EventType.allCases.map(\.rawValue)))
        let ticketProps = try #require(try schema("ticket.json")["properties"] as? [String: Any])
        let statuses = try #require((ticketProps["status"] as? [String: Any])?["enum"] as? [String])
        #expect(Set(statuses) == Set(TicketStatus.allCases.map(\.rawValue)))
    }

    @Test func everyMessageKindHasASchema() throws {
        for kind in AppMessageKind.allCases {
            #expect(FileManager.default.fileExists(atPath: Self.schemas.appendingPathComponent("\(kind.rawValue).json").path), "\(kind.rawValue)")
        }
    }
}
