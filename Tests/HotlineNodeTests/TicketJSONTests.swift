import Foundation
import HotlineCore
@testable import HotlineNode
@testable import HotlineWire
import Testing

/// The hand-written ticket and event JSON (`TicketJSON.swift`) against the synthesised `Codable` code it replaces:
/// the same (sorted) bytes, the same values, the same refusals, over random tickets with every optional member both
/// set and missing.
struct TicketJSONTests {
    /// Random tickets and events from a seed (`Simulation.Rng`), so a failure names a seed that reproduces it.
    struct Maker {
        var g: Simulation.Rng

        mutating func coin() -> Bool { Bool.random(using: &g) }

        mutating func text() -> String {
            ["东城区", "供水", "a \"quoted\" word", "line\nbreak\ttab", "back\\slash / slash", "", "émoji 😀",
             "\u{01}control", "plain"].randomElement(using: &g)!
        }

        mutating func maybe<T>(_ make: (inout Maker) -> T) -> T? { coin() ? make(&self) : nil }

        mutating func time() -> Timestamp {
            // Whole seconds and milliseconds, both written differently.
            Timestamp(millis: 1_767_225_600_000 + Int64.random(in: 0..<40_000_000_000, using: &g) * (coin() ? 1000 : 1))
        }

        mutating func int() -> Int { [0, 1, 7, -3, 1_000_000, Int.max].randomElement(using: &g)! }

        mutating func area() -> Area { Area(district: text(), street: text()) }

        mutating func strings() -> [String] { (0..<Int.random(in: 0...3, using: &g)).map { _ in text() } }

        mutating func attachments() -> [HotlineCore.Attachment] {
            (0..<Int.random(in: 0...2, using: &g)).map { _ in HotlineCore.Attachment(kind: text(), name: text(), size: int(), sha256: text()) }
        }

        mutating func caller() -> CallerInfo {
            CallerInfo(name: maybe { $0.text() }, phone: maybe { $0.text() }, confidential: coin(), noReply: coin(),
                       vulnerable: strings())
        }

        mutating func period() -> Period {
            let n = Int.random(in: 1...30, using: &g)
            return [Period.hours(n), .days(n), .workingDays(n), .months(n)].randomElement(using: &g)!
        }

        mutating func event() -> TicketEvent {
            var e = TicketEvent(id: text(), ticket: text(), type: EventType.allCases.randomElement(using: &g)!, at: time(),
                                node: text(), role: Role.allCases.randomElement(using: &g)!)
            e.profile = maybe { $0.text() }
            e.channel = maybe { $0.text() }
            e.kind = maybe { $0.text() }
            e.topic = maybe { $0.text() }
            e.area = maybe { $0.area() }
            e.address = maybe { $0.text() }
            e.text = maybe { $0.text() }
            e.attachments = maybe { $0.attachments() }
            e.caller = maybe { $0.caller() }
            e.subject = maybe { $0.text() }
            e.acceptBy = maybe { $0.time() }
            e.dispatchBy = maybe { $0.time() }
            e.to = maybe { $0.text() }
            e.assisting = maybe { $0.strings() }
            e.tier = maybe { $0.text() }
            e.signBy = maybe { $0.time() }
            e.returnBy = maybe { $0.time() }
            e.handleBy = maybe { $0.time() }
            e.handlingUnit = maybe { [PeriodUnit.hours, .days, .workingDays, .months].randomElement(using: &$0.g)! }
            e.reason = maybe { $0.text() }
            e.basis = maybe { $0.text() }
            e.kbEntry = maybe { $0.text() }
            e.note = maybe { $0.text() }
            e.onTime = maybe { $0.coin() }
            e.countsAsOverdue = maybe { $0.coin() }
            e.period = maybe { $0.period() }
            e.leaderSignOff = maybe { $0.coin() }
            e.extensionNumber = maybe { $0.int() }
            e.callerContacted = maybe { $0.coin() }
            e.level = maybe { SatisfactionLevel.allCases.randomElement(using: &$0.g)! }
            e.stars = maybe { $0.int() }
            e.resolved = maybe { $0.coin() }
            e.unreachable = maybe { $0.coin() }
            e.lawfulAnswer = maybe { $0.coin() }
            e.sentBack = maybe { $0.coin() }
            e.supervisionLevel = maybe { Role.allCases.randomElement(using: &$0.g)! }
            e.form = maybe { $0.text() }
            e.granted = maybe { $0.coin() }
            e.evidence = maybe { $0.text() }
            e.pauses = maybe { ClockStopReason.allCases.randomElement(using: &$0.g)! }
            return e
        }

