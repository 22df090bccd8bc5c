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

    /// A frame without its length prefix, and the message it holds.
    func parsed(_ body: [UInt8], seq: UInt64) throws -> (frame: [UInt8], message: WireMessage, body: AssignBody) {
        let f = Array(frame(.ticketAssign, body, seq: seq).dropFirst(4))
        return (f, try WireMessage.decode(f, knownKinds: AppMessageKind.all), try JSONDecoder().decode(AssignBody.self, from: Data(body)))
    }

    /// The place of a test's `i`th frame on its one connection.
    func place(_ i: Int) -> FramePlace { FramePlace(stream: 1, ordinal: i) }

    func dataBody(_ message: WireMessage?) throws -> [UInt8] {
        guard case .data(let m)? = message else { throw BodyPredecoderTestError.notData }
        return m.body
    }

    @Test func assignFramesSplitAnyhowAreParsedOnceEachAndTheirBodiesGoWithTheMessageTaken() throws {
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
            predecoder.feed(Array(stream[at..<(at + n)]), stream: 1, now: 0)
            at += n
        }
        // Only the assignments, parsed as the loop's session would parse them.
        #expect(store.count == 3)
        #expect(store.takeFrame(Array(frame(.ticketEvent, [UInt8](event), seq: 2).dropFirst(4)), at: place(2)) == nil)
        var taken: [WireMessage] = []
        for (i, b) in assigns.enumerated() {
            // The heartbeat is frame 0; assignment i is frame 2i + 1, each followed by an event.
            let (f, message, _) = try parsed(b, seq: UInt64(2 * i + 1))
            #expect(store.takeFrame(f, at: place(2 * i + 2)) == nil, "the right bytes at another place")
            #expect(store.takeFrame(f, at: FramePlace(stream: 2, ordinal: 2 * i + 1)) == nil, "on another connection")
            if i > 0 {
                let (other, _, _) = try parsed(assigns[i - 1], seq: UInt64(2 * i - 1))
                #expect(store.takeFrame(other, at: place(2 * i + 1)) == nil, "other bytes at the right place")
            }
            let ready = store.takeFrame(f, at: place(2 * i + 1))
            #expect(ready == message)
            #expect(store.takeFrame(f, at: place(2 * i + 1)) == nil, "taken once")
            taken.append(try #require(ready))
        }
        #expect(store.count == 0 && store.setAsideCount == 3)
        // Equal bytes in another array are not the message's body: the caller decodes those itself.
        #expect(store.take(Array(assigns[0])) == nil)
        for (b, message) in zip(assigns, taken) {
            let ready = try #require(store.take(try dataBody(message)))
            let decoded = try JSONDecoder().decode(AssignBody.self, from: Data(b))
            #expect(ready.body.ticket == decoded.ticket && ready.body.role == decoded.role)
            // The stored documents were written there too, as the loop would write them.
            let documents = try #require(ready.documents)
            let own = try TicketDocuments(decoded.ticket)
            #expect(documents.ticket == own.ticket && documents.events == own.events && !own.events.isEmpty)
            #expect(store.take(try dataBody(message)) == nil, "taken once")
        }
        #expect(store.setAsideCount == 0)
    }

    /// The loop's session cuts the connection's bytes into frames again and numbers them with `FrameOrdinals`;
    /// the connection's thread numbered the same frames while it parsed them. The two must agree on every frame
    /// (heartbeats, acks and events count too), or no assignment would ever be found and the loop would parse
    /// each one itself.
    @Test func theLoopNumbersTheFramesAsTheConnectionThreadDidAndFindsEveryAssignment() throws {
        let assigns = try bodies(5)
        var stream = Array(WireMessage.heartbeat(Heartbeat(id: "h", clock: 1)).encodeFrame())
        for (i, b) in assigns.enumerated() {
            stream += frame(.ticketAssign, b, seq: UInt64(2 * i + 1))
            stream += frame(.ticketEvent, Array("{\"note\":\"\(i)\"}".utf8), seq: UInt64(2 * i + 2))
            if i % 2 == 0 { stream += WireMessage.heartbeat(Heartbeat(id: "h\(i)", clock: 1)).encodeFrame() }
        }
        let store = PredecodedBodies()
        let predecoder = BodyPredecoder(bodies: store)
        let connection = NSObject()
        for piece in stride(from: 0, to: stream.count, by: 1_000).map({ Array(stream[$0..<min(stream.count, $0 + 1_000)]) }) {
            predecoder.feed(piece, stream: FramePlace.stream(of: connection), now: 0)
        }
        #expect(store.count == assigns.count)
        var loop = FrameDecoder()
        loop.append(stream)
        let places = FrameOrdinals(stream: FramePlace.stream(of: connection))
        var found = 0
        while let f = try loop.nextFrame() {
            if store.takeFrame(f, at: places.take()) != nil { found += 1 }
        }
        #expect(found == assigns.count)
        #expect(store.count == 0)
    }

    @Test func aBrokenStreamStopsPredecodingAndBadBodiesAreLeftToTheLoop() throws {
        let assigns = try bodies(2)
        let store = PredecodedBodies()
        let predecoder = BodyPredecoder(bodies: store)
        predecoder.feed(frame(.ticketAssign, Array("{\"ticket\": 1}".utf8), seq: 1), stream: 1, now: 0)
        #expect(store.count == 0)
        predecoder.feed([0xFF, 0xFF, 0xFF, 0xFF, 0x7B], stream: 1, now: 0)   // a length over the frame limit
        predecoder.feed(frame(.ticketAssign, assigns[0], seq: 2), stream: 1, now: 0)
        #expect(store.count == 0)
    }

    @Test func aFullStoreKeepsWhatTheLoopWillAskForAndDropsOnlyStaleFrames() throws {
        let p = try bodies(3).enumerated().map { try parsed($1, seq: UInt64($0 + 1)) }
        let store = PredecodedBodies(capacity: 2)
        store.put(frame: p[0].frame, at: place(0), p[0].message, body: p[0].body, now: 0)
        store.put(frame: p[1].frame, at: place(1), p[1].message, body: p[1].body, now: 10_000)
        store.put(frame: p[2].frame, at: place(2), p[2].message, body: p[2].body, now: 20_000)
        #expect(store.count == 2 && store.takeFrame(p[2].frame, at: place(2)) == nil, "full and nothing stale: the newest is not kept")
        store.put(frame: p[2].frame, at: place(2), p[2].message, body: p[2].body, now: 31_000)
        #expect(store.takeFrame(p[0].frame, at: place(0)) == nil && store.takeFrame(p[1].frame, at: place(1)) != nil && store.takeFrame(p[2].frame, at: place(2)) != nil)
        // The bytes held are bounded too (a frame, its body), and a frame over the limit is never kept.
        let weight = p.map { x in x.frame.count + ((try? dataBody(x.message))?.count ?? 0) }
        let small = PredecodedBodies(capacity: 100, byteBudget: weight[0] + weight[1])
        for (i, x) in p.enumerated() { small.put(frame: x.frame, at: place(i), x.message, body: x.body, now: 0) }
        #expect(small.count == 2 && small.takeFrame(p[2].frame, at: place(2)) == nil)
        var huge = [UInt8](repeating: 32, count: PredecodedBodies.largestFrame + 1)
        huge.replaceSubrange(0..<p[0].frame.count, with: p[0].frame)
        let roomy = PredecodedBodies()
        roomy.put(frame: huge, at: place(0), p[0].message, body: p[0].body, now: 0)
        #expect(roomy.count == 0)
    }

    @Test func staleFramesAreFoundInPutOrderPassingThoseAlreadyTaken() throws {
        let p = try bodies(4).enumerated().map { try parsed($1, seq: UInt64($0 + 1)) }
        let store = PredecodedBodies(capacity: 2)
        store.put(frame: p[0].frame, at: place(0), p[0].message, body: p[0].body, now: 0)
        store.put(frame: p[1].frame, at: place(1), p[1].message, body: p[1].body, now: 10_000)
        #expect(store.takeFrame(p[0].frame, at: place(0)) != nil)
        store.put(frame: p[2].frame, at: place(2), p[2].message, body: p[2].body, now: 20_000)
        store.put(frame: p[3].frame, at: place(3), p[3].message, body: p[3].body, now: 35_000)
        #expect(store.count == 2, "full, and the oldest still here is 25 s old: the newest is not kept")
        store.put(frame: p[3].frame, at: place(3), p[3].message, body: p[3].body, now: 41_000)
        #expect(store.takeFrame(p[1].frame, at: place(1)) == nil, "31 s old: dropped for the newest")
        #expect(store.takeFrame(p[2].frame, at: place(2)) != nil && store.takeFrame(p[3].frame, at: place(3)) != nil)
    }

    /// A catch-up keeps the store full: the loop takes frames while the connection puts more. A put into a full
    /// store must not sweep every entry each time (it did), only when one can be stale.
    @Test func aStoreKeptFullSweepsOnlyWhenAFrameCanBeStale() throws {
        let p = try bodies(64).enumerated().map { try parsed($1, seq: UInt64($0 + 1)) }
        let store = PredecodedBodies(capacity: 16)
        var served = 0
        var now: Int64 = 0
        for _ in 0..<200 {
            for (i, x) in p.enumerated() { store.put(frame: x.frame, at: place(i), x.message, body: x.body, now: now); now += 1 }
            #expect(store.count <= 16)
            for (i, x) in p.prefix(8).enumerated() where store.takeFrame(x.frame, at: place(i)) != nil { served += 1 }
        }
        #expect(served > 0, "frames put while there was room are served")
        #expect(store.sweeps == 0, "12.8 s of puts: nothing can be 30 s old yet")
        // Later, what was put first is stale: one sweep makes room, and the next full puts do not sweep again.
        now += 30_000
        for (i, x) in p.enumerated() { store.put(frame: x.frame, at: place(i), x.message, body: x.body, now: now) }
        #expect(store.sweeps == 1)
        #expect(store.count == 16)
    }

    @Test func bodiesOfFramesTakenButNeverAppliedAreDroppedPastTheLimit() throws {
        let p = try parsed(try bodies(1)[0], seq: 1)
        let store = PredecodedBodies()
        var kept: [WireMessage] = []   // the messages stay alive, as a session's batch would keep them
        for _ in 0..<(PredecodedBodies.setAsideLimit + 10) {
            // A fresh message each time (its own body array), as each frame parsed anew has.
            let message = try WireMessage.decode(p.frame, knownKinds: AppMessageKind.all)
            store.put(frame: p.frame, at: place(0), message, body: p.body, now: 0)
            kept.append(try #require(store.takeFrame(p.frame, at: place(0))))
        }
        #expect(store.setAsideCount <= PredecodedBodies.setAsideLimit && store.setAsideCount > 0)
        // The newest is still there; the oldest went with the rest when the limit was reached.
        #expect(store.take(try dataBody(kept.last)) != nil)
        #expect(store.take(try dataBody(kept.first)) == nil)
    }

    @Test func whatTheLoopIsDoneWithIsFreedByTheNextPutOnAConnectionThread() throws {
        let p = try bodies(2).enumerated().map { try parsed($1, seq: UInt64($0 + 1)) }
        let store = PredecodedBodies()
        store.put(frame: p[0].frame, at: place(0), p[0].message, body: p[0].body, documents: try TicketDocuments(p[0].body.ticket), now: 0)
        let message = try #require(store.takeFrame(p[0].frame, at: place(0)))
        let ready = try #require(store.take(try dataBody(message)))
        store.retire(ready.documents)
        #expect(store.retiredCount == 2, "the frame's bytes and the documents wait for a connection thread")
        // Documents are handed over a batch at a time: until a batch is full they stay with the loop.
        store.put(frame: p[1].frame, at: place(1), p[1].message, body: p[1].body, now: 0)
        #expect(store.retiredCount == 1)
        for _ in 1..<PredecodedBodies.retireBatch { store.retire(ready.documents) }
        store.retire(other: [ready.documents], weight: 1)
        #expect(store.retiredCount == PredecodedBodies.retireBatch + 1)
        store.put(frame: p[0].frame, at: place(0), p[0].message, body: p[0].body, now: 0)
        #expect(store.retiredCount == 0, "a put on a connection thread freed the batch and the other value")
        // Bounded when no connection puts anything for a while.
        for _ in 0..<(PredecodedBodies.retiredLimit + 5 * PredecodedBodies.retireBatch) { store.retire(ready.documents) }
        let other = PredecodedBodies.retiredOtherBudget / 4
        for _ in 0..<9 { store.retire(other: [ready.documents], weight: other) }
        #expect(store.retiredCount <= PredecodedBodies.retiredLimit + PredecodedBodies.retireBatch + 4)
        // And when none comes for a second, the loop frees what waits (not what it has yet to hand over).
        store.freeRetiredIfIdle(now: PredecodedBodies.idleAfter - 1)
        #expect(store.retiredCount > PredecodedBodies.retireBatch)
        store.freeRetiredIfIdle(now: PredecodedBodies.idleAfter)
        #expect(store.retiredCount < PredecodedBodies.retireBatch)
    }

    @Test func theLoopUsesAPredecodedBodyAndStoresTheSameTicket() throws {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        let body = AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead")
        let bytes = try unit.service.encode(body)
        let store = PredecodedBodies()
        unit.service.predecoded = store
        let sent = DataMessage(id: "m1", seq: 1, origin: "c", dest: "s1", kind: AppMessageKind.ticketAssign.rawValue, body: bytes, at: unit.now.millis)
        let f = WireMessage.data(sent).encode()
        let decoded = try JSONDecoder().decode(AssignBody.self, from: Data(bytes))
        store.put(frame: f, at: place(0), try WireMessage.decode(f, knownKinds: AppMessageKind.all), body: decoded,
                  documents: try TicketDocuments(decoded.ticket), now: 0)
        guard case .data(let m)? = store.takeFrame(f, at: place(0)) else { Issue.record("the frame was not kept"); return }
        _ = try unit.context.db.transaction { try unit.service.handleIncoming(m, from: "k", now: unit.now) }
        #expect(store.setAsideCount == 0, "the loop took the body")
        // What the loop stored from the documents written ahead reads back as the ticket the loop would store itself.
        let other = try NodeFixture(id: "s1", role: .unit)
        _ = try other.context.db.transaction { try other.service.handleIncoming(sent, from: "k", now: other.now) }
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

enum BodyPredecoderTestError: Error { case notData }
