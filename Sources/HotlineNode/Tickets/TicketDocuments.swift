import HotlineCore
import HotlineWire

/// A ticket's stored documents before sealing: the ticket without its events, and each event, written by
/// `JSONStreamEncoder` (members in the order of their names, as `TicketJSON` writes them). Pure: a connection thread may write them ahead of the loop.
struct TicketDocuments {
    let ticket: [UInt8]
    let events: [[UInt8]]

    init(_ t: Ticket) throws {
        ticket = try Self.ticket(t)
        events = try t.events.map(Self.event)
    }

    var byteCount: Int { events.reduce(ticket.count) { $0 + $1.count } }

    static func ticket(_ t: Ticket) throws -> [UInt8] {
        var stripped = t
        stripped.events = []
        return try JSONStreamEncoder.encode(stripped)
    }

    static func event(_ e: TicketEvent) throws -> [UInt8] { try JSONStreamEncoder.encode(e) }
}
