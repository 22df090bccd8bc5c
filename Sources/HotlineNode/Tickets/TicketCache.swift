import HotlineCore

/// Whole tickets by id, at most about `2 × generation` of them: a lookup promotes a ticket to the young
/// generation; when it is full it becomes the old one and the previous old one is dropped (least recently used,
/// roughly, in constant time). Used on the work loop thread only, like its repository.
final class TicketCache {
    private var young: [String: Ticket] = [:]
    private var old: [String: Ticket] = [:]
    let generation: Int

    init(generation: Int) { self.generation = max(1, generation) }

    var count: Int { young.count + old.count }

    func get(_ id: String) -> Ticket? {
        if let t = young[id] { return t }
        guard let t = old.removeValue(forKey: id) else { return nil }
        insert(t)
        return t
    }

    func put(_ t: Ticket) {
        old[t.id] = nil
        insert(t)
    }

    func remove(_ id: String) {
        young[id] = nil
        old[id] = nil
    }

    func clear() {
        young = [:]
        old = [:]
    }

    private func insert(_ t: Ticket) {
        young[t.id] = t
        if young.count >= generation {
            old = young
            young = [:]
        }
    }
}
