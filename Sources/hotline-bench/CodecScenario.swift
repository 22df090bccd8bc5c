import Foundation
import HotlineCore
import HotlineWire

/// What JSON costs per message on this machine, in one process: the CPU floor under the hop, the catch-up and the
/// lifecycle, which every node pays per message received and per document stored. The message is the hop's
/// `ticket.assign` (a received and dispatched ticket with its two events).
enum CodecScenario {
    private struct Assign: Codable {
        var ticket: Ticket
        var role: String
    }

    static func run(quick: Bool) throws -> [Figure] {
        let message = try Payload.assignments(count: 1, lead: "b-east-1", area: Area(district: "东城区", street: "第1街道"),
                                              topic: "噪声扰民")[0]
        let body = Data(message.body)
        let assign = try JSONDecoder().decode(Assign.self, from: body)
        var stripped = assign.ticket
        stripped.events = []
        let event = assign.ticket.events[0]
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let eventDoc = try JSONStreamEncoder.encode(event)
        let n = quick ? 500 : 20_000

        /// Median over 5 runs of `n` calls, in µs per call.
        func micros(_ body: () throws -> Void) rethrows -> Double {
            for _ in 0..<min(n, 500) { try body() }
            let runs = try (0..<5).map { _ in
                let t = Clock.now()
                for _ in 0..<n { try body() }
                return (Clock.now() - t) / Double(n) * 1e6
            }
            return Stats.median(runs)
        }
        let how = "median of 5 × \(n) calls"
        /// The node's encoder beside Foundation's; the ratio is how many times faster it is.
        func write(_ what: String, verb: String = "write", stream: () throws -> Void, foundation: () throws -> Void) throws -> Figure {
            let ours = try micros(stream), theirs = try micros(foundation)
            return Figure(scenario: "codec", name: "\(verb) \(what): JSONStreamEncoder", value: ours, unit: "µs",
                          how: how + "; JSONEncoder \(Report.format(theirs)) µs", ratios: [("faster than JSONEncoder", theirs / ours)])
        }
        func store(_ what: String, stream: () throws -> Void, foundation: () throws -> Void) throws -> Figure {
            try write(what, verb: "store", stream: stream, foundation: foundation)
        }
        /// The node's document decoder beside Foundation's.
        func read(_ what: String, stream: () throws -> Void, foundation: () throws -> Void) throws -> Figure {
            let ours = try micros(stream), theirs = try micros(foundation)
            return Figure(scenario: "codec", name: "read \(what): JSONStreamDecoder", value: ours, unit: "µs",
                          how: how + "; JSONDecoder \(Report.format(theirs)) µs", ratios: [("faster than JSONDecoder", theirs / ours)])
        }
        let size = "\(body.count) B"
        return [
            Figure(scenario: "codec", name: "decode a ticket.assign body (\(size), JSONDecoder)", value: try micros {
                _ = try JSONDecoder().decode(Assign.self, from: body)
            }, unit: "µs", how: how),
            try read("the same body", stream: { _ = try JSONStreamDecoder.decode(Assign.self, from: message.body) },
                     foundation: { _ = try JSONDecoder().decode(Assign.self, from: body) }),
            Figure(scenario: "codec", name: "parse the same body (JSONSerialization, no Codable)", value: try micros {
                _ = try JSONSerialization.jsonObject(with: body)
            }, unit: "µs", how: how + "; the parse alone, for comparison"),
            try write("it for the wire (sorted keys, the same bytes)", stream: { _ = try JSONStreamEncoder.encode(assign, sortedKeys: true) },
                      foundation: { _ = try sorted.encode(assign) }),
            try store("an event document (\(eventDoc.count) B)", stream: { _ = try JSONStreamEncoder.encode(event) },
                      foundation: { _ = try sorted.encode(event) }),
            try store("a ticket document", stream: { _ = try JSONStreamEncoder.encode(stripped) },
                      foundation: { _ = try sorted.encode(stripped) }),
            try read("an event document back", stream: { _ = try JSONStreamDecoder.decode(TicketEvent.self, from: eventDoc) },
                     foundation: { _ = try JSONDecoder().decode(TicketEvent.self, from: Data(eventDoc)) }),
        ]
    }
}
