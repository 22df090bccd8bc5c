import Foundation
import HotlineCore
import HotlineProfiles
import HotlineWire

/// Realistic traffic: `ticket.assign` messages as the city sends them, each a new ticket received and dispatched
/// by the real lifecycle core under jinan-2018, about 2 KB of JSON. One ticket is decided; the others are copies
/// with their own ticket number (the number is the only part that differs between two such dispatches).
enum Payload {
    static let text = String(repeating: "夜间施工噪音扰民，影响附近居民休息，多次向施工单位反映未果，请求相关部门依法处理并答复。", count: 1)

    /// `count` assignments to `lead`, numbered from `first`, routed to `dest` (the lead, or below it).
    static func assignments(count: Int, lead: String, area: Area, topic: String, first: Int = 1) throws -> [DataMessage] {
        let template = try ticket(lead: lead, area: area, topic: topic, sequence: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = [UInt8](try encoder.encode(Assign(ticket: template, role: "lead")))
        let pattern = [UInt8](template.id.utf8)
        let at = Int64(Date().timeIntervalSince1970 * 1000)
        return (0..<count).map { i in
            let id = number(first + i, like: template)
            return DataMessage(id: "bench-\(id)", seq: 0, origin: "b-city", dest: lead, kind: "ticket.assign",
                               body: replacing(pattern, with: [UInt8](id.utf8), in: body), at: at)
        }
    }

    /// The ticket numbers `assignments` gives.
    static func ticketIDs(count: Int, lead: String, area: Area, topic: String, first: Int = 1) throws -> [String] {
        let template = try ticket(lead: lead, area: area, topic: topic, sequence: 0)
        return (0..<count).map { number(first + $0, like: template) }
    }

    /// The ticket number with this sequence on the template's day.
    private static func number(_ sequence: Int, like template: Ticket) -> String {
        TicketID.make(prefix: template.id.prefix(while: { $0.isLetter }).description,
                      date: ChinaTime.date(of: template.receivedAt), sequence: sequence)
    }

    private struct Assign: Encodable {
        var ticket: Ticket
        var role: String
    }

    private static func ticket(lead: String, area: Area, topic: String, sequence: Int) throws -> Ticket {
        let profile = try ProfileLibrary.builtin("jinan-2018")
        let rules = Rules(profile: profile, deadlines: DeadlineCalculator(calendar: (try? CalendarLibrary.builtin()) ?? .weekendsOnly))
        let now = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
        let id = TicketID.make(prefix: profile.prefix, date: ChinaTime.date(of: now), sequence: sequence)
        let intake = TicketIntake(id: id, channel: "phone", kind: "complain", topic: topic, area: area,
                                  address: "\(area.district)\(area.street)建设路18号", text: text,
                                  caller: CallerInfo(name: "张三", phone: "13812345678"))
        let city = Actor(node: "b-city", role: .city)
        var n = 0
        var ticket: Ticket?
        for command in [Command.receive(intake), .dispatch(lead: lead, assisting: [], tier: nil)] {
            let events = try Lifecycle.decide(command, ticket: ticket, actor: city, now: now, rules: rules) {
                n += 1
                return "\(id)-e\(n)"
            }
            for event in events { ticket = try Lifecycle.apply(event, to: ticket) }
        }
        guard let ticket else { throw BenchError.failed("the lifecycle made no ticket") }
        return Privacy.view(of: ticket, for: lead)
    }

    private static func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == pattern[0], i + pattern.count <= bytes.count, bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                out += replacement
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
