import HotlineCore
import HotlineWire

/// A ticket's stored documents before sealing: the ticket without its events, and each event, written by
/// `JSONStreamEncoder` (members in the order of their names, as `TicketJSON` writes them). Pure: a connection thread may write them ahead of the loop.
struct TicketDocuments {
    let ticket: [UInt8]
    let events: [[UInt8]]
    /// The rest of what storing the ticket takes, made ahead too (`prepare`); nil: the loop makes it.
    private(set) var ahead: Ahead?

    /// The documents sealed under `key`, the ticket's row and its caller tag: sealing, the row and the tag were a
    /// tenth of a unit's work loop in a durable hop, the one thread every write goes through.
    struct Ahead {
        let key: String
        let ticket: [UInt8]
        let events: [[UInt8]]
        let row: TicketRow
        let callerKey: String?
    }

    /// Seals the documents of `t` (which they must be) under the keyring's current key and works out its row and
    /// caller tag (none without `callerTagger`, as the node keeps none). The repository uses them only while that key
    /// is still current (a key rotated meanwhile: it seals again itself), so nothing is ever stored under a key about
    /// to be dropped.
    mutating func prepare(_ t: Ticket, keyring: DataKeyring, callerTagger: CallerTagger?) throws {
        guard t.events.count == events.count else { return }
        let key = keyring.current
        let sealedTicket = try keyring.seal(ticket, label: "ticket:\(t.id)", key: key)
        let sealedEvents = try zip(t.events, events).map { e, doc in try keyring.seal(doc, label: "event:\(e.ticket)", key: key) }
        let row = TicketRow(t)
        ahead = Ahead(key: key, ticket: sealedTicket, events: sealedEvents, row: row,
                      callerKey: try callerTagger?.tag(row.phone))
    }

    init(_ t: Ticket) throws {
        ticket = try Self.ticket(t)
        events = try t.events.map(Self.event)
    }

    /// What they hold, sealed copies included.
    var byteCount: Int {
        let plain = events.reduce(ticket.count) { $0 + $1.count }
        guard let ahead else { return plain }
        return ahead.events.reduce(plain + ahead.ticket.count) { $0 + $1.count }
    }

    /// The documents cut from the frame a ticket arrived in, rather than written again: the ticket's object with
    /// its `events` value replaced by `[]`, and each element of that value. They are the bytes the ticket and
    /// its events were read from, so they read back as the same values (`TicketDocumentsTests`); from this
    /// network's own senders they are byte for byte the documents `init(_:)` writes, since both write members in
    /// the order of their names. Writing them was a quarter of a unit's connection thread in a durable hop.
    /// Nil when the frame's ticket is not laid out so (the caller writes them instead): no `events` array, or not
    /// `eventCount` objects in it.
    init?(slicing frame: [UInt8], _ layout: BodyLayout, eventCount: Int) {
        guard let t = layout.range(of: "ticket"), let e = layout.range(of: "ticket", "events"),
              t.upperBound <= frame.count, t.contains(e.lowerBound), t.contains(e.upperBound - 1),
              frame[e.lowerBound] == UInt8(ascii: "["),
              let elements = layout.objectElements(of: "ticket", "events"), elements.count == eventCount else { return nil }
        (ticket, events) = frame.withUnsafeBufferPointer { b in
            // Copies through buffer pointers: an `ArraySlice` copied element by element.
            var doc = [UInt8]()
            doc.reserveCapacity(t.count - e.count + 2)
            doc.append(contentsOf: UnsafeBufferPointer(rebasing: b[t.lowerBound..<e.lowerBound]))
            doc.append(UInt8(ascii: "["))
            doc.append(UInt8(ascii: "]"))
            doc.append(contentsOf: UnsafeBufferPointer(rebasing: b[e.upperBound..<t.upperBound]))
            return (doc, elements.map { Array(UnsafeBufferPointer(rebasing: b[$0])) })
        }
    }

    static func ticket(_ t: Ticket) throws -> [UInt8] {
        var stripped = t
        stripped.events = []
        return try JSONStreamEncoder.encode(stripped)
    }

    static func event(_ e: TicketEvent) throws -> [UInt8] { try JSONStreamEncoder.encode(e) }
}
