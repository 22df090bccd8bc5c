import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// What a connection thread reads ahead of the loop (`BodyPredecoder`: one pass over an assignment's frame, and the
/// stored documents cut from it) stands in for what the loop would read itself. So for any bytes a peer sends, the
/// two must agree, and reading ahead must not crash the node. Checked on `ticket.assign` frames mangled at random
/// (seeded, so a failure replays): bytes changed to JSON's structural characters or to anything, ranges deleted,
/// repeated or spliced in from elsewhere in the frame.
struct MangledAssignTests {
    static let structural = Array(#"{}[]":,\ 0-e.tn"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xE5, 0xFF]

    static func mangle(_ payload: [UInt8], _ rng: inout Simulation.Rng) -> [UInt8] {
        var p = payload
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !p.isEmpty {
            let at = Int.random(in: 0..<p.count, using: &rng)
            let length = min(p.count - at, Int.random(in: 1...24, using: &rng))
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: p[at] = structural.randomElement(using: &rng)!
            case 1: p[at] = UInt8(ascii: "a") + UInt8.random(in: 0..<26, using: &rng)   // harmless inside a string
            case 6: p[at] = UInt8(ascii: "0") + UInt8.random(in: 0..<10, using: &rng)
            case 2: p[at] = UInt8.random(in: 0...255, using: &rng)
            case 3: p.removeSubrange(at..<(at + length))
            case 4: p.insert(contentsOf: p[at..<(at + length)], at: at)
            default:
                let from = Int.random(in: 0..<p.count, using: &rng)
                p.insert(contentsOf: p[from..<min(p.count, from + length)], at: at)
            }
        }
        return p
    }

    static func framed(_ payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
            + payload
    }

    /// Checks one payload; true when the one-pass reader accepted it.
    @discardableResult
    static func check(_ payload: [UInt8], keyring: DataKeyring?) throws -> Bool {
        // The connection thread's own path, as it runs: it must come back, whatever the bytes.
        let shelf = PredecodedBodies(keyring: keyring)
        BodyPredecoder(bodies: shelf).feed(framed(payload), stream: 1, now: 0)
        let loop = try? WireMessage.decode(payload, knownKinds: AppMessageKind.all)
        let taken = shelf.takeFrame(payload, at: FramePlace(stream: 1, ordinal: 0))
        guard let (message, body, layout) = WireMessage.decode(payload, knownKinds: AppMessageKind.all, dataBody: AssignBody.self) else {
            #expect(taken == nil, "the shelf holds a frame the one-pass reader refuses")
            return false
        }
        // Read ahead, it is the message the loop's session would parse, with the body the service would decode.
        #expect(loop == message, "the one-pass reader accepted a frame the loop reads otherwise or refuses")
        guard case .data(let m) = message else { return true }
        #expect((try? JSONStreamDecoder.decode(AssignBody.self, from: m.body)).map { $0.ticket == body.ticket && $0.role == body.role } == true,
                "the body read ahead is not the body the service would read from the message")
        if let taken { #expect(taken == message) }
        // Documents cut from the frame read back as the ticket (without its events) and each event.
        if let cut = TicketDocuments(slicing: payload, layout, eventCount: body.ticket.events.count) {
            var stripped = body.ticket
            stripped.events = []
            #expect((try? JSONStreamDecoder.decode(Ticket.self, from: cut.ticket)) == stripped)
            #expect(cut.events.map { try? JSONStreamDecoder.decode(TicketEvent.self, from: $0) } == body.ticket.events.map { $0 })
        }
        return true
    }

