import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// Assignment bodies decoded on the connection thread are exactly what the loop would decode from the same bytes;
/// anything else on the stream is left to the loop.
struct BodyPredecoderTests {
    func frame(_ kind: AppMessageKind, _ body: [UInt8], seq: UInt64) -> [UInt8] {
        WireMessage.data(DataMessage(id: "m\(seq)", seq: seq, origin: "c", dest: "s1", kind: kind.rawValue, body: body, at: 1))
            .encodeFrame()
    }

    func bodies(_ n: Int) throws -> [[UInt8]] {
        let (city, ticket) = try DataAtRestTests().assigned(to: "s1")
        return try (0..<n).map { i in
            var t = Privacy.view(of: ticket, for: "s1")
            t.text += "（第\(i)件）"
            return try city.service.encode(AssignBody(ticket: t, role: "lead"))
        }
    }

    @Test func assignBodiesSplitAnyhowAreDecodedOnceEachAndTakenByTheirExactBytes() throws {
        let assigns = try bodies(3)
        let event = try JSONEncoder().encode(["event": ["id": "x"]])
        var stream = Array(WireMessage.heartbeat(Heartbeat(id: "h", clock: 1)).encodeFrame())
        for (i, b) in assigns.enumerated() { stream += frame(.ticketAssign, b, seq: UInt64(2 * i + 1)) + frame(.ticketEvent, [UInt8](event), seq: UInt64(2 * i + 2)) }
        let store = PredecodedBodies()
        let predecoder = BodyPredecoder(bodies: store)
        // Pieces of every size from one byte to several frames.
        let sizes = [1, 7, 300, 2, 699, 13, 4, 2_500, 3]
        var at = 0, k = 0
        while at < stream.count {
            let n = min(stream.count - at, sizes[k % sizes.count])
            k += 1
            predecoder.feed(Array(stream[at..<(at + n)]), now: 0)
            at += n
        }
        #expect(store.count == 3)
        // The whole frames too, parsed as the loop's session would parse them; only the assignments.
        #expect(store.frameCount == 3)
        for (i, b) in assigns.enumerated() {
            let f = Array(frame(.ticketAssign, b, seq: UInt64(2 * i + 1)).dropFirst(4))   // without the length prefix
            #expect(try store.takeFrame(f) == WireMessage.decode(f, knownKinds: AppMessageKind.all))
            #expect(store.takeFrame(f) == nil, "taken once")
        }
        #expect(store.takeFrame(Array(frame(.ticketEvent, [UInt8](event), seq: 2).dropFirst(4))) == nil)
        for b in assigns {
            let ready = try #require(store.take(b))
            let decoded = try JSONDecoder().decode(AssignBody.self, from: Data(b))
            #expect(ready.body.ticket == decoded.ticket && ready.body.role == decoded.role)
            // The stored documents were written there too, as the loop would write them.
            let documents = try #require(ready.documents)
            let own = try TicketDocuments(decoded.ticket)
            #expect(documents.ticket == own.ticket && documents.events == own.events && !own.events.isEmpty)
        }
        #expect(store.count == 0)
        #expect(store.take(assigns[0]) == nil, "taken once")
        var other = assigns[1]
        other[other.count - 2] = UInt8(ascii: " ")
        #expect(store.take(other) == nil)
    }

    @Test func aBrokenStreamStopsPredecodingAndBadBodiesAreLeftToTheLoop() throws {
        let assigns = try bodies(2)
        let store = PredecodedBodies()
        let predecoder = BodyPredecoder(bodies: store)
        predecoder.feed(frame(.ticketAssign, Array("{\"ticket\": 1}".utf8), seq: 1), now: 0)
        #expect(store.count == 0)
        predecoder.feed([0xFF, 0xFF, 0xFF, 0xFF, 0x7B], now: 0)   // a length over the frame limit
        predecoder.feed(frame(.ticketAssign, assigns[0], seq: 2), now: 0)
        #expect(store.count == 0)
    }

