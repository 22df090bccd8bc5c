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

    @Test func theElementsOfAnArrayOfObjectsAreFoundWhateverTheirStringsHold() {
        func cut(_ text: String) -> [String]? {
            let b = Array(text.utf8)
            return TicketDocuments.elements(of: b, 0..<b.count)?.map { String(decoding: b[$0], as: UTF8.self) }
        }
        #expect(cut(#"[ {"a":"}{\"],"} ,{"b":[{}, [1]]},{} ]"#) == [#"{"a":"}{\"],"}"#, #"{"b":[{}, [1]]}"#, "{}"])
        #expect(cut("[]") == [])
        #expect(cut("[1]") == nil)
        #expect(cut(#"["x"]"#) == nil)
        #expect(cut(#"[{}, [] ]"#) == nil)
    }
}
