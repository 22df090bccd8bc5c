import HotlineCore

/// Whole tickets by id, at most about `2 × generation` of them: a lookup promotes a ticket to the young
/// generation; when it is full it becomes the old one and the previous old one is dropped (least recently used,
/// roughly, in constant time). Used on the work loop thread only, like its repository.
///
/// Each ticket remembers whether the repository wrote it (`written`): then its row's columns are exactly what the
/// repository computes from it, and the next write may name only the columns that change.
final class TicketCache {
    private struct Entry {
        var ticket: Ticket
        var written: Bool
    }

    private var young: [String: Entry] = [:]
    private var old: [String: Entry] = [:]
    let generation: Int
    /// Takes the generation dropped when a new one begins, to free it elsewhere: most tickets here were decoded on a
    /// connection thread (`PredecodedBodies`), and freeing another thread's memory takes that thread's malloc arena
    /// lock (`PredecodedBodies.retire(other:weight:)`); with the generation, how many tickets it holds. Nil: freed here.
    var retire: ((Any, Int) -> Void)?

    init(generation: Int) { self.generation = max(1, generation) }

    var count: Int { young.count + old.count }

    func get(_ id: String) -> Ticket? { entry(id)?.ticket }

    /// The ticket as the repository last wrote it; nil if it was only read, or is not here.
    func written(_ id: String) -> Ticket? {
        guard let e = young[id] ?? old[id], e.written else { return nil }
        return e.ticket
    }

    /// `written`: the repository has just stored exactly this ticket (its row and every event).
    func put(_ t: Ticket, written: Bool = false) {
        old[t.id] = nil
        insert(Entry(ticket: t, written: written))
    }

    func remove(_ id: String) {
        young[id] = nil
        old[id] = nil
    }

    /// Removes the ticket and returns it as the repository last wrote it (nil if it was only read, or is not here),
    /// for the repository to write it again and `putAgain` it. A ticket is in one generation at most, so this is at
    /// most two lookups; `written` then `remove` then `put` were six, each hashing the id (3 % of a unit's loop in
    /// a durable hop).
    func takeWritten(_ id: String) -> Ticket? {
        guard let e = young.removeValue(forKey: id) ?? old.removeValue(forKey: id) else { return nil }
        return e.written ? e.ticket : nil
    }

    /// `put` for a ticket `takeWritten` took out (so in neither generation now).
    func putAgain(_ t: Ticket, written: Bool) {
        insert(Entry(ticket: t, written: written))
    }

    func clear() {
        young = [:]
        old = [:]
    }

    private func entry(_ id: String) -> Entry? {
        if let e = young[id] { return e }
        guard let e = old.removeValue(forKey: id) else { return nil }
        insert(e)
        return e
    }

    private func insert(_ e: Entry) {
        young[e.ticket.id] = e
        if young.count >= generation {
            let dropped = old
            old = young
            // Room for the whole generation at once: grown from empty, the table was rebuilt about ten times a
            // generation, hashing every id again each time (a unit's loop stores a new ticket a message).
            young = Dictionary(minimumCapacity: generation)
            if !dropped.isEmpty { retire?(dropped, dropped.count) }
        }
    }
}