    @Test func aMangledAssignmentIsReadAheadExactlyAsTheLoopWouldReadItOrNotAtAll() throws {
        let bodies = try BodyPredecoderTests().bodies(2)
        let payloads = bodies.enumerated().map { i, b in
            Array(BodyPredecoderTests().frame(.ticketAssign, b, seq: UInt64(i + 1)).dropFirst(4))
        }
        // With a keyring the connection thread also seals the documents and works out the ticket's row.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ring-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyring = try DataKeyring.open(dir: dir)
        for p in payloads { #expect(try Self.check(p, keyring: keyring), "the unmangled frame is read ahead") }
        var rng = Simulation.Rng(state: 20_261_130)
        var accepted = 0
        let rounds = 3_000
        for round in 0..<rounds {
            let mangled = Self.mangle(payloads[round % payloads.count], &rng)
            if try Self.check(mangled, keyring: round % 2 == 0 ? keyring : nil) { accepted += 1 }
        }
        // Changes inside strings keep many frames valid: both outcomes must have been exercised.
        #expect(accepted > rounds / 50 && accepted < rounds - rounds / 50, "\(accepted) of \(rounds) accepted")
    }

    /// A repeated member is read as JSON's decoders read it, the same way by both readers: in the envelope the last
    /// value counts (`EnvelopeParser`), inside the body the first (`JSONDecoder`'s rule).
    @Test func anAssignmentWithARepeatedBodyOrTicketIsReadTheSameWayByBothReaders() throws {
        let body = try BodyPredecoderTests().bodies(1)[0]
        let payload = Array(BodyPredecoderTests().frame(.ticketAssign, body, seq: 1).dropFirst(4))
        let text = String(decoding: payload, as: UTF8.self)
        let other = String(decoding: try BodyPredecoderTests().bodies(2)[1], as: UTF8.self)
        // The envelope's body given twice, the first time another ticket's: the last one counts.
        let twice = try #require(text.range(of: #""body":"#))
        let repeatedBody = Array(text.replacingCharacters(in: twice, with: #""body":\#(other),"body":"#).utf8)
        #expect(try Self.check(repeatedBody, keyring: nil))
        let last = try #require(WireMessage.decode(repeatedBody, knownKinds: AppMessageKind.all, dataBody: AssignBody.self))
        #expect(last.body.ticket.text.hasSuffix("（第0件）"))
        // The ticket given twice inside the body, the first time the other one: the first one counts.
        let ticketAt = try #require(text.range(of: #""ticket":"#))
        let otherTicket = try #require(other.range(of: #""ticket":"#))
        let innerTicket = String(other[otherTicket.upperBound...].dropLast())
        let repeatedTicket = Array(text.replacingCharacters(in: ticketAt, with: #""ticket":\#(innerTicket),"ticket":"#).utf8)
        #expect(try Self.check(repeatedTicket, keyring: nil))
        let first = try #require(WireMessage.decode(repeatedTicket, knownKinds: AppMessageKind.all, dataBody: AssignBody.self))
        #expect(first.body.ticket.text.hasSuffix("（第1件）"))
    }
}

/// Whatever body a peer sends, of any kind, the node refuses it (and tells the origin) or applies it: never a
/// storage failure, which would undo the whole round, drop the link and have the peer send the same bytes again
/// for ever. Checked on each kind's real body mangled at random (seeded), at the node that receives that kind.
struct MangledBodyTests {
    func deliver(_ node: NodeFixture, _ kind: AppMessageKind, _ body: [UInt8], origin: String, from peer: String, n: Int) throws {
        let m = DataMessage(id: "mangled-\(kind.rawValue)-\(n)", seq: UInt64(n), origin: origin, dest: node.context.nodeId,
                            kind: kind.rawValue, body: body, at: node.now.millis)
        do {
            _ = try node.context.db.transaction { try node.service.handleIncoming(m, from: peer, now: node.now) }
        } catch {
            Issue.record("\(kind.rawValue) body #\(n) failed the round: \(error)\n\(String(decoding: body.prefix(600), as: UTF8.self))")
        }
    }

    static var oddValues: [Any] { [
        "", "\u{0}", "a\u{0}b", String(repeating: "长", count: 3_000), "JN-20260302-000001", "../../etc/passwd", "'; DROP TABLE tickets; --",
        "2026-13-45T99:99:99+08:00", "9999-12-31T23:59:59+08:00", "1970-01-01T00:00:00Z", -1, 0, 1, Int64.max, Int64.min, 1e300, -0.5,
        true, false, NSNull(), [Any](), [String: Any](), ["x": 1], ["s1", "c"],
    ] }

    /// The same JSON value with some members removed, added or given odd values, and some elements dropped or repeated.
    static func reshape(_ value: Any, _ rng: inout Simulation.Rng, depth: Int) -> Any {
        func odd(_ rng: inout Simulation.Rng) -> Any { oddValues.randomElement(using: &rng)! }
        if depth > 0, Int.random(in: 0..<12, using: &rng) == 0 { return odd(&rng) }
        switch value {
        case let object as [String: Any]:
            var out: [String: Any] = [:]
            // In sorted order: a dictionary's order changes from process to process, and with it every draw after.
            for key in object.keys.sorted() where Int.random(in: 0..<15, using: &rng) != 0 {
                out[key] = reshape(object[key]!, &rng, depth: depth + 1)
            }
            if Int.random(in: 0..<6, using: &rng) == 0 { out["unexpected"] = odd(&rng) }
            return out
        case let array as [Any]:
            var out: [Any] = []
            for v in array {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: continue
                case 1: out += [reshape(v, &rng, depth: depth + 1), reshape(v, &rng, depth: depth + 1)]
                default: out.append(reshape(v, &rng, depth: depth + 1))
                }
            }
            return out
        default:
            return value
        }
    }

    /// A ticket dispatched at the city to s1 and assigned at s1: the view s1 holds and the assignment's body.
    func assignedAtCityAndUnit() throws -> (NodeFixture, NodeFixture, Ticket, Ticket, [UInt8]) {
        let (city, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        let view = Privacy.view(of: ticket, for: "s1")
        let assign = try unit.service.encode(AssignBody(ticket: view, role: "lead"))
        try deliver(unit, .ticketAssign, assign, origin: "c", from: "k", n: 0)
        return (city, unit, ticket, view, assign)
    }

    /// Each time in a body (every string that reads as one) replaced by the farthest numbers: the node refuses
    /// the body; it does not store a time whose sum or text overflows (ef9fb4a's CI run stopped on one). The
    /// tickets both nodes hold read back whole afterwards.
    @Test func timesGivenAsExtremeNumbersAreRefusedNotOverflowed() throws {
        let (city, unit, ticket, _, assign) = try assignedAtCityAndUnit()
        let heldByUnit = try unit.ticket(ticket.id), heldByCity = try city.ticket(ticket.id)
        let signed = try city.service.encode(EventBody(event: city.event(.signed, ticket: ticket.id, node: "s1", role: .unit)))
        /// The body with the time at `path` replaced by `value`, one copy per time found.
        func variants(_ value: Any, _ replacement: Any) -> [Any] {
            switch value {
            case let object as [String: Any]:
                return object.keys.sorted().flatMap { key in
                    variants(object[key]!, replacement).map { v -> Any in
                        var copy = object
                        copy[key] = v
                        return copy
                    }
                }
            case let array as [Any]:
                return array.indices.flatMap { i in
                    variants(array[i], replacement).map { v -> Any in
                        var copy = array
                        copy[i] = v
                        return copy
                    }
                }
            case let text as String where Timestamp(iso8601: text) != nil:
                return [replacement]
            default:
                return []
            }
        }
        var n = 1
        for (node, kind, body, origin) in [(unit, AppMessageKind.ticketAssign, assign, "c"), (city, .ticketEvent, signed, "s1")] {
            let tree = try JSONSerialization.jsonObject(with: Data(body))
            for extreme: Int64 in [.max, .min] {
                for variant in variants(tree, NSNumber(value: extreme)) {
                    try deliver(node, kind, [UInt8](try JSONSerialization.data(withJSONObject: variant)), origin: origin, from: "k", n: n)
                    n += 1
                }
            }
        }
        #expect(n > 20, "the bodies carry several times each")
        #expect(try unit.ticket(ticket.id) == heldByUnit)
        #expect(try city.ticket(ticket.id) == heldByCity)
        for node in [city, unit] { #expect(try node.context.db.integrityCheck().isEmpty) }
    }

    @Test func mangledBodiesOfEveryKindAreRefusedOrAppliedNeverAStorageFailure() throws {
        let (city, unit, ticket, view, assign) = try assignedAtCityAndUnit()
        let signed = try city.service.encode(EventBody(event: city.event(.signed, ticket: ticket.id, node: "s1", role: .unit)))
        let entry = KnowledgeEntry(id: "noise", title: "夜间施工", body: "22时后禁止施工", topic: "噪声扰民", owner: "s1")
        var published = entry
        published.status = .approved
        // (receiver, kind, a real body, origin, the neighbour it comes from)
        let cases: [(NodeFixture, AppMessageKind, [UInt8], String, String)] = [
            (unit, .ticketAssign, assign, "c", "k"),
            (unit, .ticketSync, try unit.service.encode(SyncBody(ticket: view, reason: "resync")), "c", "k"),
            (city, .ticketEvent, signed, "s1", "k"),
            (unit, .ticketEvents, try unit.service.encode(EventsBody(events: [
                unit.event(.supervised, ticket: ticket.id, node: "c", role: .city),
                unit.event(.closed, ticket: ticket.id, node: "c", role: .city)])), "c", "k"),
            (city, .notice, try city.service.encode(NoticeBody(ticket: ticket.id, refusedMessage: "m1", text: "拒收")), "s1", "k"),
            (city, .kbSubmit, try city.service.encode(KnowledgeEntryBody(entry: entry)), "s1", "k"),
            (unit, .kbEntry, try unit.service.encode(KnowledgeEntryBody(entry: published)), "c", "k"),
            (city, .kbReport, try city.service.encode(KnowledgeReportBody(report: KnowledgeReport(
                id: "r1", entry: "noise", text: "电话错了", at: city.now, by: "s1"))), "s1", "k"),
            (unit, .ticketRecall, try unit.service.encode(RecallBody(since: "2026-03-02", reason: "restored")), "c", "k"),
            (city, .ticketCopy, try city.service.encode(CopyBody(recall: "recall-1", ticket: try unit.ticket(ticket.id))), "s1", "k"),
            (city, .ticketCopy, try city.service.encode(CopyBody(recall: "recall-1", done: true, count: 1)), "s1", "k"),
        ]
        var rng = Simulation.Rng(state: 12_345)
        var n = 1
        for (node, kind, body, origin, peer) in cases {
            let tree = try JSONSerialization.jsonObject(with: Data(body))
            for round in 0..<600 {
                // Bytes mangled (mostly not JSON any more), or values of the right shape with the wrong contents.
                let mangled = round % 2 == 0 ? MangledAssignTests.mangle(body, &rng)
                    : [UInt8](try JSONSerialization.data(withJSONObject: Self.reshape(tree, &rng, depth: 0)))
                // Copies are taken only for an open recall: one is open for each, so the body itself is judged.
                if kind == .ticketCopy { try city.context.db.setMeta(TicketService.recallKey("s1"), "recall-1") }
                try deliver(node, kind, mangled, origin: origin, from: peer, n: n)
                n += 1
            }
        }
        for node in [city, unit] { #expect(try node.context.db.integrityCheck().isEmpty) }
    }
}