        mutating func ticket() -> Ticket {
            var deadlines = TicketDeadlines()
            deadlines.acceptBy = maybe { $0.time() }
            deadlines.dispatchBy = maybe { $0.time() }
            deadlines.signBy = maybe { $0.time() }
            deadlines.returnBy = maybe { $0.time() }
            deadlines.handleBy = maybe { $0.time() }
            deadlines.originalHandleBy = maybe { $0.time() }
            var verdicts = Verdicts()
            verdicts.signedLate = coin()
            verdicts.returnedLate = coin()
            verdicts.repliedLate = coin()
            verdicts.overdue = coin()
            return Ticket(
                id: text(), profile: text(), channel: text(), kind: text(), topic: text(), area: area(), address: text(),
                text: text(), attachments: attachments(), caller: caller(), subject: maybe { $0.text() },
                tier: maybe { $0.text() }, lead: maybe { $0.text() }, assisting: strings(), centre: text(), holder: text(),
                status: TicketStatus.allCases.randomElement(using: &g)!,
                pending: maybe { [PendingRequest.returnRequest, .extension, .recusal].randomElement(using: &$0.g)! },
                deadlines: deadlines, handlingUnit: maybe { [PeriodUnit.hours, .workingDays].randomElement(using: &$0.g)! },
                extensions: int(),
                pause: maybe { Pause(since: $0.time(), reason: ClockStopReason.allCases.randomElement(using: &$0.g)!, unit: .days) },
                verdicts: verdicts,
                evaluation: maybe {
                    Evaluation(level: $0.maybe { SatisfactionLevel.allCases.randomElement(using: &$0.g)! },
                               stars: $0.maybe { $0.int() }, resolved: $0.maybe { $0.coin() }, unreachable: $0.coin(),
                               disputed: $0.coin(), unsatisfiedCount: $0.int())
                },
                supervisions: int(), sendBacks: int(), receivedAt: time(), closedAt: maybe { $0.time() },
                events: (0..<Int.random(in: 0...4, using: &g)).map { _ in event() })
        }
    }

