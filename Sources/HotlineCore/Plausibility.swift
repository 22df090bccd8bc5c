import Foundation

/// Bounds on the numbers a neighbour can put in a ticket or an event it sends. A decoded body holds any `Int` the
/// JSON spells, and the lifecycle adds to these counts and periods (`extensions + 1`, `deadline + period`):
/// `Int.max` there would overflow, a check that stops the whole node. A body outside these bounds is refused
/// (with a notice to its origin) before anything is computed from it. The bounds are far beyond any real ticket.
public enum Plausibility {
    /// Extensions, supervisions, send-backs of one ticket; an event's extension number.
    public static let maxCount = 10_000

    static func count(_ name: String, _ n: Int) -> String? {
        (0...maxCount).contains(n) ? nil : "\(name) \(n) is outside 0 to \(maxCount)"
    }
}

extension TicketEvent {
    /// Why a neighbour's event is refused before it is applied, or nil.
    public var implausibility: String? {
        if let why = period?.implausibility { return "event \(id): \(why)" }
        if let n = extensionNumber, let why = Plausibility.count("extension number", n) { return "event \(id): \(why)" }
        if let s = stars, !(0...5).contains(s) { return "event \(id): \(s) stars is outside 0 to 5" }
        return nil
    }
}

extension Ticket {
    /// Why a ticket sent whole (assigned or synced) is refused, or nil.
    public var implausibility: String? {
        // Checked one by one, not through an array: this runs for every ticket a node is sent.
        if let why = Plausibility.count("extensions", extensions) ?? Plausibility.count("supervisions", supervisions)
            ?? Plausibility.count("send-backs", sendBacks) {
            return "ticket \(id): \(why)"
        }
        if let ev = evaluation {
            if let s = ev.stars, !(0...5).contains(s) { return "ticket \(id): \(s) stars is outside 0 to 5" }
            if let why = Plausibility.count("unsatisfied callbacks", ev.unsatisfiedCount) { return "ticket \(id): \(why)" }
        }
        // By index: `for e in events` copied each event (a retain of every field) only to read three of them.
        for i in events.indices { if let why = events[i].implausibility { return "ticket \(id): \(why)" } }
        return nil
    }
}
