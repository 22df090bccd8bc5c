import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// The documents a unit stores for an assigned ticket, cut from the frame it arrived in, are the ones it would
/// write itself, or at least read back as the same ticket and events.
struct TicketDocumentsTests {
    func assignFrame(_ body: [UInt8]) -> [UInt8] {
        WireMessage.data(DataMessage(id: "m1", seq: 1, origin: "c", dest: "s1", kind: AppMessageKind.ticketAssign.rawValue,
                                     body: body, at: 1)).encode()
    }

    func read(_ frame: [UInt8]) throws -> (AssignBody, BodyLayout) {
        let r = try #require(WireMessage.decode(frame, knownKinds: AppMessageKind.all, dataBody: AssignBody.self))
        return (r.body, r.layout)
    }

    @Test func cutFromThisNetworksFrameTheyAreByteForByteTheDocumentsTheNodeWrites() throws {
        for body in try BodyPredecoderTests().bodies(2) {
            let frame = assignFrame(body)
            let (assign, layout) = try read(frame)
            let cut = try #require(TicketDocuments(slicing: frame, layout, eventCount: assign.ticket.events.count))
            let written = try TicketDocuments(assign.ticket)
            #expect(!written.events.isEmpty)
            #expect(cut.ticket == written.ticket)
            #expect(cut.events == written.events)
        }
    }

    @Test func cutFromAFrameWrittenOtherwiseTheyReadBackAsTheSameTicketAndEvents() throws {
        let original = try BodyPredecoderTests().bodies(1)[0]
        // The same body with spaces, new lines and Foundation's member order: other bytes, the same values.
        let object = try JSONSerialization.jsonObject(with: Data(original))
        let body = [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]))
        #expect(body != original)
        let frame = assignFrame(body)
        let (assign, layout) = try read(frame)
        let cut = try #require(TicketDocuments(slicing: frame, layout, eventCount: assign.ticket.events.count))
        #expect(cut.ticket != (try TicketDocuments(assign.ticket)).ticket)
        var stripped = assign.ticket
        stripped.events = []
        #expect(try JSONStreamDecoder.decode(Ticket.self, from: cut.ticket) == stripped)
        #expect(try cut.events.map { try JSONStreamDecoder.decode(TicketEvent.self, from: $0) } == assign.ticket.events)
    }

    @Test func aFrameWhoseEventsDoNotMatchIsNotCut() throws {
        let frame = assignFrame(try BodyPredecoderTests().bodies(1)[0])
        let (assign, layout) = try read(frame)
        #expect(TicketDocuments(slicing: frame, layout, eventCount: assign.ticket.events.count + 1) == nil)
        #expect(TicketDocuments(slicing: frame, layout, eventCount: 0) == nil)
    }
}

extension TicketDocumentsTests {
    func storedDoc(_ unit: NodeFixture, _ id: String) throws -> [UInt8] {
        try #require(try unit.context.db.query("SELECT doc FROM tickets WHERE id = ?", [.text(id)]).first?.blob(0))
    }

    /// A unit, the ticket as it sees it, and its documents prepared ahead with the unit's keyring.
    func preparedAtAUnit() throws -> (NodeFixture, Ticket, TicketDocuments, TicketDocuments.Ahead) {
        let (_, ticket) = try DataAtRestTests().assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        let view = Privacy.view(of: ticket, for: "s1")
        var documents = try TicketDocuments(view)
        try documents.prepare(view, keyring: unit.context.keyring, callerTagger: unit.context.callerTagger)
        return (unit, view, documents, try #require(documents.ahead))
    }

    @Test func documentsSealedAheadAreStoredAsTheyAreAndReadBack() throws {
        let (unit, view, documents, ahead) = try preparedAtAUnit()
        #expect(ahead.row == TicketRow(view))
        _ = try unit.context.db.transaction { try unit.service.repository.replace(view, documents: documents) }
        #expect(try storedDoc(unit, view.id) == ahead.ticket, "the blob sealed ahead is the one stored")
        let other = try NodeFixture(id: "s1", role: .unit)
        _ = try other.context.db.transaction { try other.service.repository.replace(view) }
        #expect(try unit.ticket(view.id) == other.ticket(view.id))
        // The caller column is the one the loop would have written: empty at a unit, which keeps no caller keys.
        let stored = try unit.context.db.query("SELECT caller_key FROM tickets WHERE id = ?", [.text(view.id)]).first?.string(0)
        #expect(stored == nil && ahead.callerKey == nil)
        #expect(try other.context.db.query("SELECT caller_key FROM tickets WHERE id = ?", [.text(view.id)]).first?.string(0) == nil)
    }

    @Test func documentsSealedUnderAKeyRotatedSinceAreSealedAgainUnderTheNewOne() throws {
        let (unit, view, documents, ahead) = try preparedAtAUnit()
        try unit.context.keyring.addKey()
        _ = try unit.context.db.transaction { try unit.service.repository.replace(view, documents: documents) }
        let stored = try storedDoc(unit, view.id)
        #expect(stored != ahead.ticket)
        #expect(stored.starts(with: DataKeyring.mark + [UInt8(unit.context.keyring.current.utf8.count)] + Array(unit.context.keyring.current.utf8)))
        // With the old key gone, everything stored still reads.
        unit.context.keyring.dropOldKeys()
        unit.service.repository.cache.clear()
        #expect(try unit.ticket(view.id).events == view.events)
    }
}