    @Test func aFullStoreKeepsWhatTheLoopWillAskForAndDropsOnlyStaleBodies() throws {
        let assigns = try bodies(3)
        let decoded = try assigns.map { try JSONDecoder().decode(AssignBody.self, from: Data($0)) }
        let store = PredecodedBodies(capacity: 2)
        store.put(assigns[0], decoded[0], now: 0)
        store.put(assigns[1], decoded[1], now: 10_000)
        store.put(assigns[2], decoded[2], now: 20_000)
        #expect(store.count == 2 && store.take(assigns[2]) == nil, "full and nothing stale: the newest is not kept")
        store.put(assigns[2], decoded[2], now: 31_000)
        #expect(store.take(assigns[0]) == nil && store.take(assigns[1]) != nil && store.take(assigns[2]) != nil)
        // The bytes held are bounded too, and a body over the limit is never kept.
        let small = PredecodedBodies(capacity: 100, byteBudget: assigns[0].count + assigns[1].count)
        for (b, d) in zip(assigns, decoded) { small.put(b, d, now: 0) }
        #expect(small.count == 2 && small.take(assigns[2]) == nil)
        let huge = [UInt8](repeating: 32, count: PredecodedBodies.largestBody + 1)
        let roomy = PredecodedBodies()
        roomy.put(huge, decoded[0], now: 0)
        #expect(roomy.count == 0)
    }

    @Test func theLoopUsesAPredecodedBodyAndStoresTheSameTicket() throws {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        let body = AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead")
        let bytes = try unit.service.encode(body)
        unit.service.predecoded = PredecodedBodies()
        let decoded = try JSONDecoder().decode(AssignBody.self, from: Data(bytes))
        unit.service.predecoded?.put(bytes, decoded, documents: try TicketDocuments(decoded.ticket), now: 0)
        let m = DataMessage(id: "m1", seq: 1, origin: "c", dest: "s1", kind: AppMessageKind.ticketAssign.rawValue, body: bytes, at: unit.now.millis)
        _ = try unit.context.db.transaction { try unit.service.handleIncoming(m, from: "k", now: unit.now) }
        #expect(unit.service.predecoded?.count == 0, "the loop took it")
        // What the loop stored from the documents written ahead reads back as the ticket the loop would store itself.
        let other = try NodeFixture(id: "s1", role: .unit)
        _ = try other.context.db.transaction { try other.service.handleIncoming(m, from: "k", now: other.now) }
        let stored = try unit.ticket(ticket.id)
        #expect(stored == (try other.ticket(ticket.id)))
        #expect(stored.text == ticket.text && stored.events.count == ticket.events.count && !stored.events.isEmpty)
    }

    @Test func documentsThatDoNotMatchTheTicketsEventsAreNotStored() throws {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        let view = Privacy.view(of: ticket, for: "s1")
        var fewer = view
        fewer.events.removeLast()
        // Documents of another state of the ticket (one event fewer): the repository writes its own.
        _ = try unit.context.db.transaction { try unit.service.repository.replace(view, documents: try TicketDocuments(fewer)) }
        #expect(try unit.ticket(ticket.id).events == view.events)
    }
}

extension BodyPredecoderTests {
    /// The shelves' key digest tells apart buffers that differ in any one byte (in the 8-byte words and in the
    /// tail) or in length, so equal digests never make lookups compare unrelated bodies.
    @Test func bodyDigestsDifferForBuffersThatDifferInOneByteOrInLength() {
        let base = (0..<1027).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var digests: Set<UInt64> = [BodyBytes.digest(base)]
        for i in base.indices {
            var changed = base
            changed[i] &+= 1
            digests.insert(BodyBytes.digest(changed))
        }
        #expect(digests.count == base.count + 1)
        #expect(BodyBytes.digest([0]) != BodyBytes.digest([0, 0]))
        #expect(BodyBytes.digest([]) != BodyBytes.digest([0]))
    }
}