    static func foundationSorted<T: Encodable>(_ value: T) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try e.encode(value))
    }

    @Test func handWrittenTicketsAreTheBytesAndValuesOfTheCodableOnes() throws {
        var maker = Maker(g: Simulation.Rng(state: 20261130))
        for n in 0..<300 {
            let t = maker.ticket()
            let byHand = try JSONStreamEncoder.encode(t, sortedKeys: true, byHand: true)
            let codable = try JSONStreamEncoder.encode(t, sortedKeys: true, byHand: false)
            #expect(byHand == codable, "ticket \(n):\n\(String(decoding: byHand, as: UTF8.self))\n\(String(decoding: codable, as: UTF8.self))")
            // The hand-written members come in sorted order already: a stored document is the same bytes.
            #expect(try JSONStreamEncoder.encode(t) == byHand, "ticket \(n)")
            #expect(try JSONStreamDecoder.decode(Ticket.self, from: byHand, byHand: true) == t, "ticket \(n)")
            #expect(try JSONStreamDecoder.decode(Ticket.self, from: JSONStreamEncoder.encode(t, sortedKeys: false, byHand: false)) == t)
            // Wire bodies are what Foundation's encoder writes with sorted keys, byte for byte.
            let body = AssignBody(ticket: t, role: "lead")
            #expect(try JSONStreamEncoder.encode(body, sortedKeys: true) == Self.foundationSorted(body), "ticket \(n)")
            let fromFoundation = try JSONDecoder().decode(AssignBody.self, from: Data(Self.foundationSorted(body)))
            #expect(try JSONStreamDecoder.decode(AssignBody.self, from: Self.foundationSorted(body)).ticket == fromFoundation.ticket)
            for e in t.events {
                let bytes = try JSONStreamEncoder.encode(e)
                #expect(bytes == (try JSONStreamEncoder.encode(e, sortedKeys: true, byHand: false)), "ticket \(n) event \(e.id)")
                #expect(try JSONStreamDecoder.decode(TicketEvent.self, from: bytes) == e)
            }
        }
    }

    /// What both readers make of one input: the value, or the kind of error and where.
    enum Outcome: Equatable {
        case value(Ticket)
        case refused(String, [String])
    }

    static func outcome(_ bytes: [UInt8], byHand: Bool) -> Outcome {
        do {
            return .value(try JSONStreamDecoder.decode(Ticket.self, from: bytes, byHand: byHand))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let c): return .refused("keyNotFound \(key.stringValue)", c.codingPath.map(\.stringValue))
            case .typeMismatch(_, let c): return .refused("typeMismatch", c.codingPath.map(\.stringValue))
            case .valueNotFound(_, let c): return .refused("valueNotFound", c.codingPath.map(\.stringValue))
            case .dataCorrupted(let c): return .refused("dataCorrupted", c.codingPath.map(\.stringValue))
            @unknown default: return .refused("\(error)", [])
            }
        } catch {
            return .refused("\(error)", [])
        }
    }

    /// Every member of a ticket, of its first event and of their nested objects, removed, made null, given a value of
    /// another type and (for strings) a word no enumeration has: the hand-written reader accepts exactly what the
    /// `Codable` one accepts, to the same value, and refuses the rest with the same error at the same path.
    @Test func handWrittenTicketReaderRefusesWhatTheCodableOneRefuses() throws {
        var maker = Maker(g: Simulation.Rng(state: 7))
        var checked = 0
        for _ in 0..<6 {
            var t = maker.ticket()
            if t.events.isEmpty { t.events = [maker.event()] }
            let json = try JSONSerialization.jsonObject(with: Data(JSONStreamEncoder.encode(t))) as! [String: Any]
            var paths: [[String]] = json.keys.map { [$0] }
            for (key, value) in json {
                if let nested = value as? [String: Any] { paths += nested.keys.map { [key, $0] } }
            }
            let event = (json["events"] as! [[String: Any]])[0]
            paths += event.keys.map { ["events", "0", $0] }
            for (key, value) in event {
                if let nested = value as? [String: Any] { paths += nested.keys.map { ["events", "0", key, $0] } }
            }
            for path in paths {
                for replacement: Any? in [nil, NSNull(), 7, "x", [String](), ["a": 1]] {
                    let changed = Self.replacing(path[...], in: json, with: replacement)
                    let bytes = Array(try JSONSerialization.data(withJSONObject: changed))
                    let byHand = Self.outcome(bytes, byHand: true), codable = Self.outcome(bytes, byHand: false)
                    #expect(byHand == codable, "\(path) = \(String(describing: replacement))")
                    checked += 1
                }
            }
        }
        #expect(checked > 1000)
    }

    static func replacing(_ path: ArraySlice<String>, in value: Any, with replacement: Any?) -> Any {
        guard let key = path.first else { return replacement as Any }
        if var array = value as? [Any], let i = Int(key) {
            array[i] = replacing(path.dropFirst(), in: array[i], with: replacement)
            return array
        }
        var object = value as! [String: Any]
        if path.count == 1, replacement == nil {
            object[key] = nil
        } else {
            object[key] = replacing(path.dropFirst(), in: object[key]!, with: replacement)
        }
        return object
    }
}
